import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { settlesWithin } from '../../common/settles-within.js';
import { isClusterClient, type ResolvedRedisOptions } from './redis-options.js';
import { keySlot } from './redis-slot.js';

/** @internal The part of the ioredis module the transport uses, loaded only when it is needed. */
export interface IoRedisModule {
  Redis: new (...args: any[]) => Redis;
  Cluster: new (...args: any[]) => Cluster;
}

/**
 * @internal The two connections of a node to Redis: one for commands and one for subscriptions
 * (a subscribed connection can run nothing else). They are the transport's own, made from the
 * options, or the application's, which are borrowed: used, listened to, never closed.
 *
 * Commands of its own clients fail at once while Redis is unreachable (no offline queue), so
 * callers can report an outage instead of hanging.
 *
 * On a Redis Cluster both are ioredis `Cluster`s (typed as `Redis`: they take the same commands,
 * routed by key), the subscriber with one sharded subscriber connection per master. One master
 * can be down while the cluster as a whole stays ready, so the clients also watch each shard
 * (see {@link onShardRecovered}).
 */
export class RedisClients {
  readonly commands: Redis;
  readonly subscriber: Redis;
  /** Whether these clients talk to a Redis Cluster. */
  readonly isCluster: boolean;
  private readonly logger = new Logger(RedisClients.name);
  private readonly shards = new EventEmitter();
  /** This process's marker in each shard: its loss means the shard lost its data. */
  private readonly markerId = randomUUID();
  private shardTimer: NodeJS.Timeout | undefined;
  /** Probe tags (`{s:<k>}`) marked in their shard, and those whose shard could not be reached. */
  private readonly marked = new Set<string>();
  private readonly unreachableShards = new Set<string>();
  private readonly owned: Redis[] = [];
  private connecting: Promise<void> | undefined;
  /** Set while an outage is known, so that it is logged once. */
  private inOutage = false;
  private users = 0;
  private readonly onError = (err: Error): void => {
    // ioredis reports every failed reconnection attempt; one warning per outage is enough.
    if (this.inOutage) return;
    this.inOutage = true;
    this.logger.warn(
      `Redis at ${this.describe()} is unreachable (${err.message}); local delivery continues, remote sends report 'backplane_unavailable'`,
    );
  };
  private readonly onReady = (): void => {
    if (this.inOutage && this.isReady()) {
      this.inOutage = false;
      this.logger.log(`Redis at ${this.describe()} is reachable again; re-registering`);
    }
  };

  constructor(
    ioredis: IoRedisModule,
    private readonly options: ResolvedRedisOptions,
  ) {
    if (options.client) {
      this.commands = options.client as Redis;
    } else if (options.cluster) {
      const given = (options.options ?? {}) as ClusterOptions;
      const clusterOptions: ClusterOptions = {
        ...given,
        lazyConnect: true,
        // As for a single Redis: fail fast while a shard (or the whole cluster) is unreachable.
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        redisOptions: {
          ...given.redisOptions,
          maxRetriesPerRequest: 1,
          autoResendUnfulfilledCommands: false,
        },
      };
      this.commands = new ioredis.Cluster(options.cluster, clusterOptions) as unknown as Redis;
      this.owned.push(this.commands);
    } else {
      const redisOptions: RedisOptions = {
        ...(options.options as RedisOptions),
        lazyConnect: true,
        // Fail fast while disconnected: a send must report the outage, not wait for the end of it.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        autoResendUnfulfilledCommands: false,
        enableAutoPipelining: true,
      };
      this.commands = options.url
        ? new ioredis.Redis(options.url, redisOptions)
        : new ioredis.Redis(redisOptions);
      this.owned.push(this.commands);
    }
    this.isCluster = isClusterClient(this.commands);
    if (options.subscriber) {
      this.subscriber = options.subscriber as Redis;
    } else if (this.isCluster) {
      // ioredis keeps one subscriber connection per master for SSUBSCRIBE, and follows slot
      // migrations and failovers by subscribing again on the new owner.
      this.subscriber = (this.commands as unknown as Cluster).duplicate([], {
        lazyConnect: true,
        shardedSubscribers: true,
      }) as unknown as Redis;
      this.owned.push(this.subscriber);
    } else {
      this.subscriber = this.commands.duplicate({ lazyConnect: true });
      this.owned.push(this.subscriber);
    }
    for (const client of [this.commands, this.subscriber]) {
      client.on('error', this.onError);
      client.on('ready', this.onReady);
    }
  }

  /** Whether both connections can be used right now. */
  isReady(): boolean {
    return this.commands.status === 'ready' && this.subscriber.status === 'ready';
  }

