import type { StormShape } from '../plan.js';
import type { RowSpec, TableSpec } from '../report/results.js';
import type { BenchContext } from './context.js';
import { cpuPercent } from './cpu.js';
import { fanOut } from './fan-out.js';
import type { LoadPool } from './load-pool.js';
import { runStorm } from './run-storm.js';
import type { ServerProcess } from './server-process.js';
import { connectUsers, QUIET_HEARTBEAT, withSession } from './session.js';
import { SYSTEM_COLUMNS, SYSTEM_RATIOS, type SystemSpec } from './systems.js';

export const STORM_TABLE: TableSpec = {
  id: 'storm',
  title: 'Push storm',
  method:
    'Each system’s server-side send API pushes a storm of stamped messages, round-robin over users that each have one connection, yielding one `setImmediate` per turn. Throughput runs from the first send to the last arrival; latency from each send call to its arrival in a client. Every session first pushes an unmeasured warm-up storm.',
  columns: SYSTEM_COLUMNS,
  ratios: SYSTEM_RATIOS,
};

export function stormRows(
  shape: StormShape,
): Record<'throughput' | 'p50' | 'p99' | 'server' | 'load', RowSpec> {
  return {
    throughput: { id: `${shape.id}.throughput`, label: `${shape.label}: messages/s`, unit: 'rate' },
    p50: { id: `${shape.id}.p50`, label: `${shape.label}: p50 latency`, unit: 'ms' },
    p99: { id: `${shape.id}.p99`, label: `${shape.label}: p99 latency`, unit: 'ms' },
    // Busy share of the storm's wall time: a faster server may well be busier. These rows say
    // which process was the limit; the throughput and latency rows carry the judgement.
    server: {
      id: `${shape.id}.server-cpu`,
      label: `${shape.label}: server CPU`,
      unit: 'percent',
      better: 'neither',
    },
    load: {
      id: `${shape.id}.load-cpu`,
      label: `${shape.label}: load-generator CPU (all workers)`,
      unit: 'percent',
      better: 'neither',
    },
  };
}

/**
 * Storms of each traffic shape to `storm.users` connected users, then the small fan-out to all
 * of them, against one fresh server.
 */
export async function stormScenario(ctx: BenchContext, system: SystemSpec): Promise<void> {
  const config = { heartbeat: QUIET_HEARTBEAT, auth: 'query' } as const;
  await withSession(ctx, system, 'storm', config, async ({ server, load }) => {
    await connectUsers(ctx, load, system, server, 0, ctx.plan.storm.users);
    await measureShapes(ctx, STORM_TABLE, system.id, `${system.label} storm`, server, load);
    await fanOut(ctx, system, server, load, ctx.plan.storm.users);
  });
}

/**
 * After an unmeasured warm-up storm, a storm of each traffic shape of the plan to the
 * `storm.users` users connected to `server`, each recorded in `table`'s `column` (in the rows
 * of {@link stormRows}); `label` starts the log lines and the notes.
 */
export async function measureShapes(
  ctx: BenchContext,
  table: TableSpec,
  column: string,
  label: string,
  server: ServerProcess,
  load: LoadPool,
): Promise<void> {
  const { storm, stallMs } = ctx.plan;
  const spec = { userCount: storm.users, bytes: storm.bytes };
  await runStorm(
    load,
    server.control,
    { ...spec, total: storm.warmupMessages, perUserPerTurn: 20 },
    stallMs,
  );
  for (const shape of storm.shapes) {
    const before = await server.control.stats();
    const run = await runStorm(
      load,
      server.control,
      { ...spec, total: storm.messages, perUserPerTurn: shape.perUserPerTurn },
      stallMs,
    );
    const after = await server.control.stats();
    const rows = stormRows(shape);
    const { results } = ctx;
    results.add(table, rows.throughput, column, run.throughput);
    results.add(table, rows.p50, column, run.p50Ms);
    results.add(table, rows.p99, column, run.p99Ms);
    results.add(table, rows.server, column, cpuPercent(before, after));
    results.add(
      table,
      rows.load,
      column,
      (100 * run.measurement.cpuMicros) / (run.measurement.wallNs / 1000),
    );
    if (run.lost > 0) {
      results.note(
        `Run ${ctx.run}, ${label} (${shape.label}): ${run.lost} of ${run.measurement.expected} messages never arrived.`,
      );
    }
    ctx.log(
      `  ${label} ${shape.id}: ${Math.round(run.throughput)} msg/s, p50 ${run.p50Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms, server CPU ${cpuPercent(before, after).toFixed(0)} %`,
    );
  }
}
