import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StormProtocol, StormReport } from '../load/storm-clients.js';
import { nowNs } from '../clock.js';
import { startRedisServer, type RedisServer } from '../processes/redis-server.js';
import type { RowSpec, TableSpec } from '../report/results.js';
import type { ServerConfig } from '../servers/server-config.js';
import { profileName, type BenchContext } from './context.js';
import { mergeMeasurements, type LoadPool, type Measurement } from './load-pool.js';
import { everyNodeFull, startFleet, sumOf } from './scale.js';
import { startServer, type ServerProcess } from './server-process.js';
import { isOurModule, type SystemSpec } from './systems.js';

export const RECONNECT_STORM_TABLE: TableSpec = {
  id: 'reconnect-storm',
  title: 'Reconnect storm: three nodes, every client drops at once',
  method:
    'Three nodes on one redis-server the harness starts (ours: the bench server with Redis, its default history, `limits.maxConnections` a little above its share; socket.io: `@socket.io/redis-adapter`), each filled by its own load process (started as the scale scenario’s, but its clients bind no source address: with thousands of attempts at once the kernel’s search for a free port of a bound address cost the load processes more CPU than the handshakes; every node has its own port, so each has the whole ephemeral range). Every client is the real client library left to reconnect by itself: our `ChatClient` from the build (`WebSocket` from `ws`, its default backoff: full jitter over [0, 500 ms · 2ⁿ⁻¹), at most 30 s), socket.io-client with its default reconnection (1 s doubling to 5 s, randomization 0.5). Drop: every load process destroys all its clients’ TCP sockets in one loop (no close frame, no disconnect packet). Times run from the drop to the welcome (socket.io: `connect`) of 99 % and of every client; refusals are the failed attempts the clients saw on the way (HTTP status from `ws`’s error), timeouts the attempts a client gave up on (ChatClient: no welcome within its 10 s connect timeout; socket.io-client: 20 s), other failures anything else (refused TCP connections while a node is down); the load processes’ CPU and event-loop delay say whether they, not the nodes, set the pace; the nodes’ connection gauges are summed after the last one is back. Event-loop delay (`monitorEventLoopDelay`, 1 ms sampling) and CPU are the nodes’ over the storm, worst node and all nodes. Kill: the first node (n0) is SIGKILLed, by its PID, and started again at once on its port; its clients come back with their backoff while a probe sends from each surviving node to 50 users of the other, every 100 ms, during the storm and during as long a window just before it.',
  columns: [
    { id: 'ours', label: 'nest-chat-gateway + ChatClient, 3 nodes', short: 'ours' },
    { id: 'sio', label: 'socket.io + redis-adapter, 3 nodes', short: 'socket.io' },
  ],
  ratios: [['ours', 'sio']],
};

const count = { unit: 'count', noRatio: true } as const;

