import { RedisInfo, type RedisCounters } from '../processes/redis-info.js';
import { startRedisServer } from '../processes/redis-server.js';
import type { RowSpec, TableSpec } from '../report/results.js';
import type { ProcessStats } from '../servers/process-stats.js';
import { userId } from '../users.js';
import { profileName, type BenchContext } from './context.js';
import { LoadPool } from './load-pool.js';
import { startServer, type ServerProcess } from './server-process.js';
import { connectUsers, QUIET_HEARTBEAT, withSession } from './session.js';
import type { SystemSpec } from './systems.js';

const COLUMNS = [
  { id: 'ours', label: 'nest-chat-gateway `RoomsService.sendToRoom`', short: 'ours' },
  { id: 'sio', label: 'socket.io `io.to(room).emit`', short: 'socket.io' },
] as const;

export const ROOMS_TABLE: TableSpec = {
  id: 'rooms',
  title: 'Rooms: fan-out of one room message, one node',
  method:
    'One server holds every member’s connection (one per member); the members joined the room through the system’s own API (ours: `RoomsService.join(room, user)`, membership per user, with the default history, so each room message is also stored once in the room’s stream; socket.io: `socketsJoin(room)` of each member’s socket). One stamped 100-byte message at a time is sent to the room: the time from the send call until the last member received it, over several messages (after unmeasured ones), and the server’s CPU time per message over the series.',
  columns: COLUMNS,
  ratios: [['ours', 'sio']],
};

export const ROOMS_CLUSTER_TABLE: TableSpec = {
  id: 'rooms-cluster',
  title: 'Rooms across two nodes and Redis',
  method:
    'The same room messages, with the members split half and half over two server processes that share a redis-server the harness starts; every message is sent on node A. Ours: `ChatModule.forRoot({ redis: { url }, nodeId, history: false })` (a room channel per room, subscribed by the nodes that hold members); socket.io: `@socket.io/redis-adapter` with ioredis. Neither keeps the messages, as socket.io’s classic adapter keeps nothing. Redis CPU per message is the difference of INFO CPU (`used_cpu_user` + `used_cpu_sys`) over the series divided by the messages: it includes Redis’s background work (its timers, the nodes’ presence refreshes) during the time each message took to reach every member, which outweighs one or two PUBLISH calls, so it grows with that time; subtracting an idle rate measured beforehand came out below zero on this busy machine; PUBLISH per message counts PUBLISH and SPUBLISH calls, commands per message all calls but INFO (INFO COMMANDSTATS), over the series.',
  columns: COLUMNS,
  ratios: [['ours', 'sio']],
};

function sizeLabel(size: number): string {
  return `room of ${size.toLocaleString('en-US')}`;
}

export function roomRows(size: number): Record<'p50' | 'p99' | 'cpu', RowSpec> {
  const room = sizeLabel(size);
  return {
    p50: { id: `${size}.p50`, label: `${room}: until the last member has it, median`, unit: 'ms' },
    p99: { id: `${size}.p99`, label: `${room}: until the last member has it, p99`, unit: 'ms' },
    cpu: { id: `${size}.cpu`, label: `${room}: server CPU per message`, unit: 'ms' },
  };
}

export function roomClusterRows(
  size: number,
): Record<'p50' | 'p99' | 'cpuA' | 'cpuB' | 'cpuRedis' | 'publishes' | 'commands', RowSpec> {
  const room = sizeLabel(size);
  const { p50, p99 } = roomRows(size);
  return {
    p50,
    p99,
    cpuA: { id: `${size}.cpu-a`, label: `${room}: CPU per message, node A (sender)`, unit: 'ms' },
    cpuB: { id: `${size}.cpu-b`, label: `${room}: CPU per message, node B`, unit: 'ms' },
    cpuRedis: {
      id: `${size}.cpu-redis`,
      label: `${room}: CPU per message, redis-server (with its background work)`,
      unit: 'micros',
    },
    publishes: {
      id: `${size}.publishes`,
      label: `${room}: PUBLISH per message`,
      unit: 'count',
    },
    commands: {
      id: `${size}.commands`,
      label: `${room}: Redis commands per message (all but INFO)`,
      unit: 'count',
    },
  };
}

