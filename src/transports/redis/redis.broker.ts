import { Logger } from '@nestjs/common';
import type { BrokerNode, ChatBroker } from '../broker.interface.js';
import type { RedisClients } from './redis-clients.js';
import type { ResolvedRedisOptions } from './redis-options.js';
import { keySlot } from './redis-slot.js';

/**
 * @internal A broker on Redis pub/sub. Every node listens on a channel of its own plus one shared
 * broadcast channel, so a message for one node is published only to that node's channel, and on
 * the channels it subscribed to (a room's, while it holds members). A message travels as
 * `{"from":<node id>,"body":…}`.
 *
 * On a Redis Cluster every channel is a shard channel (SSUBSCRIBE / SPUBLISH): a message travels
 * only within the shard that owns the channel's slot, where classic pub/sub would copy it to
 * every shard. That holds for the broadcast channel too: one shard sends it to every node, and
 * SPUBLISH counts the nodes it reached, which a cluster's PUBLISH (counting the subscribers of
 * one shard) does not. A node's channel and the broadcast channel exist once per shard (each
 * with a shard's hash tag) and a node listens on all of them: a sender uses one shard (picked by
 * the channel's name, to spread the load) and another when that one is down, so a shard that is
 * down takes only its own rooms and users out of reach, not every user of a node.
 *
 * Redis pub/sub keeps nothing: what is published while a node's subscription is down is lost
 * (Redis also drops a subscriber that falls behind its output buffer limit; ioredis reconnects
 * and subscribes again). Senders see that as missing receipts.
 */
export class RedisBroker implements ChatBroker {
  readonly distributed = true;
  private readonly logger = new Logger(RedisBroker.name);
  private node: BrokerNode | undefined;
  /**
   * The channels this node subscribed to, beside its own and the broadcast channel: each with its
   * SUBSCRIBE, settled once the subscription is in effect (so that a second caller waits for it
   * too) and forgotten if it failed (so that a retry subscribes again).
   */
  private readonly channels = new Map<string, Promise<void>>();
  /**
   * A channel's SUBSCRIBE or UNSUBSCRIBE on its way, and the publishes to it on their way. The
   * two never overlap: a publish waits for the change, and a change for the publishes sent
   * before it. So whether Redis counted this node among a publish's receivers is known, and the
   * count of other nodes is exact; a sender waits for that many receipts, and one too many would
   * leave it waiting for the timeout.
   */
  private readonly settling = new Map<string, Promise<unknown>>();
  private readonly publishing = new Map<string, Set<Promise<unknown>>>();
  /** Set while the subscription is down: the node catches up once it is back. */
  private lost = false;
  private readonly onMessage = (_channel: string, raw: string): void => this.deliver(raw);
  private stopWatchingShards: (() => void) | undefined;
  private readonly onReconnecting = (): void => {
    if (!this.node || this.lost) return;
    this.lost = true;
    if (this.clients.commands.status === 'ready') {
      this.logger.warn(
        'Lost the Redis subscription; messages sent to this node until it is back are lost, and stored pushes are caught up from the history',
      );
    }
  };
  // ioredis subscribes again before it reports the connection ready, so from here on nothing is
  // missed any more, and what was missed can be read back.
  private readonly onReady = (): void => {
    if (!this.lost) return;
    this.lost = false;
    this.node?.missed();
  };
  // A shard of a Redis Cluster that was down is back; ioredis has subscribed there again.
  private readonly onShardRecovered = (): void => this.node?.missed();
  // On a cluster, ioredis replaces a sharded subscriber connection that dropped (its master
  // restarted, or Redis closed it past the output buffer limit) and reports each round of
  // replacements as 'subscribersReady', also while a master is still down: only a round that
  // left every connection ready ends the loss.
  private readonly onSubscriberLost = (): void => {
    if (!this.node) return;
    if (!this.lost) {
      this.logger.warn(
        'Lost a Redis Cluster shard subscription; messages sent through it until it is back are lost, and stored pushes are caught up from the history',
      );
    }
    this.lost = true;
  };
  private readonly onSubscribersReady = (): void => {
    if (this.lost && shardedSubscribersReady(this.clients.subscriber)) this.onReady();
  };

