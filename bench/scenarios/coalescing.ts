import type { TableSpec } from '../report/results.js';
import type { CoalesceSetting } from '../servers/server-config.js';
import type { BenchContext } from './context.js';
import { runStorm } from './run-storm.js';
import { connectUsers, QUIET_HEARTBEAT, withSession } from './session.js';
import type { SystemSpec } from './systems.js';

/** The settings compared, from none to holding a burst for the whole event-loop turn. */
const SETTINGS: { id: string; label: string; setting: CoalesceSetting }[] = [
  { id: 'off', label: '`false`', setting: false },
  { id: 'hold5', label: '`{ maxHoldMs: 5 }` (default)', setting: { maxHoldMs: 5 } },
  { id: 'hold20', label: '`{ maxHoldMs: 20 }`', setting: { maxHoldMs: 20 } },
  { id: 'turn', label: 'whole turn', setting: { maxHoldMs: 60_000 } },
];

export const COALESCING_TABLE: TableSpec = {
  id: 'coalescing',
  title: 'Write coalescing: throughput against latency',
  method:
    'Our module alone, with each `coalesceWrites` setting, under the burst storm (about 20 messages per user per turn, as in the push storm above). A longer hold batches more frames per write system call and delays them more; `false` writes each frame at once, as a plain `ws.send` loop does.',
  // Ids name the system and the setting, so that the baseline's build (`--baseline`) records
  // beside ours under `base.<setting>`.
  columns: SETTINGS.map(({ id, label }) => ({ id: `ours.${id}`, label, short: id })),
  ratios: [
    ['ours.hold5', 'ours.off'],
    ['ours.turn', 'ours.off'],
  ],
};

const ROWS = {
  throughput: { id: 'throughput', label: 'bursts: messages/s', unit: 'rate' },
  p50: { id: 'p50', label: 'bursts: p50 latency', unit: 'ms' },
  p99: { id: 'p99', label: 'bursts: p99 latency', unit: 'ms' },
} as const;

/** The burst storm against our server (or the baseline's build) once per coalescing setting. */
export async function coalescingScenario(ctx: BenchContext, system: SystemSpec): Promise<void> {
  const { storm, stallMs } = ctx.plan;
  const spec = { userCount: storm.users, bytes: storm.bytes, perUserPerTurn: 20 };
  for (const { id, setting } of SETTINGS) {
    const config = { heartbeat: QUIET_HEARTBEAT, auth: 'query', coalesce: setting } as const;
    await withSession(ctx, system, `coalescing-${id}`, config, async ({ server, load }) => {
      await connectUsers(ctx, load, system, server, 0, storm.users);
      await runStorm(load, server.control, { ...spec, total: storm.warmupMessages }, stallMs);
      const run = await runStorm(load, server.control, { ...spec, total: storm.messages }, stallMs);
      const column = `${system.id}.${id}`;
      ctx.results.add(COALESCING_TABLE, ROWS.throughput, column, run.throughput);
      ctx.results.add(COALESCING_TABLE, ROWS.p50, column, run.p50Ms);
      ctx.results.add(COALESCING_TABLE, ROWS.p99, column, run.p99Ms);
      ctx.log(
        `  ${system.label} coalesceWrites ${id}: ${Math.round(run.throughput)} msg/s, p50 ${run.p50Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms`,
      );
    });
  }
}
