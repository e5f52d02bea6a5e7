import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nowNs } from '../clock.js';
import { paths } from '../paths.js';
import { startChild, stopChild, whileRunning, type Child } from '../processes/children.js';
import { freeLoopbackPort } from '../processes/free-port.js';
import { startRedisServer, type RedisServer } from '../processes/redis-server.js';
import type { RowSpec, TableSpec } from '../report/results.js';
import { userId } from '../users.js';
import type { BenchContext } from './context.js';
import { mergeMeasurements, type LoadPool } from './load-pool.js';
import { startFleet } from './scale.js';
import type { SystemSpec } from './systems.js';

export const SCALE_DEMO_TABLE: TableSpec = {
  id: 'scale-demo',
  title: 'Scale: the demo application on three nodes',
  method:
    'The demo itself (`npm run build:sample`, dist-sample/sample/main.js), three processes on one redis-server with `CHAT_REDIS_URL`, `CHAT_AUTH=query`, `CHAT_HEARTBEAT_INTERVAL_MS=2000` and distinct `PORT`s; one load process per node, each from its own loopback address, fills its node with users, all three at once. Registrations are read from each node’s `chat_connections` gauge on `/metrics`, right after the last welcome and again after several heartbeat sweeps; the event-loop lag is prom-client’s `nodejs_eventloop_lag_max_seconds` over the sweeps, worst node. Sends: `POST /users/:user/messages` on every node to users on each other node, one each, at once.',
  columns: [{ id: 'ours', label: 'demo, 3 nodes', short: 'demo' }],
  ratios: [],
};

export const SCALE_DEMO_ROWS = {
  users: { id: 'users', label: 'users connected', unit: 'count', better: 'neither' },
  registered: {
    id: 'registered',
    label: 'registered after the last welcome (sum of the gauges)',
    unit: 'count',
  },
  held: { id: 'held', label: 'registered after the sweeps (sum of the gauges)', unit: 'count' },
  openSeconds: {
    id: 'open-seconds',
    label: 'time to open all (s)',
    unit: 'count',
    better: 'lower',
  },
  openRate: { id: 'open-rate', label: 'handshakes/s, all nodes together', unit: 'rate' },
  lag: { id: 'lag', label: 'event-loop lag during the sweeps, worst node', unit: 'ms' },
  sent: { id: 'sent', label: 'sends across nodes', unit: 'count', better: 'neither' },
  received: { id: 'received', label: 'sends received', unit: 'count' },
  p99: { id: 'p99', label: 'send p99 latency (HTTP request to arrival)', unit: 'ms' },
} satisfies Record<string, RowSpec>;

const DEMO_MAIN = join(paths.root, 'dist-sample/sample/main.js');
const READY_TIMEOUT_MS = 30_000;
const REGISTRATION_TIMEOUT_MS = 60_000;
/** Heartbeat sweeps watched. */
const SWEEPS = 3;
/** Users per ordered pair of nodes that get a send. */
const SENDS_PER_PAIR = 200;

interface DemoNode {
  child: Child;
  port: number;
}

/**
 * The demo application holding `scale.connectionsPerNode` users on each of three nodes: every
 * connection registered, none lost over several heartbeat sweeps, sends reaching users on every
 * node.
 */