/**
 * The users of the room of `size` among `total` users, where users below `total / 2` are on
 * node A and the rest on node B (one node holds them all outside the cluster): the first
 * `size / 2` of each half, so that in the cluster each node holds half the members.
 */
function isMember(size: number, total: number, i: number): boolean {
  const half = total / 2;
  return i < half ? i < size / 2 : i - half < size / 2;
}

function members(size: number, total: number, from: number, to: number): string[] {
  const users: string[] = [];
  for (let i = from; i < to; i++) if (isMember(size, total, i)) users.push(userId(i));
  return users;
}

function roomName(size: number): string {
  return `room-${size}`;
}

/** Fan-out of room messages on one node, then across two nodes and Redis. */
export async function roomsScenario(ctx: BenchContext, system: SystemSpec): Promise<void> {
  await oneNode(ctx, system);
  await twoNodes(ctx, system);
}

async function oneNode(ctx: BenchContext, system: SystemSpec): Promise<void> {
  const { sizes } = ctx.plan.rooms;
  const total = Math.max(...sizes);
  const config = { heartbeat: QUIET_HEARTBEAT, auth: 'query' } as const;
  await withSession(ctx, system, 'rooms', config, async ({ server, load }) => {
    await connectUsers(ctx, load, system, server, 0, total);
    for (const size of sizes) {
      await server.control.joinRoom({
        room: roomName(size),
        users: members(size, total, 0, total),
      });
      const series = await roomSeries(ctx, load, [server], undefined, size, total);
      const rows = roomRows(size);
      ctx.results.add(ROOMS_TABLE, rows.p50, system.id, series.p50Ms);
      ctx.results.add(ROOMS_TABLE, rows.p99, system.id, series.p99Ms);
      ctx.results.add(ROOMS_TABLE, rows.cpu, system.id, series.cpuMicros[0] / 1000);
      report(ctx, system, 'rooms', size, series);
    }
  });
}

async function twoNodes(ctx: BenchContext, system: SystemSpec): Promise<void> {
  const { sizes } = ctx.plan.rooms;
  const total = Math.max(...sizes);
  const half = total / 2;
  const redis = await startRedisServer();
  const info = new RedisInfo(redis.url);
  const nodes: ServerProcess[] = [];
  let load: LoadPool | undefined;
  try {
    const startNode = async (nodeId: string): Promise<ServerProcess> => {
      const config = {
        heartbeat: QUIET_HEARTBEAT,
        auth: 'query',
        redis: { url: redis.url, nodeId },
        history: false,
      } as const;
      const node = await startServer(
        system,
        config,
        profileName(ctx, system, `rooms-cluster-${nodeId}`),
      );
      nodes.push(node);
      return node;
    };
    // The nodes and the load generator boot at once: nothing is measured yet.
    const [started, pool] = await Promise.allSettled([
      Promise.all([startNode('a'), startNode('b')]),
      LoadPool.start(ctx.plan.workers),
    ]);
    if (started.status === 'rejected') throw started.reason;
    if (pool.status === 'rejected') throw pool.reason;
    load = pool.value;
    const [a, b] = started.value;
    await connectUsers(ctx, load, system, a, 0, half);
    // Node B holds none of the users below `half`: those are on A.
    await connectUsers(ctx, load, system, b, half, total, undefined, 0);
    for (const size of sizes) {
      const room = roomName(size);
      await a.control.joinRoom({ room, users: members(size, total, 0, half) });
      await b.control.joinRoom({ room, users: members(size, total, half, total) });
      const series = await roomSeries(ctx, load, [a, b], info, size, total);
      const rows = roomClusterRows(size);
      const table = ROOMS_CLUSTER_TABLE;
      ctx.results.add(table, rows.p50, system.id, series.p50Ms);
      ctx.results.add(table, rows.p99, system.id, series.p99Ms);
      ctx.results.add(table, rows.cpuA, system.id, series.cpuMicros[0] / 1000);
      ctx.results.add(table, rows.cpuB, system.id, series.cpuMicros[1] / 1000);
      ctx.results.add(table, rows.cpuRedis, system.id, series.redis!.cpuMicros);
      ctx.results.add(table, rows.publishes, system.id, series.redis!.publishes);
      ctx.results.add(table, rows.commands, system.id, series.redis!.commands);
      report(ctx, system, 'rooms-cluster', size, series);
    }
  } finally {
    info.close();
    await load?.stop();
    await Promise.all(nodes.map((node) => node.stop()));
    await redis.stop();
  }
}

