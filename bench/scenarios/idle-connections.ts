import type { RowSpec, TableSpec } from '../report/results.js';
import type { ConnectSummary } from './load-pool.js';
import type { BenchContext } from './context.js';
import { fanOut } from './fan-out.js';
import { connectUsers, QUIET_HEARTBEAT, withSession } from './session.js';
import { columnOf, system, SYSTEM_COLUMNS, SYSTEM_RATIOS, type SystemSpec } from './systems.js';

/**
 * Raw ws greeting each connection with a welcome-shaped frame, as ours does: it opens connections
 * only (no fan-out), so that the handshake rows show what the greeting costs by itself.
 */
const WELCOME_REFERENCE = columnOf(system('raw-welcome'));

export const CONNECTIONS_TABLE: TableSpec = {
  id: 'connections',
  title: 'Idle connections and handshakes',
  method:
    'A fresh server is measured after a full GC, then the load generator opens the connections (each worker keeping a fixed number of handshakes in flight) until the server has registered all of them, and the server is measured again after another full GC. Per-connection figures are the differences divided by the count. Handshakes/s run from the first handshake started to the last client ready (our `welcome` frame, the raw `open`, socket.io’s `connect`). “Raw ws + welcome frame” is the raw server greeting each connection with a frame shaped like our `welcome`, written with the 101 in one system call as ours is: the cost of the greeting our protocol requires, apart from everything else our module does; it opens connections only.',
  columns: [...SYSTEM_COLUMNS, WELCOME_REFERENCE],
  ratios: [...SYSTEM_RATIOS, ['ours', WELCOME_REFERENCE.id], [WELCOME_REFERENCE.id, 'raw']],
};

export const MEMORY_ROWS = {
  rss: { id: 'rss', label: 'RSS per idle connection', unit: 'bytes' },
  heap: { id: 'heap', label: 'JS heap per idle connection', unit: 'bytes' },
} satisfies Record<string, RowSpec>;

/** The rows of a wave of handshakes, trusting `?user=` or verifying a JWT. */
export function handshakeRows(auth: 'query' | 'jwt'): Record<'rate' | 'cpu' | 'loadCpu', RowSpec> {
  const jwt = auth === 'jwt';
  const how = jwt ? 'JWT' : '`?user=`';
  return {
    rate: {
      id: `${auth}.rate`,
      label: `handshakes/s, ${jwt ? 'JWT verified (`jwtAuthenticator`)' : '`?user=` (no verification)'}`,
      unit: 'rate',
    },
    cpu: { id: `${auth}.cpu`, label: `server CPU per handshake, ${how}`, unit: 'micros' },
    loadCpu: {
      id: `${auth}.load-cpu`,
      label: `load-generator CPU per handshake, ${how} (all workers)`,
      unit: 'micros',
      // The clients' cost, not the server's: it says which side limited the rate.
      better: 'neither',
    },
  };
}

/**
 * Records a wave of handshakes: its rate, and the CPU each one cost the server and the load
 * generator (whichever is higher was likely the limit).
 */
export function recordHandshakes(
  ctx: BenchContext,
  system: SystemSpec,
  summary: ConnectSummary,
  serverCpuMicros: number,
  rows: ReturnType<typeof handshakeRows>,
): void {
  ctx.results.add(CONNECTIONS_TABLE, rows.rate, system.id, summary.rate);
  ctx.results.add(CONNECTIONS_TABLE, rows.cpu, system.id, serverCpuMicros / summary.opened);
  ctx.results.add(CONNECTIONS_TABLE, rows.loadCpu, system.id, summary.cpuMicros / summary.opened);
}

/**
 * Memory per idle connection and the handshake rate without authentication cost, then the large
 * fan-out to all of those connections.
 */
export async function idleConnectionsScenario(
  ctx: BenchContext,
  system: SystemSpec,
): Promise<void> {
  const count = ctx.plan.idleConnections;
  const config = { heartbeat: QUIET_HEARTBEAT, auth: 'query' } as const;
  await withSession(ctx, system, 'idle', config, async ({ server, load }) => {
    const empty = await server.control.collectGarbage();
    const summary = await connectUsers(ctx, load, system, server, 0, count);
    const connected = await server.control.stats();
    const full = await server.control.collectGarbage();
    recordHandshakes(
      ctx,
      system,
      summary,
      connected.cpuMicros - empty.cpuMicros,
      handshakeRows('query'),
    );
    const rss = (full.rss - empty.rss) / count;
    const heap = (full.heapUsed - empty.heapUsed) / count;
    ctx.results.add(CONNECTIONS_TABLE, MEMORY_ROWS.rss, system.id, rss);
    ctx.results.add(CONNECTIONS_TABLE, MEMORY_ROWS.heap, system.id, heap);
    ctx.log(
      `  ${system.label} idle: ${Math.round(summary.rate)} handshakes/s, ${(rss / 1024).toFixed(1)} KiB RSS and ${(heap / 1024).toFixed(1)} KiB heap per connection`,
    );
    if (system.id !== WELCOME_REFERENCE.id) await fanOut(ctx, system, server, load, count);
  });
}
