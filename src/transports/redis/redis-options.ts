/**
 * An ioredis client, typed loosely so that these declarations compile without ioredis installed
 * (it is an optional peer). Pass a `Redis` or a `Cluster` instance.
 */
export interface RedisClientLike {
  readonly status: string;
  duplicate(): unknown;
}

/** One seed node of a Redis Cluster; the others are discovered from it. */
export interface RedisClusterNode {
  host: string;
  port: number;
}

/** Options of the Redis transport (`ChatModule.forRoot({ redis })`). */
export interface RedisTransportOptions {
  /** Connection URL, e.g. `redis://127.0.0.1:6379` or `rediss://user:pass@host:6380/0`. */
  url?: string;
  /**
   * Seed nodes of a Redis Cluster (Redis 7 or later: sharded pub/sub). Every key a script
   * touches shares one hash tag, and the traffic to one node or room uses SPUBLISH, so the
   * cluster's shards share the load.
   */
  cluster?: RedisClusterNode[];
  /**
   * ioredis `RedisOptions` (host, port, password, tls, sentinels, …), applied over `url`; with
   * `cluster`, ioredis `ClusterOptions` (`redisOptions`, `natMap`, …). The transport adds its
   * own: no offline queue, one retry per command, auto-pipelining, so that a send during an
   * outage reports it at once instead of waiting for the end of it.
   */
  options?: Record<string, unknown>;
  /**
   * Your own ioredis client for commands, instead of `url` / `cluster` / `options`: a `Redis`, or
   * a `Cluster` for a Redis Cluster. It is used as it is (its own options apply;
   * `enableOfflineQueue: false` is recommended) and never closed by the module.
   */
  client?: RedisClientLike;
  /**
   * Your own ioredis client for the subscriptions, which need a connection of their own. Without
   * it, the module makes one with `client.duplicate()` and closes that one itself. For a
   * `Cluster`, it must be a `Cluster` made with `shardedSubscribers: true`.
   */
  subscriber?: RedisClientLike;
  /**
   * Prefix of every key and channel, so several applications can share one Redis.
   * @default 'chat:'
   */
  keyPrefix?: string;
  /**
   * How long a node's presence outlives its last liveness refresh; a node that dies without
   * cleaning up (SIGKILL) has its users shown offline once it passes. Refreshed every third of it.
   * @default 15000
   */
  nodeTtlMs?: number;
  /**
   * How long startup waits for Redis before failing.
   * @default 10000
   */
  connectTimeoutMs?: number;
}

/** @internal The Redis options with every default filled in. */
export interface ResolvedRedisOptions extends RedisTransportOptions {
  keyPrefix: string;
  nodeTtlMs: number;
  connectTimeoutMs: number;
}

/** @internal Whether an ioredis client is a `Cluster` (ioredis sets `isCluster` on both kinds). */
export function isClusterClient(client: unknown): boolean {
  return (client as { isCluster?: unknown } | null)?.isCluster === true;
}