/** What a series of room messages cost, per message. */
interface RoomSeries {
  p50Ms: number;
  p99Ms: number;
  /** Server CPU per message, for each server (the sender first). */
  cpuMicros: number[];
  redis?: RedisCounters;
  missing: number;
}

/**
 * Sends room messages on `servers[0]`, one at a time, each once the previous one reached every
 * member: unmeasured ones first, then the measured series.
 */
async function roomSeries(
  ctx: BenchContext,
  load: LoadPool,
  servers: ServerProcess[],
  redis: RedisInfo | undefined,
  size: number,
  total: number,
): Promise<RoomSeries> {
  const { messages, warmupMessages } = ctx.plan.rooms;
  const room = roomName(size);
  const times: number[] = [];
  let missing = 0;
  type Snapshot = { stats: ProcessStats[]; redis?: RedisCounters };
  let before: Snapshot | undefined;
  const snapshot = async (): Promise<Snapshot> => ({
    stats: await Promise.all(servers.map((s) => s.control.stats())),
    redis: await redis?.read(),
  });
  for (let m = 0; m < warmupMessages + messages; m++) {
    if (m === warmupMessages) before = await snapshot();
    const { result, measurement } = await load.measure(
      (i) => (isMember(size, total, i) ? 1 : 0),
      total,
      () => servers[0].control.sendToRoom({ room, bytes: ctx.plan.storm.bytes }),
      ctx.plan.stallMs,
    );
    if (m < warmupMessages) continue;
    times.push((measurement.lastReceivedNs - result.sentNs) / 1e6);
    missing += measurement.expected - measurement.received;
  }
  const after = await snapshot();
  const sorted = times.sort((x, y) => x - y);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return {
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    cpuMicros: after.stats.map((s, i) => (s.cpuMicros - before!.stats[i].cpuMicros) / messages),
    redis: after.redis && {
      cpuMicros: (after.redis.cpuMicros - before!.redis!.cpuMicros) / messages,
      publishes: (after.redis.publishes - before!.redis!.publishes) / messages,
      commands: (after.redis.commands - before!.redis!.commands) / messages,
    },
    missing,
  };
}

function report(
  ctx: BenchContext,
  system: SystemSpec,
  scenario: string,
  size: number,
  series: RoomSeries,
): void {
  ctx.log(
    `  ${system.label} ${scenario} ${size}: median ${series.p50Ms.toFixed(1)} ms, p99 ${series.p99Ms.toFixed(1)} ms, CPU ${series.cpuMicros.map((c) => (c / 1000).toFixed(2)).join(' / ')} ms${series.redis ? `, redis ${series.redis.cpuMicros.toFixed(0)} µs, ${series.redis.publishes} publish, ${series.redis.commands} commands` : ''} per message`,
  );
  if (series.missing > 0) {
    ctx.results.note(
      `Run ${ctx.run}, ${system.label}, ${scenario}, ${sizeLabel(size)}: ${series.missing} deliveries never arrived.`,
    );
  }
}