  /**
   * Connects (once, for all the users of these clients) and counts a user, who calls
   * {@link release} when done.
   * @throws Error naming the server when Redis is not ready within `connectTimeoutMs`.
   */
  async acquire(): Promise<void> {
    this.users++;
    this.connecting ??= this.connect();
    await this.connecting;
  }

  /**
   * Calls `listener` each time a shard of the Redis Cluster is back after it could not be
   * reached, or lost its data (a restart, a failover to a replica behind its master): what was
   * published to it meanwhile is lost, and what was stored there may be. Standalone Redis reports
   * the same through the clients' `ready` event instead.
   */
  onShardRecovered(listener: () => void): () => void {
    this.shards.on('recovered', listener);
    return () => this.shards.off('recovered', listener);
  }

  /** The commands client as the ioredis `Cluster` it is (on a Redis Cluster only). */
  cluster(): Cluster {
    if (!this.isCluster) throw new Error('RedisTransport: not on a Redis Cluster');
    return this.commands as unknown as Cluster;
  }

  /** Called by each user when it is done; the last one closes the transport's own clients. */
  release(): void {
    if (--this.users > 0) return;
    clearInterval(this.shardTimer);
    for (const client of [this.commands, this.subscriber]) {
      client.off('error', this.onError);
      client.off('ready', this.onReady);
    }
    for (const client of this.owned) client.disconnect();
  }

  private async connect(): Promise<void> {
    const connected = Promise.all(this.owned.map((client) => client.connect()));
    connected.catch(() => undefined);
    const timeoutMs = this.options.connectTimeoutMs;
    const ready = (async () => {
      await connected;
      while (!this.isReady()) await onceReady(this.commands, this.subscriber);
    })();
    ready.catch(() => undefined);
    if (!(await settlesWithin(ready, timeoutMs)) || !this.isReady()) {
      for (const client of this.owned) client.disconnect();
      const detail = await ready.then(
        () => 'not ready',
        (err: Error) => err.message,
      );
      throw new Error(
        `RedisTransport: could not connect to Redis at ${this.describe()} within ${timeoutMs} ms (${detail})`,
      );
    }
    if (this.isCluster) {
      await this.checkShards();
      this.shardTimer = setInterval(
        () => void this.checkShards(),
        Math.ceil(this.options.nodeTtlMs / 3),
      );
      this.shardTimer.unref();
    }
  }

  /**
   * Sets this process's marker in every shard (a key in a slot of each master, with `SET … GET`
   * to learn whether it was still there), and reports a shard that was unreachable or lost it.
   */
  private async checkShards(): Promise<void> {
    const probes = this.probeTags();
    const ttl = this.options.nodeTtlMs * 2;
    let recovered = false;
    await Promise.all(
      probes.map(async (tag) => {
        const key = `${this.options.keyPrefix}${tag}:shard:${this.markerId}`;
        try {
          const previous = await this.commands.set(key, '1', 'PX', ttl, 'GET');
          const lost = previous === null && this.marked.has(tag);
          if (lost || this.unreachableShards.has(tag)) recovered = true;
          this.marked.add(tag);
          this.unreachableShards.delete(tag);
        } catch {
          this.unreachableShards.add(tag);
        }
      }),
    );
    if (recovered) {
      this.logger.log('A Redis Cluster shard is reachable again or lost its data; re-registering');
      this.shards.emit('recovered');
    }
  }

  /** One hash tag per master, in a slot that master owns, from ioredis's current slot map. */
  private probeTags(): string[] {
    const slots = this.cluster().slots;
    const masters = new Set(slots.map((owners) => owners?.[0]).filter(Boolean));
    const tags = new Map<string, string>();
    for (let k = 0; tags.size < masters.size && k < 100_000; k++) {
      const tag = `{s:${k}}`;
      const owner = slots[keySlot(tag)]?.[0];
      if (owner && !tags.has(owner)) tags.set(owner, tag);
    }
    return [...tags.values()];
  }

  private describe(): string {
    if (this.isCluster) {
      const seeds = this.options.cluster?.map(({ host, port }) => `${host}:${port}`);
      return seeds ? `the Redis Cluster of ${seeds.join(', ')}` : 'the Redis Cluster';
    }
    const { host, port } = this.commands.options;
    return `${host}:${port}`;
  }
}

/** Resolves when either client next reports 'ready'. */
function onceReady(...clients: Redis[]): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      for (const client of clients) client.off('ready', done);
      resolve();
    };
    for (const client of clients) client.once('ready', done);
  });
}