  constructor(
    private readonly clients: RedisClients,
    private readonly options: ResolvedRedisOptions,
  ) {}

  get reachable(): boolean {
    return this.clients.isReady() && !(this.clients.isCluster && this.lost);
  }

  async attach(node: BrokerNode): Promise<void> {
    await this.clients.acquire();
    this.node = node;
    const { subscriber } = this.clients;
    subscriber.on('message', this.onMessage);
    subscriber.on('smessage', this.onMessage);
    subscriber.on('reconnecting', this.onReconnecting);
    subscriber.on('ready', this.onReady);
    if (this.clients.isCluster) {
      this.stopWatchingShards = this.clients.onShardRecovered(this.onShardRecovered);
      subscriber.on('-subscriber', this.onSubscriberLost);
      subscriber.on('subscribersReady', this.onSubscribersReady);
    }
    await this.listen(...this.ownChannels(node.nodeId));
  }

  async detach(): Promise<void> {
    const node = this.node;
    this.node = undefined;
    if (!node) return;
    const { subscriber } = this.clients;
    subscriber.off('message', this.onMessage);
    subscriber.off('smessage', this.onMessage);
    subscriber.off('reconnecting', this.onReconnecting);
    subscriber.off('ready', this.onReady);
    this.stopWatchingShards?.();
    this.stopWatchingShards = undefined;
    subscriber.off('-subscriber', this.onSubscriberLost);
    subscriber.off('subscribersReady', this.onSubscribersReady);
    if (subscriber.status === 'ready') {
      await this.unlisten(
        ...this.ownChannels(node.nodeId),
        ...[...this.channels.keys()].map((channel) => this.named(channel)),
      ).catch(() => undefined);
    }
    this.channels.clear();
    this.clients.release();
  }

  subscribe(channel: string): Promise<void> {
    let subscribing = this.channels.get(channel);
    if (!subscribing) {
      const started = this.change(channel, () => this.listen(this.named(channel)));
      subscribing = started;
      this.channels.set(channel, started);
      started.catch(() => {
        if (this.channels.get(channel) === started) this.channels.delete(channel);
      });
    }
    return subscribing;
  }

  async unsubscribe(channel: string): Promise<void> {
    const subscribed = this.channels.get(channel);
    if (!subscribed) return;
    this.channels.delete(channel);
    try {
      await this.change(channel, () => this.unlisten(this.named(channel)));
    } catch (err) {
      // Still subscribed (ioredis resubscribes it on reconnect): a retry must unsubscribe again.
      if (!this.channels.has(channel)) this.channels.set(channel, subscribed);
      throw err;
    }
  }

  async publishTo(channel: string, body: unknown): Promise<number> {
    const message = this.wrap(body);
    for (let pending; (pending = this.settling.get(channel));) {
      await pending.catch(() => undefined);
    }
    // This node ignores its own message, and Redis counts it among the subscribers if it is one.
    const counted = this.channels.has(channel);
    const sent = this.send(this.named(channel), message);
    let publishes = this.publishing.get(channel);
    if (!publishes) this.publishing.set(channel, (publishes = new Set()));
    publishes.add(sent);
    try {
      return Math.max(0, (await sent) - (counted ? 1 : 0));
    } finally {
      publishes.delete(sent);
      if (publishes.size === 0 && this.publishing.get(channel) === publishes) {
        this.publishing.delete(channel);
      }
    }
  }

  async publish(nodeId: string, body: unknown): Promise<boolean> {
    const receivers = await this.sendToAny(this.channelOf(nodeId), this.wrap(body));
    return receivers > 0;
  }

  async publishAll(body: unknown): Promise<number> {
    // Every subscriber of the broadcast channel is a node; this one ignores its own message.
    const receivers = await this.sendToAny(this.broadcastChannel(), this.wrap(body));
    return Math.max(0, receivers - 1);
  }

  /** Runs a channel's SUBSCRIBE or UNSUBSCRIBE once its publishes under way have answered. */
  private change(channel: string, run: () => Promise<void>): Promise<void> {
    const before = [...(this.publishing.get(channel) ?? [])];
    const changed = Promise.allSettled(before)
      .then(run)
      .finally(() => {
        if (this.settling.get(channel) === changed) this.settling.delete(channel);
      });
    this.settling.set(channel, changed);
    changed.catch(() => undefined);
    return changed;
  }

