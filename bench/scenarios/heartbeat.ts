import { setTimeout as sleep } from 'node:timers/promises';
import { openFileHardLimit } from '../processes/proc.js';
import type { RowSpec, TableSpec } from '../report/results.js';
import type { BenchContext } from './context.js';
import { cpuPercent } from './cpu.js';
import type { ServerProcess } from './server-process.js';
import { connectUsers, withSession } from './session.js';
import { SYSTEM_COLUMNS, SYSTEM_RATIOS, type SystemSpec } from './systems.js';

export const HEARTBEAT_TABLE: TableSpec = {
  id: 'heartbeat',
  title: 'Heartbeat cost',
  method:
    'Every server pings each idle connection once per interval (ours: `heartbeat: { intervalMs, timeoutMs }`; raw ws: one timer pinging every socket in one loop; socket.io: `pingInterval`, with `pingTimeout` = timeout − interval). The event-loop delay (`monitorEventLoopDelay`, 1 ms sampling, so an idle loop reads about 1 ms) is read over a window of several intervals, first with no connection, then at each connection count. “Added” is the window’s maximum minus the idle maximum.',
  columns: SYSTEM_COLUMNS,
  ratios: SYSTEM_RATIOS,
};

export function heartbeatRows(level: number): Record<'added' | 'max' | 'p99' | 'cpu', RowSpec> {
  const at = `${level.toLocaleString('en-US')} connections`;
  return {
    added: {
      id: `${level}.added`,
      label: `${at}: added max event-loop delay`,
      unit: 'ms',
      noRatio: true,
    },
    max: { id: `${level}.max`, label: `${at}: max event-loop delay`, unit: 'ms' },
    p99: { id: `${level}.p99`, label: `${at}: p99 event-loop delay`, unit: 'ms' },
    cpu: { id: `${level}.cpu`, label: `${at}: server CPU`, unit: 'percent' },
  };
}

/** File descriptors a process needs beyond its sockets (stdio, IPC, listeners, libraries). */
const FD_MARGIN = 200;

/** Event-loop delay and CPU of each server's heartbeat at each connection level. */
export async function heartbeatScenario(ctx: BenchContext, system: SystemSpec): Promise<void> {
  const { heartbeat } = ctx.plan;
  const limit = openFileHardLimit();
  const levels = heartbeat.levels.filter((level) => {
    if (level + FD_MARGIN <= limit) return true;
    for (const row of Object.values(heartbeatRows(level))) {
      ctx.results.remark(HEARTBEAT_TABLE, row, system.id, `skipped: \`ulimit -n\` is ${limit}`);
    }
    return false;
  });
  const config = {
    heartbeat: { intervalMs: heartbeat.intervalMs, timeoutMs: heartbeat.timeoutMs },
    auth: 'query',
  } as const;
  await withSession(ctx, system, 'heartbeat', config, async ({ server, load }) => {
    const idle = await observe(server, heartbeat.windowMs);
    let connected = 0;
    for (const level of levels) {
      await connectUsers(ctx, load, system, server, connected, level);
      connected = level;
      await sleep(heartbeat.settleMs);
      const window = await observe(server, heartbeat.windowMs);
      const rows = heartbeatRows(level);
      const added = window.maxMs - idle.maxMs;
      ctx.results.add(HEARTBEAT_TABLE, rows.added, system.id, added);
      ctx.results.add(HEARTBEAT_TABLE, rows.max, system.id, window.maxMs);
      ctx.results.add(HEARTBEAT_TABLE, rows.p99, system.id, window.p99Ms);
      ctx.results.add(HEARTBEAT_TABLE, rows.cpu, system.id, window.cpu);
      ctx.log(
        `  ${system.label} heartbeat at ${level}: max delay ${window.maxMs.toFixed(1)} ms (+${added.toFixed(1)}), CPU ${window.cpu.toFixed(0)} %`,
      );
    }
  });
}

/** Event-loop delay and CPU of the server over a window of `ms`. */
async function observe(
  server: ServerProcess,
  ms: number,
): Promise<{ maxMs: number; p99Ms: number; cpu: number }> {
  await server.control.resetEventLoopDelay();
  const before = await server.control.stats();
  await sleep(ms);
  const after = await server.control.stats();
  return { ...after.eventLoopDelay, cpu: cpuPercent(before, after) };
}
