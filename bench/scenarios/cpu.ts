import type { ProcessStats } from '../servers/process-stats.js';

/** CPU a server used between two stats readings, in percent of one core. */
export function cpuPercent(before: ProcessStats, after: ProcessStats): number {
  return (100 * (after.cpuMicros - before.cpuMicros)) / ((after.nowNs - before.nowNs) / 1000);
}