export async function scaleDemoScenario(ctx: BenchContext, system: SystemSpec): Promise<void> {
  const plan = ctx.plan.scale;
  // The demo is built from this checkout, like the module the other scenarios run.
  execFileSync('npm', ['run', '-s', 'build:sample'], { cwd: paths.root, stdio: 'ignore' });
  const redis: RedisServer = await startRedisServer();
  const nodes: DemoNode[] = [];
  const pools: LoadPool[] = [];
  const indexes = Array.from({ length: plan.nodes }, (_, k) => k);
  try {
    await startFleet(plan.nodes, (k) => startDemo(redis.url, `demo-${k}`), nodes, pools);

    const per = plan.connectionsPerNode;
    const total = per * plan.nodes;
    const summaries = await Promise.all(
      indexes.map((k) =>
        pools[k].connect(
          'ours',
          k * per,
          (k + 1) * per,
          (i) => `ws://127.0.0.1:${nodes[k].port}/ws?user=${userId(i)}`,
          ctx.plan.connectConcurrency,
        ),
      ),
    );
    const opened = summaries.reduce((n, s) => n + s.opened, 0);
    const seconds = Math.max(...summaries.map((s) => s.seconds));
    const firstError = summaries.find((s) => s.firstError)?.firstError;
    const registered = await gauges(nodes);
    const add = (row: RowSpec, value: number): void =>
      ctx.results.add(SCALE_DEMO_TABLE, row, system.id, value);
    add(SCALE_DEMO_ROWS.users, total);
    add(SCALE_DEMO_ROWS.registered, sum(registered));
    add(SCALE_DEMO_ROWS.openSeconds, seconds);
    add(SCALE_DEMO_ROWS.openRate, opened / seconds);
    if (opened < total) {
      ctx.results.note(
        `Run ${ctx.run}, demo on three nodes: ${total - opened} of ${total} handshakes failed (first: ${firstError}).`,
      );
    }

    await Promise.all(nodes.map((node) => metric(node, 'nodejs_eventloop_lag_max_seconds')));
    await sleep(SWEEPS * 2000 + 500);
    const lag = await Promise.all(
      nodes.map((node) => metric(node, 'nodejs_eventloop_lag_max_seconds')),
    );
    const held = await gauges(nodes);
    add(SCALE_DEMO_ROWS.lag, Math.max(...lag) * 1000);
    add(SCALE_DEMO_ROWS.held, sum(held));
    if (sum(held) !== opened) {
      ctx.results.note(
        `Run ${ctx.run}, demo on three nodes: the gauges counted ${sum(held)} connections after ${SWEEPS} sweeps, ${opened} were opened (per node: ${held.join(', ')}).`,
      );
    }

    // Every node sends to users of each other node, each user once, all at once.
    const users = Math.min(SENDS_PER_PAIR, Math.floor(per / (plan.nodes - 1)));
    const flows = indexes.flatMap((to) =>
      indexes
        .filter((from) => from !== to)
        .map((from, slot) => ({ from, first: to * per + slot * users })),
    );
    const targeted = users * (plan.nodes - 1);
    const expected = await Promise.all(
      pools.map((pool) => pool.arm((i) => (i < targeted ? 1 : 0), per)),
    );
    await Promise.all(
      flows.flatMap(({ from, first }) =>
        Array.from({ length: users }, (_, u) => push(nodes[from], userId(first + u))),
      ),
    );
    const parts = await Promise.all(
      pools.map((pool, k) => pool.collect(expected[k], ctx.plan.stallMs)),
    );
    const measurement = mergeMeasurements(sum(expected), parts);
    add(SCALE_DEMO_ROWS.sent, measurement.expected);
    add(SCALE_DEMO_ROWS.received, measurement.received);
    add(SCALE_DEMO_ROWS.p99, measurement.latency.quantile(0.99) / 1000);
    ctx.log(
      `  demo scale: ${opened}/${total} opened in ${seconds.toFixed(1)} s, gauges ${registered.join('+')} then ${held.join('+')}, lag max ${(Math.max(...lag) * 1000).toFixed(0)} ms, sends ${measurement.received}/${measurement.expected}`,
    );
  } finally {
    await Promise.all(pools.map((pool) => pool.stop()));
    await Promise.all(nodes.map((node) => stopChild(node.child)));
    await redis.stop();
  }
}

async function startDemo(redisUrl: string, nodeId: string): Promise<DemoNode> {
  const port = await freeLoopbackPort();
  const child = startChild(process.execPath, [DEMO_MAIN], {
    name: `demo ${nodeId}`,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      NO_COLOR: '1',
      CHAT_REDIS_URL: redisUrl,
      CHAT_AUTH: 'query',
      CHAT_NODE_ID: nodeId,
      CHAT_HEARTBEAT_INTERVAL_MS: '2000',
    },
  });
  await whileRunning(
    child,
    new Promise<void>((resolve) => {
      child.process.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes(`Listening on http://127.0.0.1:${port}`)) resolve();
      });
    }),
    READY_TIMEOUT_MS,
  );
  return { child, port };
}

/** Each node's `chat_connections`, once they stop changing (or the timeout passes). */
async function gauges(nodes: DemoNode[]): Promise<number[]> {
  const deadline = Date.now() + REGISTRATION_TIMEOUT_MS;
  let last = await Promise.all(nodes.map((node) => metric(node, 'chat_connections')));
  for (;;) {
    await sleep(500);
    const now = await Promise.all(nodes.map((node) => metric(node, 'chat_connections')));
    if (now.every((n, k) => n === last[k]) || Date.now() > deadline) return now;
    last = now;
  }
}

/** A metric without labels from a node's `/metrics`. */
async function metric(node: DemoNode, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${node.port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`demo ${node.port}: no metric ${name}`);
  return Number(line.slice(name.length + 1));
}

/** `POST /users/:user/messages` with a stamped body, as the load workers read it. */
async function push(node: DemoNode, user: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${node.port}/users/${user}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ t: nowNs() }),
  });
  if (response.status !== 202) throw new Error(`POST /users/${user}/messages: ${response.status}`);
  await response.arrayBuffer();
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
