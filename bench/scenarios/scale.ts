import { Redis } from 'ioredis';
import { processCpuMicros } from '../processes/proc.js';
import { startRedisServer, type RedisServer } from '../processes/redis-server.js';
import type { RowSpec, TableSpec } from '../report/results.js';
import type { ProcessStats } from '../servers/process-stats.js';
import type { ServerConfig } from '../servers/server-config.js';
import { profileName, type BenchContext } from './context.js';
import { LoadPool, mergeMeasurements, type ConnectSummary } from './load-pool.js';
import { startServer, type ServerProcess } from './server-process.js';
import { untilConnections } from './session.js';
import { isOurModule, type SystemSpec } from './systems.js';

export const SCALE_TABLE: TableSpec = {
  id: 'scale',
  title: 'Scale: three nodes full of idle connections',
  method:
    'Three server processes (ours on one redis-server the harness starts, with the default history; raw ws processes know nothing of each other), each filled by its own load process whose clients connect from their own loopback address (127.0.0.2, .3, .4; one address has ~28 000 ports), all three at once. Memory per connection: every node after a full GC, before and after, summed and divided by all connections. Opening: from the first handshake started to the last welcome, and the CPU of all nodes together per handshake. Heartbeat: every node pings all its connections every 2 s; the event-loop delay is watched over several sweeps, worst node shown. Targeted sends: every node pushes to users held by each other node, all six flows at once.',
  columns: [
    { id: 'ours', label: 'nest-chat-gateway, 3 nodes', short: 'ours' },
    { id: 'raw', label: 'raw ws, 3 processes', short: 'raw ws' },
  ],
  ratios: [['ours', 'raw']],
};

export const SCALE_ROWS = {
  connections: {
    id: 'connections',
    label: 'connections held (all nodes, after the sweeps)',
    unit: 'count',
    better: 'neither',
  },
  rss: { id: 'rss', label: 'RSS per connection', unit: 'bytes' },
  heap: { id: 'heap', label: 'JS heap per connection', unit: 'bytes' },
  openSeconds: { id: 'open-seconds', label: 'time to open all (s)', unit: 'count' },
  openRate: { id: 'open-rate', label: 'handshakes/s, all nodes together', unit: 'rate' },
  openCpu: { id: 'open-cpu', label: 'server CPU per handshake (all nodes)', unit: 'micros' },
  openRedisCpu: {
    id: 'open-redis-cpu',
    label: 'redis-server CPU per handshake (presence join, stream position)',
    unit: 'micros',
  },
  redisBytes: {
    id: 'redis-bytes',
    label: 'redis-server memory per connection (`used_memory`)',
    unit: 'bytes',
  },
  loadCpu: {
    id: 'load-cpu',
    label: 'load-generator CPU per handshake',
    unit: 'micros',
    better: 'neither',
  },
  sweepMax: { id: 'sweep-max', label: 'heartbeat: max event-loop delay, worst node', unit: 'ms' },
  sweepP99: { id: 'sweep-p99', label: 'heartbeat: p99 event-loop delay, worst node', unit: 'ms' },
  sweepCpu: {
    id: 'sweep-cpu',
    label: 'heartbeat: CPU per connection per sweep',
    unit: 'micros',
  },
  sendRate: {
    id: 'send-rate',
    label: 'targeted sends across nodes, messages/s (6 flows)',
    unit: 'rate',
  },
  sendP50: { id: 'send-p50', label: 'targeted sends, p50 latency', unit: 'ms' },
  sendP99: { id: 'send-p99', label: 'targeted sends, p99 latency', unit: 'ms' },
  sendCpu: {
    id: 'send-cpu',
    label: 'targeted sends: CPU per message, all nodes',
    unit: 'micros',
  },
  sendRedisCpu: {
    id: 'send-redis-cpu',
    label: 'targeted sends: CPU per message, redis-server',
    unit: 'micros',
  },
} satisfies Record<string, RowSpec>;