export const RECONNECT_STORM_ROWS = {
  clients: { id: 'clients', label: 'clients (all nodes)', ...count, better: 'neither' },
  back99: { id: 'back-99', label: 'drop: until 99 % were back', unit: 'ms' },
  back100: { id: 'back-100', label: 'drop: until every client was back', unit: 'ms' },
  held: {
    id: 'held',
    label: 'drop: connections on the gauges after the last was back',
    ...count,
    better: 'neither',
  },
  refused503: { id: 'refused-503', label: 'drop: handshakes refused with 503', ...count },
  refused429: { id: 'refused-429', label: 'drop: handshakes refused with 429', ...count },
  timeouts: {
    id: 'timeouts',
    label: 'drop: attempts given up at the client’s connect timeout',
    ...count,
  },
  otherFailures: { id: 'other-failures', label: 'drop: other failed attempts', ...count },
  attempts: {
    id: 'attempts',
    label: 'drop: reconnect attempts scheduled',
    unit: 'count',
    better: 'neither',
  },
  stopped: {
    id: 'stopped',
    label: 'drop: clients that stopped for good (a close code that forbids retrying)',
    ...count,
  },
  eldMax: { id: 'eld-max', label: 'drop: max event-loop delay, worst node', unit: 'ms' },
  eldP99: { id: 'eld-p99', label: 'drop: p99 event-loop delay, worst node', unit: 'ms' },
  cpu: { id: 'cpu', label: 'drop: CPU of all nodes over the storm', unit: 'ms' },
  loadCpu: {
    id: 'load-cpu',
    label: 'drop: CPU of the load processes over the storm',
    unit: 'ms',
    better: 'neither',
  },
  loadEld: {
    id: 'load-eld',
    label: 'drop: max event-loop delay, worst load process',
    unit: 'ms',
    better: 'neither',
  },
  killBack99: {
    id: 'kill-back-99',
    label: 'kill: until 99 % of its clients were back',
    unit: 'ms',
  },
  killBack100: {
    id: 'kill-back-100',
    label: 'kill: until every client of it was back',
    unit: 'ms',
  },
  killRestart: {
    id: 'kill-restart',
    label: 'kill: until the node listened again',
    unit: 'ms',
    better: 'neither',
  },
  killRefused503: { id: 'kill-refused-503', label: 'kill: handshakes refused with 503', ...count },
  killRefused429: { id: 'kill-refused-429', label: 'kill: handshakes refused with 429', ...count },
  killTimeouts: {
    id: 'kill-timeouts',
    label: 'kill: attempts given up at the client’s connect timeout',
    ...count,
  },
  killOther: {
    id: 'kill-other-failures',
    label: 'kill: other failed attempts (TCP refused while down)',
    ...count,
  },
  killStopped: {
    id: 'kill-stopped',
    label: 'kill: clients that stopped for good',
    ...count,
  },
  killLoadEld: {
    id: 'kill-load-eld',
    label: 'kill: max event-loop delay of its load process',
    unit: 'ms',
    better: 'neither',
  },
  survivorEldBefore: {
    id: 'survivor-eld-before',
    label: 'kill: nodes that stay up, max event-loop delay before',
    unit: 'ms',
  },
  survivorEldDuring: {
    id: 'survivor-eld-during',
    label: 'kill: nodes that stay up, max event-loop delay during',
    unit: 'ms',
  },
  probeP99Before: {
    id: 'probe-p99-before',
    label: 'kill: probe sends between the nodes that stay up, p99 before',
    unit: 'ms',
  },
  probeP99During: {
    id: 'probe-p99-during',
    label: 'kill: probe sends between the nodes that stay up, p99 during',
    unit: 'ms',
  },
} satisfies Record<string, RowSpec>;

/** The killed node; its clients are the storm of the second part. */
const KILLED = 0;
/** Probe: users of each surviving node that the other sends one push to, every interval. */
const PROBE_USERS = 50;
const PROBE_INTERVAL_MS = 100;

/**
 * Sockets in TIME_WAIT the storm waits for to drop below before it fills its nodes, and for how
 * long at most (the kernel keeps them 60 s). After the scale scenario, some 135 000 of them held
 * most of the ephemeral ports: every connect of the fill searched long for a free one, and 150–180
 * of the 45 000 clients were not in within 30 s (four runs of four), while a storm alone filled
 * every time.
 */
const TIME_WAIT_LIMIT = 20_000;
const TIME_WAIT_MAX_WAIT_MS = 75_000;

