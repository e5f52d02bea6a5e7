import { Logger } from '@nestjs/common';
import { nodeOf } from '../../common/connection-id.js';
import type {
  JoinResult,
  PresenceEntry,
  PresenceNode,
  PresenceStore,
} from '../presence-store.interface.js';
import type { RedisClients } from './redis-clients.js';
import type { ResolvedRedisOptions } from './redis-options.js';
import { RedisScript } from './redis-script.js';
import { JOIN, LIVE_NODES, LOCATE, REFRESH_NODE } from './redis-scripts.js';

/** Dead nodes' presence is removed this many entries per round trip. */
const CLEANUP_BATCH = 500;

/** How long a node's list of evicted connections outlives the last eviction filed in it. */
const EVICTIONS_LIFETIME_MS = 60_000;

const join = new RedisScript<[string, string[]]>(JOIN);
const locate = new RedisScript<string[][]>(LOCATE);
const refreshNode = new RedisScript<[number, string[], string[]]>(REFRESH_NODE);
const liveNodes = new RedisScript<string[]>(LIVE_NODES);

/**
 * @internal Presence on Redis. One sorted set per user (connection id → join time), one sorted
 * set of nodes (node id → liveness expiry), and each node's entries in a hash so that any node
 * can remove a dead node's presence. Every change is a Lua script: atomic, on Redis's clock.
 *
 * Each node refreshes its liveness every third of `nodeTtlMs`, and cleans up after nodes whose
 * liveness has passed. When Redis comes back (even empty, after a restart) the node refreshes
 * and asks its connections to join again.
 */
export class RedisPresence implements PresenceStore {
  private readonly logger = new Logger(RedisPresence.name);
  private readonly prefix: string;
  private readonly nodesKey: string;
  private node: PresenceNode | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly onReconnected = (): void => {
    const node = this.node;
    if (node) void this.refresh(false).then(() => node.rejoin());
  };

  constructor(
    private readonly clients: RedisClients,
    private readonly options: ResolvedRedisOptions,
  ) {
    this.prefix = options.keyPrefix;
    this.nodesKey = `${this.prefix}nodes`;
  }

  get reachable(): boolean {
    return this.clients.isReady();
  }

  async attach(node: PresenceNode): Promise<void> {
    await this.clients.acquire();
    this.node = node;
    await this.refresh(false);
    this.clients.commands.on('ready', this.onReconnected);
    this.refreshTimer = setInterval(
      () => void this.refresh(true),
      Math.ceil(this.options.nodeTtlMs / 3),
    );
    this.refreshTimer.unref();
  }

  async detach(): Promise<void> {
    clearInterval(this.refreshTimer);
    this.clients.commands.off('ready', this.onReconnected);
    const node = this.node;
    this.node = undefined;
    if (!node) return;
    if (this.clients.isReady()) {
      try {
        await this.removeNode(node.nodeId);
      } catch (err) {
        this.logger.warn(
          `Could not remove this node's presence (it expires by itself): ${(err as Error).message}`,
        );
      }
    }
    this.clients.release();
  }

  async join(entry: PresenceEntry, limit: number, rejoin = false): Promise<JoinResult> {
    const [since, evicted] = await join.run(
      this.clients.commands,
      [this.userKey(entry.user), this.nodesKey, this.nodeKey(this.attached().nodeId)],
      [
        entry.id,
        entry.user,
        limit,
        rejoin ? entry.since.toFixed(3) : '',
        this.prefix,
        EVICTIONS_LIFETIME_MS,
      ],
    );
    return { since: Number(since), evicted };
  }

  async leave(entry: PresenceEntry): Promise<void> {
    await this.clients.commands
      .multi()
      .zrem(this.userKey(entry.user), entry.id)
      .hdel(this.nodeKey(this.attached().nodeId), entry.id)
      .exec();
  }

  async locate(users: readonly string[]): Promise<Map<string, string[]>> {
    const located = new Map<string, string[]>();
    if (users.length === 0) return located;
    const keys = users.map((user) => this.userKey(user));
    const nodes = await locate.run(this.clients.commands, [this.nodesKey, ...keys], []);
    users.forEach((user, i) => located.set(user, nodes[i] ?? []));
    return located;
  }

  async users(): Promise<string[]> {
    const { commands } = this.clients;
    const live = new Set(await liveNodes.run(commands, [this.nodesKey], []));
    const userPrefix = `${this.prefix}u:`;
    const users: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await commands.scan(
        cursor,
        'MATCH',
        `${escapeGlob(userPrefix)}*`,
        'COUNT',
        CLEANUP_BATCH,
      );
      cursor = next;
      const pipeline = commands.pipeline();
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

  private attached(): PresenceNode {
    if (!this.node) throw new Error('RedisTransport: the presence store is not attached');
    return this.node;
  }

  /** Extends this node's liveness and cleans up after nodes that died without doing it. */
  private async refresh(periodic: boolean): Promise<void> {
    const node = this.node;
    if (!node) return;
    try {
      const [added, dead, evicted] = await refreshNode.run(
        this.clients.commands,
        [this.nodesKey, this.evictionsKey(node.nodeId)],
        [node.nodeId, this.options.nodeTtlMs],
      );
      // Evictions whose notice through the broker this node missed (its subscription was down).
      if (evicted.length > 0) node.evicted(evicted);
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
    const { commands } = this.clients;
    const hash = this.nodeKey(nodeId);
    let cursor = '0';
    do {
      const [next, fields] = await commands.hscan(hash, cursor, 'COUNT', String(CLEANUP_BATCH));
      cursor = next;
      const pipeline = commands.pipeline();
      for (let i = 0; i < fields.length; i += 2) {
        pipeline.zrem(this.userKey(fields[i + 1]), fields[i]);
      }
      await pipeline.exec();
    } while (cursor !== '0');
    await commands.multi().del(hash, this.evictionsKey(nodeId)).zrem(this.nodesKey, nodeId).exec();
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
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