/**
 * Starts `count` nodes and one single-worker load pool per node, whose clients connect from
 * 127.0.0.2, .3, …, all at once. What started is pushed into `nodes` and `pools`, also when
 * something else failed to start (then this throws), so that the caller can stop it.
 */
export async function startFleet<T>(
  count: number,
  startNode: (index: number) => Promise<T>,
  nodes: T[],
  pools: LoadPool[],
): Promise<void> {
  const indexes = Array.from({ length: count }, (_, k) => k);
  const [started, loads] = await Promise.all([
    Promise.allSettled(indexes.map(startNode)),
    Promise.allSettled(indexes.map((k) => LoadPool.start(1, `127.0.0.${k + 2}`))),
  ]);
  for (const outcome of started) if (outcome.status === 'fulfilled') nodes.push(outcome.value);
  for (const outcome of loads) if (outcome.status === 'fulfilled') pools.push(outcome.value);
  const failed = [...started, ...loads].find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/**
 * Several nodes full of idle connections (ours on one Redis, raw ws as independent processes):
 * memory per connection, the time and CPU to open them all at once, the heartbeat sweeps' delay,
 * and, for ours, targeted sends from every node to users on every other node.
 */
export async function scaleScenario(ctx: BenchContext, system: SystemSpec): Promise<void> {
  const plan = ctx.plan.scale;
  const ours = isOurModule(system);
  const redis: RedisServer | undefined = ours ? await startRedisServer() : undefined;
  const nodes: ServerProcess[] = [];
  const pools: LoadPool[] = [];
  try {
    const heartbeat = {
      intervalMs: plan.heartbeatIntervalMs,
      timeoutMs: plan.heartbeatTimeoutMs,
    };
    const indexes = Array.from({ length: plan.nodes }, (_, k) => k);
    await startFleet(
      plan.nodes,
      (k) => {
        const config: ServerConfig = {
          heartbeat,
          auth: 'query',
          ...(redis && { redis: { url: redis.url, nodeId: `n${k}` } }),
        };
        return startServer(system, config, profileName(ctx, system, `scale-n${k}`));
      },
      nodes,
      pools,
    );

    const per = plan.connectionsPerNode;
    const total = per * plan.nodes;
    const block = (k: number): [number, number] => [k * per, (k + 1) * per];
    const empty = await Promise.all(nodes.map((n) => n.control.collectGarbage()));
    const redisEmpty = redis && {
      cpu: processCpuMicros(redis.pid),
      bytes: await usedMemory(redis),
    };

    // Every node is filled at once, as a cluster behind a load balancer is.
    const summaries = await Promise.all(
      indexes.map((k) =>
        pools[k].connect(
          system.protocol,
          ...block(k),
          (i) => system.url(nodes[k].wsPort, i),
          ctx.plan.connectConcurrency,
        ),
      ),
    );
    const opened = combine(summaries);
    if (opened.failed > 0) {
      throw new Error(
        `${opened.failed} of ${total} handshakes failed (first: ${opened.firstError})`,
      );
    }
    await everyNodeFull(nodes, per);
    const connected = await Promise.all(nodes.map((n) => n.control.stats()));
    const full = await Promise.all(nodes.map((n) => n.control.collectGarbage()));

    const { results } = ctx;
    const add = (row: RowSpec, value: number): void =>
      results.add(SCALE_TABLE, row, system.id, value);
    add(SCALE_ROWS.rss, sumOf(full, empty, (s) => s.rss) / total);
    add(SCALE_ROWS.heap, sumOf(full, empty, (s) => s.heapUsed) / total);
    add(SCALE_ROWS.openSeconds, opened.seconds);
    add(SCALE_ROWS.openRate, opened.rate);
    add(SCALE_ROWS.openCpu, sumOf(connected, empty, (s) => s.cpuMicros) / opened.opened);
    add(SCALE_ROWS.loadCpu, opened.cpuMicros / opened.opened);
    if (redis && redisEmpty) {
      add(SCALE_ROWS.openRedisCpu, (processCpuMicros(redis.pid) - redisEmpty.cpu) / opened.opened);
      add(SCALE_ROWS.redisBytes, ((await usedMemory(redis)) - redisEmpty.bytes) / opened.opened);
    } else {
      for (const row of [SCALE_ROWS.openRedisCpu, SCALE_ROWS.redisBytes]) {
        results.remark(SCALE_TABLE, row, system.id, 'no Redis');
      }
    }

    // The sweeps: nothing else happens on the nodes meanwhile.
    await Promise.all(nodes.map((n) => n.control.resetEventLoopDelay()));
    const beforeSweeps = await Promise.all(nodes.map((n) => n.control.stats()));
    await new Promise((resolve) => setTimeout(resolve, plan.sweepWindowMs));
    const afterSweeps = await Promise.all(nodes.map((n) => n.control.stats()));
    const sweeps = plan.sweepWindowMs / plan.heartbeatIntervalMs;
    add(SCALE_ROWS.sweepMax, Math.max(...afterSweeps.map((s) => s.eventLoopDelay.maxMs)));
    add(SCALE_ROWS.sweepP99, Math.max(...afterSweeps.map((s) => s.eventLoopDelay.p99Ms)));
    add(SCALE_ROWS.sweepCpu, sumOf(afterSweeps, beforeSweeps, (s) => s.cpuMicros) / total / sweeps);
    const held = afterSweeps.reduce((n, s) => n + s.connections, 0);
    add(SCALE_ROWS.connections, held);
    if (held !== total) {
      results.note(
        `Run ${ctx.run}, ${system.label}, scale: ${total - held} of ${total} connections were lost during the heartbeat sweeps.`,
      );
    }

    if (!ours) {
      for (const row of [
        SCALE_ROWS.sendRate,
        SCALE_ROWS.sendP50,
        SCALE_ROWS.sendP99,
        SCALE_ROWS.sendCpu,
        SCALE_ROWS.sendRedisCpu,
      ]) {
        results.remark(SCALE_TABLE, row, system.id, 'no cross-node routing');
      }
    } else {
      await targetedSends(ctx, system, nodes, pools, redis!);
    }
    ctx.log(
      `  ${system.label} scale: ${held}/${total} held, opened in ${opened.seconds.toFixed(1)} s, ${(sumOf(full, empty, (s) => s.rss) / total / 1024).toFixed(1)} KiB RSS per connection, sweep max delay ${Math.max(...afterSweeps.map((s) => s.eventLoopDelay.maxMs)).toFixed(1)} ms`,
    );
  } finally {
    await Promise.all(pools.map((pool) => pool.stop()));
    await Promise.all(nodes.map((node) => node.stop()));
    await redis?.stop();
  }
}

/**
 * Every node pushes to `usersPerPair` users of each other node, `messagesPerPair` messages per
 * pair, all flows at once. Each flow has users of its own: two nodes sending to one user at once
 * make its pushes arrive out of offset order, and every such gap is filled from the history,
 * which is another measurement.
 */
async function targetedSends(
  ctx: BenchContext,
  system: SystemSpec,
  nodes: ServerProcess[],
  pools: LoadPool[],
  redis: RedisServer,
): Promise<void> {
  const plan = ctx.plan.scale;
  const per = plan.connectionsPerNode;
  const users = plan.usersPerPair;
  const others = nodes.length - 1;
  const perUser = Math.floor(plan.messagesPerPair / users);
  // Flow from → to takes the users of `to`'s block after those of the senders before it.
  const flows = nodes.flatMap((_, to) =>
    nodes
      .map((__, from) => from)
      .filter((from) => from !== to)
      .map((from, slot) => ({ from, firstUser: to * per + slot * users })),
  );
  const targeted = users * others;
  const spec = { userCount: users, total: perUser * users, perUserPerTurn: 1, bytes: 100 };
  // One unmeasured round first, so that every node runs compiled code when measured.
  const warm = await Promise.all(pools.map((pool) => pool.arm((i) => (i < targeted ? 1 : 0), per)));
  await Promise.all(
    flows.map(({ from, firstUser }) =>
      nodes[from].control.pushStorm({ ...spec, total: users, firstUser }),
    ),
  );
  await Promise.all(pools.map((pool, k) => pool.collect(warm[k], ctx.plan.stallMs)));

  const expected = await Promise.all(
    pools.map((pool) => pool.arm((i) => (i < targeted ? perUser : 0), per)),
  );
  const before = await Promise.all(nodes.map((n) => n.control.stats()));
  const redisBefore = processCpuMicros(redis.pid);
  const storms = await Promise.all(
    flows.map(({ from, firstUser }) => nodes[from].control.pushStorm({ ...spec, firstUser })),
  );
  const parts = await Promise.all(
    pools.map((pool, k) => pool.collect(expected[k], plan.sendStallMs)),
  );
  const after = await Promise.all(nodes.map((n) => n.control.stats()));
  const redisCpu = processCpuMicros(redis.pid) - redisBefore;
  const measurement = mergeMeasurements(
    expected.reduce((a, b) => a + b, 0),
    parts,
  );
  const startNs = Math.min(...storms.map((s) => s.startNs));
  const seconds = (measurement.lastReceivedNs - startNs) / 1e9;
  const add = (row: RowSpec, value: number): void =>
    ctx.results.add(SCALE_TABLE, row, system.id, value);
  add(SCALE_ROWS.sendRate, measurement.received / seconds);
  add(SCALE_ROWS.sendP50, measurement.latency.quantile(0.5) / 1000);
  add(SCALE_ROWS.sendP99, measurement.latency.quantile(0.99) / 1000);
  add(SCALE_ROWS.sendCpu, sumOf(after, before, (s) => s.cpuMicros) / measurement.received);
  add(SCALE_ROWS.sendRedisCpu, redisCpu / measurement.received);
  const lost = measurement.expected - measurement.received;
  if (lost > 0) {
    ctx.results.note(
      `Run ${ctx.run}, ${system.label}, scale: ${lost} of ${measurement.expected} targeted sends never arrived.`,
    );
  }
  ctx.log(
    `  ${system.label} scale sends: ${Math.round(measurement.received / seconds)} msg/s, p99 ${(measurement.latency.quantile(0.99) / 1000).toFixed(1)} ms, ${lost} lost`,
  );
}

/** What redis-server says its data takes (`INFO memory`: `used_memory`), in bytes. */
async function usedMemory(redis: RedisServer): Promise<number> {
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const info = await client.info('memory');
    return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
  } finally {
    client.disconnect();
  }
}

/** Waits until every node holds its share, as its gauge says. */
export async function everyNodeFull(nodes: ServerProcess[], per: number): Promise<void> {
  await Promise.all(
    nodes.map((node, k) => untilConnections(node, (n) => n >= per, `register ${per} (node ${k})`)),
  );
}

/** The change of `value` from `before` to `after`, summed over the nodes. */
export function sumOf(
  after: readonly ProcessStats[],
  before: readonly ProcessStats[],
  value: (stats: ProcessStats) => number,
): number {
  return after.reduce((total, stats, i) => total + value(stats) - value(before[i]), 0);
}

/** Waves of handshakes run at once, as one: from the first started to the last finished. */
function combine(summaries: readonly ConnectSummary[]): ConnectSummary {
  const opened = summaries.reduce((n, s) => n + s.opened, 0);
  // Each summary's own span; they started together, so the longest is the wave's.
  const seconds = Math.max(...summaries.map((s) => s.seconds));
  return {
    opened,
    failed: summaries.reduce((n, s) => n + s.failed, 0),
    firstError: summaries.find((s) => s.firstError)?.firstError,
    seconds,
    rate: opened / seconds,
    cpuMicros: summaries.reduce((n, s) => n + s.cpuMicros, 0),
  };
}
