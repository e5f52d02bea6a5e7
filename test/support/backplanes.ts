import * as ioredis from 'ioredis';
import { resolveChatOptions } from '../../src/module/chat-options.resolve.js';
import type { ChatTransport } from '../../src/transports/chat-transport.interface.js';
import { MemoryHub } from '../../src/transports/memory/memory-hub.js';
import { MemoryTransport } from '../../src/transports/memory/memory.transport.js';
import type { RedisTransportOptions } from '../../src/transports/redis/redis-options.js';
import { RedisTransport } from '../../src/transports/redis/redis.transport.js';
import { RedisCluster } from './redis-cluster.js';
import { RedisServer } from './redis-server.js';

/**
 * A backplane the contract suites run against: it makes the transports of several nodes that
 * share it, as the module would make them.
 */
export interface Backplane {
  readonly name: string;
  /** Whether its state outlives a node that stops without detaching (a crash). */
  readonly survivesCrashes: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A new node's transport; `redis` options apply to Redis backplanes only. */
  transport(redis?: Partial<RedisTransportOptions>): ChatTransport;
  /** Loses every stored state, as a Redis restarted empty does (Redis backplanes only). */
  flush?(): Promise<void>;
  /**
   * Drops every subscriber connection, as Redis does to one past its output buffer limit
   * (Redis backplanes only).
   */
  dropSubscribers?(): Promise<void>;
  /**
   * Whether the client replaces a dropped subscriber connection at once and queues what is asked
   * of it meanwhile (ioredis's sharded subscribers on a Redis Cluster), so that a subscribe or
   * unsubscribe during a drop may succeed instead of failing.
   */
  readonly resubscribesAtOnce?: boolean;
}

/** Nodes in one process sharing a {@link MemoryHub}. */
export function memoryBackplane(): Backplane {
  let hub = new MemoryHub();
  return {
    name: 'memory',
    survivesCrashes: false,
    start: async () => {
      hub = new MemoryHub();
    },
    stop: async () => undefined,
    transport: () => new MemoryTransport(hub),
  };
}

/** Nodes on one real `redis-server` of the test's own. */
export function redisBackplane(): Backplane {
  let server: RedisServer | undefined;
  return {
    name: 'Redis',
    survivesCrashes: true,
    start: async () => {
      server = await RedisServer.start();
    },
    stop: async () => server?.stop(),
    transport: (redis = {}) =>
      new RedisTransport(
        ioredis,
        resolveChatOptions({
          authenticate: () => null,
          redis: { url: server!.url, options: { retryStrategy: () => 50 }, ...redis },
        }).redis!,
      ),
    flush: async () => {
      const client = server!.client();
      await client.flushall();
      client.disconnect();
    },
    dropSubscribers: async () => {
      const client = server!.client();
      await client.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      client.disconnect();
    },
  };
}

/** Nodes on a real three-master Redis Cluster of the test's own, without replicas. */
export function redisClusterBackplane(): Backplane {
  let cluster: RedisCluster | undefined;
  const eachMaster = async (run: (master: ioredis.Redis) => Promise<unknown>): Promise<void> => {
    const masters = cluster!.masterClients();
    try {
      await Promise.all(masters.map(run));
    } finally {
      for (const master of masters) master.disconnect();
    }
  };
  return {
    name: 'Redis Cluster',
    survivesCrashes: true,
    resubscribesAtOnce: true,
    start: async () => {
      cluster = await RedisCluster.start();
    },
    stop: async () => cluster?.stop(),
    transport: (redis = {}) =>
      new RedisTransport(
        ioredis,
        resolveChatOptions({
          authenticate: () => null,
          redis: { cluster: cluster!.nodes, ...redis },
        }).redis!,
      ),
    flush: () => eachMaster((master) => master.flushall()),
    dropSubscribers: () => eachMaster((master) => master.call('CLIENT', 'KILL', 'TYPE', 'pubsub')),
  };
}
