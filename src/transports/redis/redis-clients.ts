import { Logger } from '@nestjs/common';
import type { Redis, RedisOptions } from 'ioredis';
import { settlesWithin } from '../../common/settles-within.js';
import type { ResolvedRedisOptions } from './redis-options.js';

/** @internal The part of the ioredis module the transport uses, loaded only when it is needed. */
export interface IoRedisModule {
  Redis: new (...args: any[]) => Redis;
}

/**
 * @internal The two connections of a node to Redis: one for commands and one for subscriptions
 * (a subscribed connection can run nothing else). They are the transport's own, made from the
 * options, or the application's, which are borrowed: used, listened to, never closed.
 *
 * Commands of its own clients fail at once while Redis is unreachable (no offline queue), so
 * callers can report an outage instead of hanging.
 */
export class RedisClients {
  readonly commands: Redis;
  readonly subscriber: Redis;
  private readonly logger = new Logger(RedisClients.name);
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
    if (options.subscriber) {
      this.subscriber = options.subscriber as Redis;
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

  /** Called by each user when it is done; the last one closes the transport's own clients. */
  release(): void {
    if (--this.users > 0) return;
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
  }

  private describe(): string {
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
