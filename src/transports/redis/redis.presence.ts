import { Logger } from '@nestjs/common';
import { nodeOf } from '../../common/connection-id.js';
import type {
  JoinResult,
  PresenceEntry,
  PresenceNode,
  PresenceStore,
} from '../presence-store.interface.js';
import { PartialLookupError } from '../presence-lookup.error.js';
import type { RedisClients } from './redis-clients.js';
import type { ResolvedRedisOptions } from './redis-options.js';
import { RedisScript } from './redis-script.js';
import {
  JOIN,
  JOIN_SHARDED,
  LIVE_NODES,
  LOCATE,
  LOCATE_SHARDED,
  REFRESH_NODE,
} from './redis-scripts.js';
import { keySlot } from './redis-slot.js';

/** Dead nodes' presence is removed this many entries per round trip. */
const CLEANUP_BATCH = 500;

/** How long a node's list of evicted connections outlives the last eviction filed in it. */
const EVICTIONS_LIFETIME_MS = 60_000;

/** A liveness expiry that never passes: what a live node is taken to have while it is unknown. */
const FOREVER = Number.MAX_SAFE_INTEGER;

const join = new RedisScript<[string, string[]]>(JOIN);
const joinSharded = new RedisScript<[string, string[]]>(JOIN_SHARDED);
const locate = new RedisScript<string[][]>(LOCATE);
const locateSharded = new RedisScript<string[][]>(LOCATE_SHARDED);
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
 *
 * Keys are hash-tagged for a Redis Cluster: a user's under `{u:<user>}`, a node's under
 * `{n:<node>}`, so users spread over the shards. There a script touches one user's slot only, so
 * it cannot read the nodes zset: it gets the liveness of the nodes from this node's copy, read at
 * each refresh. The bookkeeping the standalone join does in the same script (this node's hash,
 * eviction lists) is then separate commands, and a lookup of many users is one script call per
 * slot, so a shard that is down fails the lookup of its users only.
 */