  /** Publishes to a channel (a shard channel on a cluster); resolves with its subscribers. */
  private send(channel: string, message: string): Promise<number> {
    const { commands } = this.clients;
    return this.clients.isCluster
      ? (commands.spublish(channel, message) as Promise<number>)
      : commands.publish(channel, message);
  }

  /**
   * Publishes to a channel that every node listens on in every shard of a cluster (once on a
   * single Redis): through the shard its name picks, or the next one that is reachable.
   */
  private async sendToAny(channel: string, message: string): Promise<number> {
    const tags = this.clients.isCluster ? this.clients.shardTags() : [];
    if (tags.length === 0) return this.send(channel, message);
    const first = keySlot(channel) % tags.length;
    let failure: unknown;
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[(first + i) % tags.length];
      if (!this.clients.isShardReachable(tag) && i < tags.length - 1) continue;
      try {
        return await this.send(`${channel}:${tag}`, message);
      } catch (err) {
        this.clients.shardFailed(tag);
        failure = err;
      }
    }
    throw failure;
  }

  /** This node's channel and the broadcast channel: on a cluster, one of each per shard. */
  private ownChannels(nodeId: string): string[] {
    const channels = [this.channelOf(nodeId), this.broadcastChannel()];
    if (!this.clients.isCluster) return channels;
    const tags = this.clients.shardTags();
    return channels.flatMap((channel) => tags.map((tag) => `${channel}:${tag}`));
  }

  private async listen(...channels: string[]): Promise<void> {
    const { subscriber } = this.clients;
    if (!this.clients.isCluster) {
      await subscriber.subscribe(...channels);
      return;
    }
    // One SSUBSCRIBE per channel: ioredis sends each to the master of its slot, and refuses
    // channels of several slots in one.
    await Promise.all(channels.map((channel) => subscriber.ssubscribe(channel)));
  }

  private async unlisten(...channels: string[]): Promise<void> {
    const { subscriber } = this.clients;
    if (!this.clients.isCluster) {
      await subscriber.unsubscribe(...channels);
      return;
    }
    await Promise.all(channels.map((channel) => subscriber.sunsubscribe(channel)));
  }

  private wrap(body: unknown): string {
    if (!this.node) throw new Error('RedisTransport: the broker is not attached');
    return JSON.stringify({ from: this.node.nodeId, body });
  }

  private deliver(raw: string): void {
    const node = this.node;
    if (!node) return;
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      message = undefined;
    }
    const from = (message as { from?: unknown } | null)?.from;
    if (typeof from !== 'string') {
      this.logger.warn('Ignored a malformed cluster message');
      return;
    }
    if (from !== node.nodeId) node.receive(from, (message as { body?: unknown }).body);
  }

  private channelOf(nodeId: string): string {
    return `${this.options.keyPrefix}node:${nodeId}`;
  }

  private broadcastChannel(): string {
    return `${this.options.keyPrefix}all`;
  }

  private named(channel: string): string {
    return `${this.options.keyPrefix}ch:${channel}`;
  }
}

/**
 * Whether every sharded subscriber connection of an ioredis `Cluster` is ready. ioredis has no
 * public call for it; without the internals this version has, it answers true, so a loss ends at
 * the next 'subscribersReady' as it would have.
 */
function shardedSubscribersReady(subscriber: unknown): boolean {
  const group = (subscriber as { shardedSubscribers?: { shardedSubscribers?: unknown } })
    .shardedSubscribers?.shardedSubscribers;
  if (!(group instanceof Map)) return true;
  for (const sharded of group.values()) {
    const { subscriberStatus, getInstance } = sharded as {
      subscriberStatus?: string;
      getInstance?: () => { status?: string } | null;
    };
    // An idle one was never started: no channel of this node is in that master's slots. One
    // still starting outside a round of replacements was started by a new SSUBSCRIBE (queued
    // until it connects) for a master that had no channel of this node: nothing was lost there.
    if (subscriberStatus === 'idle' || subscriberStatus === 'starting') continue;
    if (getInstance?.call(sharded)?.status !== 'ready') return false;
  }
  return true;
}
