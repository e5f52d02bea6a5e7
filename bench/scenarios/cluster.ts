import { processCpuMicros } from '../processes/proc.js';
import { startRedisCluster } from '../processes/redis-cluster.js';
import { startRedisServer } from '../processes/redis-server.js';
import type { RowSpec, TableSpec } from '../report/results.js';
import type { ServerConfig } from '../servers/server-config.js';
import { profileName, type BenchContext } from './context.js';
import { LoadPool } from './load-pool.js';
import { runStorm } from './run-storm.js';
import { startServer, type ServerProcess } from './server-process.js';
import { connectUsers, QUIET_HEARTBEAT } from './session.js';
import { isOurModule, type SystemSpec } from './systems.js';

export const CLUSTER_TABLE: TableSpec = {
  id: 'cluster',
  title: 'Cluster: two nodes and Redis',
  method:
    'Two server processes share a redis-server the harness starts on a free port; every user is connected to node B and every send is issued on node A (bursts of 20 per user per turn). Ours: `ChatModule.forRoot({ authenticate, redis: { url }, nodeId, history: false })`; socket.io: `@socket.io/redis-adapter` with ioredis. Neither keeps pushes for a reconnect here; the next table compares both with recovery. CPU per message is each process’s CPU time during the storm divided by the messages received.',
  columns: [
    { id: 'ours', label: 'nest-chat-gateway, 2 nodes', short: 'ours' },
    { id: 'sio', label: 'socket.io + redis-adapter, 2 nodes', short: 'socket.io' },
  ],
  ratios: [['ours', 'sio']],
};

export const CLUSTER_ROWS = {
  throughput: { id: 'throughput', label: 'messages/s (A → Redis → B → clients)', unit: 'rate' },
  p50: { id: 'p50', label: 'p50 latency', unit: 'ms' },
  p99: { id: 'p99', label: 'p99 latency', unit: 'ms' },
  cpuA: { id: 'cpu-a', label: 'CPU per message, node A (sender)', unit: 'micros' },
  cpuB: { id: 'cpu-b', label: 'CPU per message, node B (holds the users)', unit: 'micros' },
  cpuRedis: {
    id: 'cpu-redis',
    label: 'CPU per message, redis-server (summed over the masters of a cluster)',
    unit: 'micros',
  },
} satisfies Record<string, RowSpec>;

/** Which Redis a storm runs on: one `redis-server`, or a three-master Redis Cluster. */
export type StormBackplane = 'standalone' | 'cluster';

/** The Redis of one storm: how the nodes join it, and the processes whose CPU it costs. */
interface StormRedis {
  config: { url: string } | { cluster: Array<{ host: string; port: number }> };
  pids: number[];
  stop(): Promise<void>;
}

async function startStormRedis(backplane: StormBackplane): Promise<StormRedis> {
  if (backplane === 'cluster') {
    const cluster = await startRedisCluster();
    return { config: { cluster: cluster.nodes }, pids: cluster.pids, stop: () => cluster.stop() };
  }
  const redis = await startRedisServer();
  return { config: { url: redis.url }, pids: [redis.pid], stop: () => redis.stop() };
}

const redisCpuMicros = (redis: StormRedis): number =>
  redis.pids.reduce((sum, pid) => sum + processCpuMicros(pid), 0);

/** Attempts to get one message from A to a user on B before the nodes count as not linked. */
const PROBE_ATTEMPTS = 5;

/**
 * Storm through a two-node cluster, each system with its usual Redis set-up and neither keeping
 * pushes: ours with `history: false`, as socket.io's classic adapter keeps nothing either. The
 * cluster-history table compares the two with recovery.
 */
export function clusterScenario(ctx: BenchContext, system: SystemSpec): Promise<void> {
  return clusterStorm(ctx, system, CLUSTER_TABLE, 'cluster', (config) => ({
    ...config,
    history: false,
  }));
}

/**
 * Storm through a two-node cluster, recorded in `table` (which has the rows of
 * {@link CLUSTER_ROWS}); `configure` adapts each node's configuration to the table's set-up. A
 * build of our module without the Redis transport runs two unconnected nodes: then the probe
 * never arrives, and the table says so instead of a number. The results go in the column
 * `column` (the system's own by default).
 */