export class RedisPresence implements PresenceStore {
  private readonly logger = new Logger(RedisPresence.name);
  private readonly prefix: string;
  private readonly nodesKey: string;
  private node: PresenceNode | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private stopWatchingShards: (() => void) | undefined;
  /** The nodes zset as the last refresh read it: node id → liveness expiry on Redis's clock. */
  private liveness = new Map<string, number>();
  /** The nodes whose liveness had passed at the last refresh. */
  private dead = new Set<string>();
  /**
   * Set while the nodes zset cannot be read (its shard is down): a node that was alive is then
   * not taken for dead when its copied expiry passes, since it may well have refreshed it.
   */
  private livenessStale = false;
  /** A read of the nodes zset in progress, for a lookup that found a node it did not know. */
  private learning: Promise<void> | undefined;
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
    const { commands } = this.clients;
    const servers = this.clients.isCluster ? this.clients.cluster().nodes('master') : [commands];
    await Promise.all(
      (this.clients.isCluster ? [joinSharded, locateSharded] : [join, locate]).map((script) =>
        script.load(servers),
      ),
    );
    this.node = node;
    await this.refresh(false);
    this.clients.commands.on('ready', this.onReconnected);
    if (this.clients.isCluster) {
      this.stopWatchingShards = this.clients.onShardRecovered(this.onReconnected);
    }
    this.refreshTimer = setInterval(
      () => void this.refresh(true),
      Math.ceil(this.options.nodeTtlMs / 3),
    );
    this.refreshTimer.unref();
  }

  async detach(): Promise<void> {
    clearInterval(this.refreshTimer);
    this.clients.commands.off('ready', this.onReconnected);
    this.stopWatchingShards?.();
    this.stopWatchingShards = undefined;
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
    const { commands } = this.clients;
    const nodeId = this.attached().nodeId;
    const since = rejoin ? entry.since.toFixed(3) : '';
    if (!this.clients.isCluster) {
      const [joined, evicted] = await join.run(
        commands,
        [this.userKey(entry.user), this.nodesKey, this.nodeKey(nodeId)],
        [entry.id, entry.user, limit, since, this.prefix, EVICTIONS_LIFETIME_MS],
      );
      return { since: Number(joined), evicted };
    }
    const [[joined, evicted]] = await Promise.all([
      joinSharded.run(
        commands,
        [this.userKey(entry.user)],
        [entry.id, entry.user, limit, since, ...this.livenessArgs()],
      ),
      commands.hset(this.nodeKey(nodeId), entry.id, entry.user),
    ]);
    // The fallback for evictions whose notice through the broker is lost: not atomic with the
    // join, which reports the evicted connections to the joiner anyway.
    for (const member of evicted) {
      const list = this.evictionsKey(nodeOf(member));
      commands
        .multi()
        .rpush(list, member)
        .pexpire(list, EVICTIONS_LIFETIME_MS)
        .exec()
        .catch((err: Error) => this.logger.debug(`Could not file an eviction: ${err.message}`));
    }
    return { since: Number(joined), evicted };
  }

  async leave(entry: PresenceEntry): Promise<void> {
    const { commands } = this.clients;
    const nodeKey = this.nodeKey(this.attached().nodeId);
    if (!this.clients.isCluster) {
      // One atomic step on a single Redis, so no reader sees the entry in one key only.
      await commands
        .multi()
        .zrem(this.userKey(entry.user), entry.id)
        .hdel(nodeKey, entry.id)
        .exec();
      return;
    }
    // Two slots on a cluster, so two commands; an entry left in this node's hash is harmless.
    await Promise.all([
      commands.zrem(this.userKey(entry.user), entry.id),
      commands.hdel(nodeKey, entry.id),
    ]);
  }

  async locate(users: readonly string[]): Promise<Map<string, string[]>> {
    const located = new Map<string, string[]>();
    if (users.length === 0) return located;
    const { commands } = this.clients;
    if (!this.clients.isCluster) {
      const keys = users.map((user) => this.userKey(user));
      const nodes = await locate.run(commands, [this.nodesKey, ...keys], []);
      users.forEach((user, i) => located.set(user, nodes[i] ?? []));
      return located;
    }
    const bySlot = new Map<number, string[]>();
    for (const user of users) {
      const slot = keySlot(this.userKey(user));
      const same = bySlot.get(slot);
      if (same) same.push(user);
      else bySlot.set(slot, [user]);
    }
    const args = this.livenessArgs();
    const unreachable = new Set<string>();
    let failure: unknown;
    await Promise.all(
      [...bySlot].map(async ([slot, same]) => {
        try {
          if (!this.clients.isSlotReachable(slot)) {
            throw new Error('RedisTransport: the shard of these users is unreachable');
          }
          const keys = same.map((user) => this.userKey(user));
          const nodes = await locateSharded.run(commands, keys, args);
          same.forEach((user, i) => located.set(user, nodes[i] ?? []));
        } catch (err) {
          this.clients.slotFailed(slot);
          failure = err;
          for (const user of same) unreachable.add(user);
        }
      }),
    );
    await this.dropUnknownNodes(located);
    if (unreachable.size === users.length) throw failure;
    if (unreachable.size > 0) throw new PartialLookupError(located, unreachable, failure);
    return located;
  }

  async users(): Promise<string[]> {
    const { commands } = this.clients;
    const live = new Set(await liveNodes.run(commands, [this.nodesKey], []));
    const userPrefix = `${this.prefix}{u:`;
    const users: string[] = [];
    // SCAN walks one server's keys: on a cluster, every master's.
    const servers = this.clients.isCluster ? this.clients.cluster().nodes('master') : [commands];
    for (const server of servers) {
      let cursor = '0';
      do {
        const [next, keys] = await server.scan(
          cursor,
          'MATCH',
          `${escapeGlob(userPrefix)}*}`,
          'COUNT',
          CLEANUP_BATCH,
          // The pattern also matches other keys of a user, such as a request id ending in '}'.
          'TYPE',
          'zset',
        );
        cursor = next;
        const members = await Promise.all(keys.map((key) => commands.zrange(key, '0', '-1')));
        keys.forEach((key, i) => {
          if (members[i].some((member) => live.has(nodeOf(member)))) {
            users.push(key.slice(userPrefix.length, -1));
          }
        });
      } while (cursor !== '0');
    }
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
    const { commands } = this.clients;
    try {
      const [added, dead] = await this.readLiveness(node.nodeId);
      // Evictions whose notice through the broker this node missed (its subscription was down).
      const list = this.evictionsKey(node.nodeId);
      const [[, evicted]] = ((await commands.multi().lrange(list, 0, -1).del(list).exec()) ??
        []) as [[unknown, string[]]];
      if (evicted?.length > 0) node.evicted(evicted);
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

  /** Extends this node's liveness and copies the nodes zset; marks the copy stale on failure. */
  private async readLiveness(nodeId: string): Promise<[number, string[]]> {
    try {
      const [added, dead, all] = await refreshNode.run(
        this.clients.commands,
        [this.nodesKey],
        [nodeId, this.options.nodeTtlMs],
      );
      const liveness = new Map<string, number>();
      for (let i = 0; i < all.length; i += 2) liveness.set(all[i], Number(all[i + 1]));
      this.liveness = liveness;
      this.dead = new Set(dead);
      this.livenessStale = false;
      return [added, dead];
    } catch (err) {
      this.livenessStale = true;
      throw err;
    }
  }

  /** The nodes' liveness for a sharded script: pairs of node id and expiry. */
  private livenessArgs(): (string | number)[] {
    const args: (string | number)[] = [];
    for (const [node, expires] of this.liveness) {
      args.push(node, this.livenessStale && !this.dead.has(node) ? FOREVER : expires);
    }
    return args;
  }

  /**
   * A sharded lookup takes nodes it does not know for alive: they may have started since the
   * last refresh. This reads the nodes zset again and drops those that are not in it or dead.
   */
  private async dropUnknownNodes(located: Map<string, string[]>): Promise<void> {
    const isUnknown = (node: string): boolean => !this.liveness.has(node);
    if (![...located.values()].some((nodes) => nodes.some(isUnknown))) return;
    this.learning ??= liveNodes.run(this.clients.commands, [this.nodesKey], []).then(
      (live) => {
        for (const node of live) if (!this.liveness.has(node)) this.liveness.set(node, FOREVER);
      },
      () => undefined,
    );
    const learned = this.learning;
    await learned;
    if (this.learning === learned) this.learning = undefined;
    if (this.livenessStale) return;
    for (const [user, nodes] of located)
      located.set(
        user,
        nodes.filter((node) => !isUnknown(node)),
      );
  }

  /** Removes every presence entry of a node, in batches, then the node itself. */
  private async removeNode(nodeId: string): Promise<void> {
    const { commands } = this.clients;
    const hash = this.nodeKey(nodeId);
    let cursor = '0';
    do {
      const [next, fields] = await commands.hscan(hash, cursor, 'COUNT', String(CLEANUP_BATCH));
      cursor = next;
      // One command per entry (in many slots on a cluster), pipelined by the client.
      const removals: Promise<number>[] = [];
      for (let i = 0; i < fields.length; i += 2) {
        removals.push(commands.zrem(this.userKey(fields[i + 1]), fields[i]));
      }
      await Promise.all(removals);
    } while (cursor !== '0');
    await Promise.all([
      commands.del(hash, this.evictionsKey(nodeId)),
      commands.zrem(this.nodesKey, nodeId),
    ]);
  }

  private userKey(user: string): string {
    return `${this.prefix}{u:${user}}`;
  }

  private nodeKey(nodeId: string): string {
    return `${this.prefix}{n:${nodeId}}`;
  }

  private evictionsKey(nodeId: string): string {
    return `${this.prefix}{n:${nodeId}}:ev`;
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
