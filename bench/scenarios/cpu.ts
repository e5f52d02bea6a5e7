import type { ProcessStats } from '../servers/process-stats.js';

/** CPU a server used between two stats readings, in percent of one core. */
export function cpuPercent(before: ProcessStats, after: ProcessStats): number {
  return (100 * (after.cpuMicros - before.cpuMicros)) / ((after.nowNs - before.nowNs) / 1000);
}

/** CPU time this process spends (all its threads) while `work` runs, in microseconds. */
export async function cpuMicrosOf(work: () => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  await work();
  const { user, system } = process.cpuUsage(start);
  return user + system;
}