export async function clusterStorm(
  ctx: BenchContext,
  system: SystemSpec,
  table: TableSpec,
  scenario: string,
  configure: (config: ServerConfig) => ServerConfig,
  {
    backplane = 'standalone',
    column = system.id,
  }: { backplane?: StormBackplane; column?: string } = {},
): Promise<void> {
  const { cluster, stallMs } = ctx.plan;
  const redis = await startStormRedis(backplane);
  const nodes: ServerProcess[] = [];
  let load: LoadPool | undefined;
  try {
    // Both nodes and the load generator boot at once: nothing is measured yet. A node that does
    // not start is reported by startNode, which never rejects.
    const [started, pool] = await Promise.allSettled([
      Promise.all(
        ['a', 'b'].map((nodeId) => {
          const config = configure({
            heartbeat: QUIET_HEARTBEAT,
            auth: 'query',
            redis: { ...redis.config, nodeId },
          });
          return startNode(ctx, system, table, column, config, `${scenario}-${nodeId}`);
        }),
      ),
      LoadPool.start(ctx.plan.workers),
    ]);
    if (started.status === 'fulfilled') {
      for (const node of started.value) if (node) nodes.push(node);
    }
    if (pool.status === 'rejected') throw pool.reason;
    load = pool.value;
    if (nodes.length < 2) return;
    const [a, b] = nodes;
    await connectUsers(ctx, load, system, b, 0, cluster.users);
    if (!(await linked(load, a, stallMs))) {
      unsupported(
        ctx,
        system,
        table,
        column,
        'no cross-node delivery',
        `a send on node A never reached a user on node B${isOurModule(system) ? '; this build of the module ignores the `redis` option, i.e. it has no Redis transport yet' : ''}`,
      );
      return;
    }
    const spec = {
      userCount: cluster.users,
      bytes: ctx.plan.storm.bytes,
      perUserPerTurn: cluster.perUserPerTurn,
    };
    await runStorm(load, a.control, { ...spec, total: cluster.warmupMessages }, stallMs);
    const [beforeA, beforeB, beforeRedis] = [
      await a.control.stats(),
      await b.control.stats(),
      redisCpuMicros(redis),
    ];
    const run = await runStorm(load, a.control, { ...spec, total: cluster.messages }, stallMs);
    const [afterA, afterB, afterRedis] = [
      await a.control.stats(),
      await b.control.stats(),
      redisCpuMicros(redis),
    ];
    const perMessage = (micros: number): number => micros / run.measurement.received;
    const { results } = ctx;
    results.add(table, CLUSTER_ROWS.throughput, column, run.throughput);
    results.add(table, CLUSTER_ROWS.p50, column, run.p50Ms);
    results.add(table, CLUSTER_ROWS.p99, column, run.p99Ms);
    results.add(table, CLUSTER_ROWS.cpuA, column, perMessage(afterA.cpuMicros - beforeA.cpuMicros));
    results.add(table, CLUSTER_ROWS.cpuB, column, perMessage(afterB.cpuMicros - beforeB.cpuMicros));
    results.add(table, CLUSTER_ROWS.cpuRedis, column, perMessage(afterRedis - beforeRedis));
    if (run.lost > 0) {
      results.note(
        `Run ${ctx.run}, ${system.label} (${column}), ${scenario}: ${run.lost} of ${run.measurement.expected} messages never arrived.`,
      );
    }
    ctx.log(
      `  ${system.label} ${scenario} (${backplane}): ${Math.round(run.throughput)} msg/s, p99 ${run.p99Ms.toFixed(1)} ms`,
    );
  } finally {
    await load?.stop();
    await Promise.all(nodes.map((node) => node.stop()));
    await redis.stop();
  }
}

/** Starts one node, or reports why it did not start (e.g. it refused the cluster options). */
async function startNode(
  ctx: BenchContext,
  system: SystemSpec,
  table: TableSpec,
  column: string,
  config: ServerConfig,
  scenario: string,
): Promise<ServerProcess | undefined> {
  try {
    return await startServer(system, config, profileName(ctx, system, scenario));
  } catch (err) {
    const reason = errorLine((err as Error).message);
    unsupported(ctx, system, table, column, 'a node did not start', reason);
    return undefined;
  }
}

/**
 * Whether a message sent on node A reaches a user on node B. Several tries, since a Redis
 * subscription may still be on its way when the nodes report ready.
 */
async function linked(load: LoadPool, a: ServerProcess, stallMs: number): Promise<boolean> {
  for (let attempt = 0; attempt < PROBE_ATTEMPTS; attempt++) {
    const { measurement } = await load.measure(
      (i) => (i === 0 ? 1 : 0),
      1,
      () => a.control.pushStorm({ userCount: 1, total: 1, perUserPerTurn: 1, bytes: 100 }),
      Math.min(stallMs, 1000),
    );
    if (measurement.received > 0) return true;
  }
  return false;
}

/** Puts `reason` in the system's cells and the details in the notes and the log. */
function unsupported(
  ctx: BenchContext,
  system: SystemSpec,
  table: TableSpec,
  column: string,
  reason: string,
  details: string,
): void {
  for (const row of Object.values(CLUSTER_ROWS)) {
    ctx.results.remark(table, row, column, `not measured: ${reason}`);
  }
  ctx.results.note(`${table.title}, ${system.label}, not measured: ${details}.`);
  ctx.log(`  ${system.label} ${table.id}: NOT MEASURED: ${details}`);
}

/** The line of a child's output that names the error, for a one-line note. */
function errorLine(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find((l) => /error/i.test(l)) ?? lines[0] ?? 'no output';
}