/** TCP sockets in TIME_WAIT on this machine, from /proc/net/sockstat; 0 where it has none. */
function timeWaitSockets(): number {
  try {
    const match = /\btw (\d+)/.exec(readFileSync('/proc/net/sockstat', 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

async function untilTimeWaitDrains(ctx: BenchContext): Promise<void> {
  const deadline = Date.now() + TIME_WAIT_MAX_WAIT_MS;
  const before = timeWaitSockets();
  if (before <= TIME_WAIT_LIMIT) return;
  while (timeWaitSockets() > TIME_WAIT_LIMIT && Date.now() < deadline) await sleep(500);
  ctx.log(`  (waited for ${before} sockets in TIME_WAIT to drop to ${timeWaitSockets()})`);
}

/**
 * Three nodes full of clients that reconnect by themselves: every client drops at once, then one
 * node is SIGKILLed and restarted. How long until they are back, what they were refused on the
 * way, and what it costs the nodes, above all those that stay up.
 */
export async function reconnectStormScenario(ctx: BenchContext, system: SystemSpec): Promise<void> {
  const plan = ctx.plan.reconnectStorm;
  const ours = isOurModule(system);
  const protocol: StormProtocol = ours ? 'ours' : 'socket.io';
  await untilTimeWaitDrains(ctx);
  const redis: RedisServer = await startRedisServer();
  const nodes: ServerProcess[] = [];
  const pools: LoadPool[] = [];
  const config = (k: number, port?: number): ServerConfig => ({
    heartbeat: { intervalMs: plan.heartbeatIntervalMs, timeoutMs: plan.heartbeatTimeoutMs },
    auth: 'query',
    redis: { url: redis.url, nodeId: `n${k}` },
    ...(ours && { limits: { maxConnections: plan.maxConnectionsPerNode } }),
    ...(port !== undefined && { port }),
  });
  const name = (k: number): string | undefined => profileName(ctx, system, `reconnect-n${k}`);
  try {
    await startFleet(plan.nodes, (k) => startServer(system, config(k), name(k)), nodes, pools);
    const per = plan.clientsPerNode;
    const total = per * plan.nodes;
    const opened = await Promise.all(
      pools.map((pool, k) =>
        pool.stormConnect(
          protocol,
          k * per,
          (k + 1) * per,
          (i) => system.url(nodes[k].wsPort, i),
          ctx.plan.connectConcurrency,
        ),
      ),
    );
    const failed = opened.reduce((n, s) => n + s.failed, 0);
    if (failed > 0) {
      const first = opened.find((s) => s.firstError)?.firstError;
      throw new Error(`${failed} of ${total} clients could not connect (first: ${first})`);
    }
    await everyNodeFull(nodes, per);
    const add = (row: RowSpec, value: number): void =>
      ctx.results.add(RECONNECT_STORM_TABLE, row, system.id, value);
    add(RECONNECT_STORM_ROWS.clients, total);
    await dropStorm(ctx, system, nodes, pools, add);
    await killStorm(ctx, system, nodes, pools, add, (port) =>
      startServer(system, config(KILLED, port), name(KILLED)),
    );
  } finally {
    await Promise.all(pools.map((pool) => pool.stop()));
    await Promise.all(nodes.map((node) => node.stop()));
    await redis.stop();
  }
}

type Add = (row: RowSpec, value: number) => void;

/** Every load process drops all its clients at once; they come back with their backoff. */
async function dropStorm(
  ctx: BenchContext,
  system: SystemSpec,
  nodes: ServerProcess[],
  pools: LoadPool[],
  add: Add,
): Promise<void> {
  const plan = ctx.plan.reconnectStorm;
  const rows = RECONNECT_STORM_ROWS;
  await Promise.all(nodes.map((n) => n.control.resetEventLoopDelay()));
  const before = await Promise.all(nodes.map((n) => n.control.stats()));
  await Promise.all(pools.map((pool) => pool.stormDrop()));
  const storm = mergeStorm(
    (await Promise.all(pools.map((p) => p.stormUntilBack(plan.timeoutMs)))).flat(),
  );
  const after = await Promise.all(nodes.map((n) => n.control.stats()));
  record(ctx, system, storm, add, { back99: rows.back99, back100: rows.back100 }, 'drop');
  add(rows.refused503, storm.refused503);
  add(rows.refused429, storm.refused429);
  add(rows.timeouts, storm.timeouts);
  add(rows.otherFailures, storm.otherFailures);
  add(rows.attempts, storm.attempts);
  add(rows.stopped, storm.stopped);
  add(rows.loadCpu, storm.cpuMicros / 1000);
  add(rows.loadEld, storm.eventLoopMaxMs);
  add(rows.eldMax, Math.max(...after.map((s) => s.eventLoopDelay.maxMs)));
  add(rows.eldP99, Math.max(...after.map((s) => s.eventLoopDelay.p99Ms)));
  add(rows.cpu, sumOf(after, before, (s) => s.cpuMicros) / 1000);
  // The gauges, as a cross-check of the clients' welcomes: a server may register a connection
  // a moment after its welcome left, so they are read once they stop moving.
  const held = await settledConnections(nodes);
  add(rows.held, held);
  if (held !== storm.clients) {
    ctx.results.note(
      `Run ${ctx.run}, ${system.label}, reconnect storm: the gauges count ${held} connections after the drop, ${storm.clients} clients.`,
    );
  }
  ctx.log(
    `  ${system.label} reconnect storm (drop): ${storm.backNs.length}/${storm.clients} back, first in ${msAfter(storm, 1 / storm.clients)} ms, half in ${msAfter(storm, 0.5)} ms, 99 % in ${msAfter(storm, 0.99)} ms, all in ${msAfter(storm, 1)} ms, refused 503 ${storm.refused503} / 429 ${storm.refused429}, ${storm.timeouts} timeouts, other failures ${storm.otherFailures}, ${storm.attempts} attempts, ${storm.stopped} stopped (first code ${storm.firstStopCode}), load processes ${(storm.cpuMicros / 1000).toFixed(0)} ms CPU and max event-loop delay ${storm.eventLoopMaxMs.toFixed(0)} ms, max event-loop delay ${Math.max(...after.map((s) => s.eventLoopDelay.maxMs)).toFixed(0)} ms, gauges ${held}`,
  );
}

/**
 * Node {@link KILLED} is SIGKILLed and started again at once on its port; its clients come back
 * with their backoff. The other nodes keep their clients; a probe sends between them during the
 * storm and, for comparison, during as long a window just before.
 */
async function killStorm(
  ctx: BenchContext,
  system: SystemSpec,
  nodes: ServerProcess[],
  pools: LoadPool[],
  add: Add,
  restart: (port: number) => Promise<ServerProcess>,
): Promise<void> {
  const plan = ctx.plan.reconnectStorm;
  const rows = RECONNECT_STORM_ROWS;
  const survivors = nodes.filter((_, k) => k !== KILLED);
  const probe = probeFlows(nodes.length, plan.clientsPerNode);
  const probePools = pools.filter((_, k) => k !== KILLED);

  // As long a window before the kill as the storm's own, so that both see as many probe rounds.
  await Promise.all(survivors.map((n) => n.control.resetEventLoopDelay()));
  const quiet = await probing(ctx, nodes, probePools, probe, () => sleep(plan.probeWindowMs));
  const quietStats = await Promise.all(survivors.map((n) => n.control.stats()));

  await Promise.all(survivors.map((n) => n.control.resetEventLoopDelay()));
  await pools[KILLED].stormMark();
  const port = nodes[KILLED].wsPort;
  let restartMs = 0;
  let storm: StormReport | undefined;
  const during = await probing(ctx, nodes, probePools, probe, async () => {
    const killedNs = nowNs();
    await nodes[KILLED].kill();
    nodes[KILLED] = await restart(port);
    restartMs = (nowNs() - killedNs) / 1e6;
    const [back] = await Promise.all([
      pools[KILLED].stormUntilBack(plan.timeoutMs),
      sleep(plan.probeWindowMs),
    ]);
    storm = mergeStorm(back);
  });
  const stormStats = await Promise.all(survivors.map((n) => n.control.stats()));
  record(ctx, system, storm!, add, { back99: rows.killBack99, back100: rows.killBack100 }, 'kill');
  add(rows.killRestart, restartMs);
  add(rows.killRefused503, storm!.refused503);
  add(rows.killRefused429, storm!.refused429);
  add(rows.killTimeouts, storm!.timeouts);
  add(rows.killOther, storm!.otherFailures);
  add(rows.killLoadEld, storm!.eventLoopMaxMs);
  add(rows.killStopped, storm!.stopped);
  add(rows.survivorEldBefore, Math.max(...quietStats.map((s) => s.eventLoopDelay.maxMs)));
  add(rows.survivorEldDuring, Math.max(...stormStats.map((s) => s.eventLoopDelay.maxMs)));
  add(rows.probeP99Before, quiet.latency.quantile(0.99) / 1000);
  add(rows.probeP99During, during.latency.quantile(0.99) / 1000);
  for (const [what, m] of [
    ['before', quiet],
    ['during', during],
  ] as const) {
    if (m.received < m.expected) {
      ctx.results.note(
        `Run ${ctx.run}, ${system.label}, reconnect storm: ${m.expected - m.received} of ${m.expected} probe sends ${what} the kill never arrived.`,
      );
    }
  }
  ctx.log(
    `  ${system.label} reconnect storm (kill): restarted in ${restartMs.toFixed(0)} ms, ${storm!.backNs.length}/${storm!.clients} back, 99 % in ${msAfter(storm!, 0.99)} ms, all in ${msAfter(storm!, 1)} ms, refused 503 ${storm!.refused503} / 429 ${storm!.refused429}, ${storm!.timeouts} timeouts, other failures ${storm!.otherFailures}, ${storm!.stopped} stopped, load process max event-loop delay ${storm!.eventLoopMaxMs.toFixed(0)} ms; survivors' max event-loop delay ${Math.max(...quietStats.map((s) => s.eventLoopDelay.maxMs)).toFixed(0)} → ${Math.max(...stormStats.map((s) => s.eventLoopDelay.maxMs)).toFixed(0)} ms, probe p99 ${(quiet.latency.quantile(0.99) / 1000).toFixed(1)} → ${(during.latency.quantile(0.99) / 1000).toFixed(1)} ms`,
  );
}

/** A probe flow: node `from` pushes to the users from `firstUser` on, held by another node. */
interface ProbeFlow {
  from: number;
  firstUser: number;
}

/** Every surviving node probes the users of each other surviving node. */
function probeFlows(nodeCount: number, perNode: number): ProbeFlow[] {
  const up = Array.from({ length: nodeCount }, (_, k) => k).filter((k) => k !== KILLED);
  return up.flatMap((to) =>
    up
      .filter((from) => from !== to)
      .map((from, slot) => ({ from, firstUser: to * perNode + slot * PROBE_USERS })),
  );
}

/**
 * Runs `during`, sending one push per probe flow's user every {@link PROBE_INTERVAL_MS} until it
 * settles, and measures how late they arrive.
 */
async function probing(
  ctx: BenchContext,
  nodes: ServerProcess[],
  probePools: LoadPool[],
  flows: ProbeFlow[],
  during: () => Promise<void>,
): Promise<Measurement> {
  // Counted up to the stall: how many rounds there will be is only known at the end.
  await Promise.all(probePools.map((pool) => pool.arm(() => Number.MAX_SAFE_INTEGER, 1)));
  let rounds = 0;
  let done = false;
  const sending = (async () => {
    while (!done) {
      const next = sleep(PROBE_INTERVAL_MS);
      await Promise.all(
        flows.map(({ from, firstUser }) =>
          nodes[from].control.pushStorm({
            userCount: PROBE_USERS,
            total: PROBE_USERS,
            perUserPerTurn: 1,
            bytes: 100,
            firstUser,
          }),
        ),
      );
      rounds++;
      await next;
    }
  })();
  try {
    await during();
  } finally {
    done = true;
    await sending;
  }
  const parts = await Promise.all(
    probePools.map((pool) =>
      pool.collect(Number.MAX_SAFE_INTEGER, Math.min(ctx.plan.stallMs, 1000)),
    ),
  );
  return mergeMeasurements(rounds * flows.length * PROBE_USERS, parts);
}

/** The reports of several workers as one storm, from the first mark. */
function mergeStorm(reports: readonly StormReport[]): StormReport {
  const total = (f: (r: StormReport) => number): number => reports.reduce((n, r) => n + f(r), 0);
  return {
    clients: total((r) => r.clients),
    markNs: Math.min(...reports.map((r) => r.markNs)),
    backNs: reports.flatMap((r) => r.backNs).sort((a, b) => a - b),
    refused503: total((r) => r.refused503),
    refused429: total((r) => r.refused429),
    timeouts: total((r) => r.timeouts),
    otherFailures: total((r) => r.otherFailures),
    attempts: total((r) => r.attempts),
    stopped: total((r) => r.stopped),
    firstStopCode: reports.find((r) => r.firstStopCode !== undefined)?.firstStopCode,
    cpuMicros: total((r) => r.cpuMicros),
    eventLoopMaxMs: Math.max(...reports.map((r) => r.eventLoopMaxMs)),
  };
}

/** Milliseconds from the mark until `share` of the clients were back, if they were. */
function msAfter(storm: StormReport, share: number): number | undefined {
  const needed = Math.ceil(share * storm.clients);
  if (needed === 0 || storm.backNs.length < needed) return undefined;
  return (storm.backNs[needed - 1] - storm.markNs) / 1e6;
}

function record(
  ctx: BenchContext,
  system: SystemSpec,
  storm: StormReport,
  add: Add,
  rows: { back99: RowSpec; back100: RowSpec },
  what: string,
): void {
  for (const [share, row] of [
    [0.99, rows.back99],
    [1, rows.back100],
  ] as const) {
    const ms = msAfter(storm, share);
    if (ms !== undefined) add(row, ms);
    else ctx.results.remark(RECONNECT_STORM_TABLE, row, system.id, 'never');
  }
  if (storm.stopped > 0) {
    ctx.results.note(
      `Run ${ctx.run}, ${system.label}, reconnect storm (${what}): ${storm.stopped} clients stopped for good (the first at close code ${storm.firstStopCode}).`,
    );
  }
  if (storm.backNs.length < storm.clients) {
    ctx.results.note(
      `Run ${ctx.run}, ${system.label}, reconnect storm (${what}): only ${storm.backNs.length} of ${storm.clients} clients were back after ${ctx.plan.reconnectStorm.timeoutMs / 1000} s.`,
    );
  }
}

/** The sum of the nodes' connection gauges once it has not moved for a moment. */
async function settledConnections(nodes: ServerProcess[]): Promise<number> {
  const read = async (): Promise<number> =>
    (await Promise.all(nodes.map((n) => n.control.stats()))).reduce((n, s) => n + s.connections, 0);
  let last = await read();
  for (let i = 0; i < 20; i++) {
    await sleep(250);
    const now = await read();
    if (now === last) return now;
    last = now;
  }
  return last;
}
