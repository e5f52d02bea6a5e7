import { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { decodeClusterMessage, nodeOf, type ClusterMessage } from '../cluster/cluster-message.js';
import type {
  ChatTransport,
  JoinResult,
  PresenceEntry,
  TransportNode,
} from '../interfaces/chat-transport.interface.js';
import { settlesWithin } from '../settles-within.js';
import { JOIN, LIVE_NODES, LOCATE, REFRESH_NODE } from './redis-scripts.js';

/** Options of the Redis transport (`ChatModule.forRoot({ redis })`). */
export interface RedisTransportOptions {
  /** Connection URL, e.g. `redis://127.0.0.1:6379` or `rediss://user:pass@host:6380/0`. */
  url?: string;
  /** ioredis options (host, port, password, tls, sentinels, …), applied over `url`. */
  options?: RedisOptions;
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

type Commands = Redis & {
  chatJoin(...args: (string | number)[]): Promise<[string, string[]]>;
  chatLocate(keyCount: number, ...keys: string[]): Promise<string[][]>;
  chatRefreshNode(
    nodesKey: string,
    evictionsKey: string,
    nodeId: string,
    ttlMs: number,
  ): Promise<[number, string[], string[]]>;
  chatLiveNodes(nodesKey: string): Promise<string[]>;
};

/** Dead nodes' presence is removed this many entries per round trip. */
const CLEANUP_BATCH = 500;

/** How long a node's list of evicted connections outlives the last eviction filed in it. */
const EVICTIONS_LIFETIME_MS = 60_000;

/**
 * A cluster on Redis, through ioredis. Presence lives in one sorted set per user (connection id →
 * join time), liveness in one sorted set of nodes (node id → expiry), and each node's entries in a
 * hash so that anyone can remove a dead node's presence. Every node listens on a channel of its
 * own plus one shared broadcast channel, so a send is published only to the nodes that hold the
 * recipients. Presence changes are Lua scripts: atomic, with Redis's clock.
 *
 * Commands fail at once while Redis is unreachable (no offline queue), so callers can report it
 * instead of hanging; when Redis is back, the node refreshes its liveness and asks its connections
 * to join again.
 */
export class RedisTransport implements ChatTransport {
  readonly distributed = true;
  private readonly logger = new Logger('ChatRedisTransport');
  private readonly commands: Commands;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly nodesKey: string;
  private readonly ttlMs: number;
  private readonly connectTimeoutMs: number;
  private node: TransportNode | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Set while an outage is known, so that it is logged once. */
  private inOutage = false;

  constructor(options: RedisTransportOptions) {
    this.prefix = options.keyPrefix ?? 'chat:';
    this.nodesKey = `${this.prefix}nodes`;
    this.ttlMs = options.nodeTtlMs ?? 15_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    const redisOptions: RedisOptions = {
      ...options.options,
      lazyConnect: true,
      // Fail fast while disconnected: a send must report the outage, not wait for the end of it.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      autoResendUnfulfilledCommands: false,
      enableAutoPipelining: true,
      scripts: {
        chatJoin: { numberOfKeys: 3, lua: JOIN },
        chatLocate: { lua: LOCATE },
        chatRefreshNode: { numberOfKeys: 2, lua: REFRESH_NODE },
        chatLiveNodes: { numberOfKeys: 1, lua: LIVE_NODES },
      },
    };
    this.commands = (
      options.url ? new Redis(options.url, redisOptions) : new Redis(redisOptions)
    ) as Commands;
    this.subscriber = this.commands.duplicate();
    for (const client of [this.commands, this.subscriber]) {
      client.on('error', (err: Error) => this.onError(err));
    }
    // Redis drops a subscriber that falls behind its output buffer limit; ioredis reconnects and
    // subscribes again, but what was published meanwhile is gone. Senders see it as incomplete.
    this.subscriber.on('reconnecting', () => {
      if (!this.inOutage && this.node) {
        this.logger.warn(
          'Lost the Redis subscription; pushes sent to this node until it is back are lost',
        );
      }
    });
  }

  get reachable(): boolean {
    return this.isReady();
  }

  async attach(node: TransportNode): Promise<void> {
    this.node = node;
    const connected = Promise.all([this.commands.connect(), this.subscriber.connect()]);
    connected.catch(() => undefined);
    if (!(await settlesWithin(connected, this.connectTimeoutMs)) || !this.isReady()) {
      this.commands.disconnect();
      this.subscriber.disconnect();
      const detail = await connected.then(
        () => 'not ready',
        (err: Error) => err.message,
      );
      throw new Error(
        `RedisTransport: could not connect to Redis at ${this.describeServer()} within ${this.connectTimeoutMs} ms (${detail})`,
      );
    }
    this.subscriber.on('message', (_channel: string, raw: string) => this.onMessage(raw));
    await this.subscriber.subscribe(this.channelOf(node.nodeId), this.broadcastChannel());
    await this.refresh(false);
    this.commands.on('ready', () => this.onReconnected());
    this.refreshTimer = setInterval(() => void this.refresh(true), Math.ceil(this.ttlMs / 3));
    this.refreshTimer.unref();
  }

  async detach(): Promise<void> {
    clearInterval(this.refreshTimer);
    const node = this.node;
    this.node = undefined;
    if (node && this.isReady()) {
      try {
        await this.removeNode(node.nodeId);
      } catch (err) {
        this.logger.warn(
          `Could not remove this node's presence (it expires by itself): ${(err as Error).message}`,
        );
      }
    }
    this.commands.disconnect();
    this.subscriber.disconnect();
  }

  async join(entry: PresenceEntry, limit: number, rejoin = false): Promise<JoinResult> {
    const [since, evicted] = await this.commands.chatJoin(
      this.userKey(entry.user),
      this.nodesKey,
      this.nodeKey(this.requireNode().nodeId),
      entry.id,
      entry.user,
      limit,
      rejoin ? entry.since.toFixed(3) : '',
      this.prefix,
      EVICTIONS_LIFETIME_MS,
    );
    return { since: Number(since), evicted };
  }

  async leave(entry: PresenceEntry): Promise<void> {
    await this.commands
      .multi()
      .zrem(this.userKey(entry.user), entry.id)
      .hdel(this.nodeKey(this.requireNode().nodeId), entry.id)
      .exec();
  }

  async locate(users: readonly string[]): Promise<Map<string, string[]>> {
    const located = new Map<string, string[]>();
    if (users.length === 0) return located;
    const keys = users.map((user) => this.userKey(user));
    const nodes = await this.commands.chatLocate(keys.length + 1, this.nodesKey, ...keys);
    users.forEach((user, i) => located.set(user, nodes[i] ?? []));
    return located;
  }

  async users(): Promise<string[]> {
    const live = new Set(await this.nodes());
    const userPrefix = `${this.prefix}u:`;
    const users: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.commands.scan(
        cursor,
        'MATCH',
        `${escapeGlob(userPrefix)}*`,
        'COUNT',
        CLEANUP_BATCH,
      );
      cursor = next;
      const pipeline = this.commands.pipeline();
      for (const key of keys) pipeline.zrange(key, '0', '-1');
      const replies = (await pipeline.exec()) ?? [];
      keys.forEach((key, i) => {
        const members = (replies[i]?.[1] ?? []) as string[];
        if (members.some((member) => live.has(nodeOf(member)))) {
          users.push(key.slice(userPrefix.length));
        }
      });
    } while (cursor !== '0');
    return users;
  }

  nodes(): Promise<string[]> {
    return this.commands.chatLiveNodes(this.nodesKey);
  }

  async publish(nodeId: string, message: ClusterMessage): Promise<boolean> {
    return (await this.commands.publish(this.channelOf(nodeId), JSON.stringify(message))) > 0;
  }

  async publishAll(message: ClusterMessage): Promise<number> {
    // Every subscriber of the broadcast channel is a node; this one ignores its own message.
    const subscribers = await this.commands.publish(
      this.broadcastChannel(),
      JSON.stringify(message),
    );
    return Math.max(0, subscribers - 1);
  }

  private isReady(): boolean {
    return this.commands.status === 'ready' && this.subscriber.status === 'ready';
  }

  private requireNode(): TransportNode {
    if (!this.node) throw new Error('RedisTransport: not attached');
    return this.node;
  }

  /** Extends this node's liveness and cleans up after nodes that died without doing it. */
  private async refresh(periodic: boolean): Promise<void> {
    const node = this.node;
    if (!node) return;
    try {
      const [added, dead, evicted] = await this.commands.chatRefreshNode(
        this.nodesKey,
        this.evictionsKey(node.nodeId),
        node.nodeId,
        this.ttlMs,
      );
      // Evictions whose pub/sub notice this node missed (its subscription was down, say).
      if (evicted.length > 0) {
        node.receive({ type: 'evict', from: node.nodeId, connectionIds: evicted });
      }
      // Missing from the live nodes means the presence was lost (Redis restarted empty, or this
      // process stalled past its time-to-live and was cleaned up): join everything again.
      if (periodic && added === 1) node.rejoin();
      for (const deadNode of dead) {
        if (deadNode !== node.nodeId) await this.removeNode(deadNode);
      }
    } catch (err) {
      this.logger.debug(`Liveness refresh failed: ${(err as Error).message}`);
    }
  }

  /** Removes every presence entry of a node, in batches, then the node itself. */
  private async removeNode(nodeId: string): Promise<void> {
    const hash = this.nodeKey(nodeId);
    let cursor = '0';
    do {
      const [next, fields] = await this.commands.hscan(
        hash,
        cursor,
        'COUNT',
        String(CLEANUP_BATCH),
      );
      cursor = next;
      const pipeline = this.commands.pipeline();
      for (let i = 0; i < fields.length; i += 2) {
        pipeline.zrem(this.userKey(fields[i + 1]), fields[i]);
      }
      await pipeline.exec();
    } while (cursor !== '0');
    await this.commands
      .multi()
      .del(hash, this.evictionsKey(nodeId))
      .zrem(this.nodesKey, nodeId)
      .exec();
  }

  private onMessage(raw: string): void {
    const node = this.node;
    if (!node) return;
    const message = decodeClusterMessage(raw);
    if (!message) {
      this.logger.warn('Ignored a malformed cluster message');
      return;
    }
    if (message.from !== node.nodeId) node.receive(message);
  }

  private onError(err: Error): void {
    // ioredis reports every failed reconnection attempt; one warning per outage is enough.
    if (!this.inOutage) {
      this.inOutage = true;
      this.logger.warn(
        `Redis at ${this.describeServer()} is unreachable (${err.message}); local delivery continues, remote sends report 'backplane_unavailable'`,
      );
    }
  }

  private onReconnected(): void {
    if (this.inOutage && this.isReady()) {
      this.inOutage = false;
      this.logger.log(`Redis at ${this.describeServer()} is reachable again; re-registering`);
    }
    const node = this.node;
    if (!node) return;
    void this.refresh(false).then(() => node.rejoin());
  }

  private describeServer(): string {
    const { host, port } = this.commands.options;
    return `${host}:${port}`;
  }

  private userKey(user: string): string {
    return `${this.prefix}u:${user}`;
  }

  private nodeKey(nodeId: string): string {
    return `${this.prefix}n:${nodeId}`;
  }

  private evictionsKey(nodeId: string): string {
    return `${this.prefix}ev:${nodeId}`;
  }

  private channelOf(nodeId: string): string {
    return `${this.prefix}node:${nodeId}`;
  }

  private broadcastChannel(): string {
    return `${this.prefix}all`;
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
