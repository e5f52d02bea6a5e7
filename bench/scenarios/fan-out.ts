import type { RowSpec, TableSpec } from '../report/results.js';
import type { BenchContext } from './context.js';
import type { LoadPool } from './load-pool.js';
import type { ServerProcess } from './server-process.js';
import { SYSTEM_COLUMNS, SYSTEM_RATIOS, type SystemSpec } from './systems.js';

export const FAN_OUT_TABLE: TableSpec = {
  id: 'fan-out',
  title: 'Fan-out of one message',
  method:
    '`broadcast` to every connected user, and `sendMany` to all of them by name, of one stamped 100-byte message: time from the send call until the last client received it, and the server’s CPU time from just before the call until then.',
  columns: SYSTEM_COLUMNS,
  ratios: SYSTEM_RATIOS,
};

const KINDS = [
  { id: 'broadcast', label: '`broadcast`' },
  { id: 'send-many', label: '`sendMany`' },
] as const;

function rows(kind: (typeof KINDS)[number], users: number): { time: RowSpec; cpu: RowSpec } {
  const to = `${kind.label} to ${users.toLocaleString('en-US')} users`;
  return {
    time: { id: `${kind.id}.${users}.time`, label: `${to}: until all received`, unit: 'ms' },
    cpu: { id: `${kind.id}.${users}.cpu`, label: `${to}: server CPU time`, unit: 'ms' },
  };
}

/** Broadcast and sendMany to all `users` connected users, `fanOutRepetitions` times each. */
export async function fanOut(
  ctx: BenchContext,
  system: SystemSpec,
  server: ServerProcess,
  load: LoadPool,
  users: number,
): Promise<void> {
  const bytes = ctx.plan.storm.bytes;
  for (let rep = 0; rep < ctx.plan.fanOutRepetitions; rep++) {
    for (const kind of KINDS) {
      const before = await server.control.stats();
      const { result, measurement } = await load.measure(
        () => 1,
        users,
        () =>
          kind.id === 'broadcast'
            ? server.control.broadcast({ bytes })
            : server.control.sendMany({ bytes, userCount: users }),
        ctx.plan.stallMs,
      );
      const after = await server.control.stats();
      const row = rows(kind, users);
      ctx.results.add(
        FAN_OUT_TABLE,
        row.time,
        system.id,
        (measurement.lastReceivedNs - result.sentNs) / 1e6,
      );
      ctx.results.add(
        FAN_OUT_TABLE,
        row.cpu,
        system.id,
        (after.cpuMicros - before.cpuMicros) / 1000,
      );
      if (measurement.received < users) {
        ctx.results.note(
          `Run ${ctx.run}, ${system.label}, ${kind.id} to ${users}: ${users - measurement.received} clients never received it.`,
        );
      }
    }
  }
}
