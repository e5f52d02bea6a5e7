/**
 * An ioredis client, typed loosely so that these declarations compile without ioredis installed
 * (it is an optional peer). Pass a `Redis` instance.
 */
export interface RedisClientLike {
  readonly status: string;
  duplicate(): unknown;
}

/** Options of the Redis transport (`ChatModule.forRoot({ redis })`). */
export interface RedisTransportOptions {
  /** Connection URL, e.g. `redis://127.0.0.1:6379` or `rediss://user:pass@host:6380/0`. */
  url?: string;
  /**
   * ioredis `RedisOptions` (host, port, password, tls, sentinels, …), applied over `url`. The
   * transport adds its own: no offline queue, one retry per command, auto-pipelining, so that a
   * send during an outage reports it at once instead of waiting for the end of it.
   */
  options?: Record<string, unknown>;
  /**
   * Your own ioredis client for commands, instead of `url` / `options`. It is used as it is (its
   * own options apply; `enableOfflineQueue: false` is recommended) and never closed by the module.
   */
  client?: RedisClientLike;
  /**
   * Your own ioredis client for the subscriptions, which need a connection of their own. Without
   * it, the module makes one with `client.duplicate()` and closes that one itself.
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
