import { Logger } from '@nestjs/common';
import type { BrokerNode, ChatBroker } from '../broker.interface.js';
import type { RedisClients } from './redis-clients.js';
import type { ResolvedRedisOptions } from './redis-options.js';

/**
 * @internal A broker on Redis pub/sub. Every node listens on a channel of its own plus one shared
 * broadcast channel, so a message for one node is published only to that node's channel, and on
 * the channels it subscribed to (a room's, while it holds members). A message travels as
 * `{"from":<node id>,"body":…}`.
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
  /** Set while the subscription is down: the node catches up once it is back. */
  private lost = false;
  private readonly onMessage = (_channel: string, raw: string): void => this.deliver(raw);
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

  constructor(
    private readonly clients: RedisClients,
    private readonly options: ResolvedRedisOptions,
  ) {}

  get reachable(): boolean {
    return this.clients.isReady();
  }

  async attach(node: BrokerNode): Promise<void> {
    await this.clients.acquire();
    this.node = node;
    const { subscriber } = this.clients;
    subscriber.on('message', this.onMessage);
    subscriber.on('reconnecting', this.onReconnecting);
    subscriber.on('ready', this.onReady);
    await subscriber.subscribe(this.channelOf(node.nodeId), this.broadcastChannel());
  }

  async detach(): Promise<void> {
    const node = this.node;
    this.node = undefined;
    if (!node) return;
    const { subscriber } = this.clients;
    subscriber.off('message', this.onMessage);
    subscriber.off('reconnecting', this.onReconnecting);
    subscriber.off('ready', this.onReady);
    if (subscriber.status === 'ready') {
      await subscriber
        .unsubscribe(
          this.channelOf(node.nodeId),
          this.broadcastChannel(),
          ...[...this.channels.keys()].map((channel) => this.named(channel)),
        )
        .catch(() => undefined);
    }
    this.channels.clear();
    this.clients.release();
  }

  subscribe(channel: string): Promise<void> {
    let subscribing = this.channels.get(channel);
    if (!subscribing) {
      const started = this.clients.subscriber.subscribe(this.named(channel)).then(() => undefined);
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
      await this.clients.subscriber.unsubscribe(this.named(channel));
    } catch (err) {
      // Still subscribed (ioredis resubscribes it on reconnect): a retry must unsubscribe again.
      if (!this.channels.has(channel)) this.channels.set(channel, subscribed);
      throw err;
    }
  }

  async publishTo(channel: string, body: unknown): Promise<number> {
    const receivers = await this.clients.commands.publish(this.named(channel), this.wrap(body));
    // This node ignores its own message, and counted among the subscribers if it is one.
    return Math.max(0, receivers - (this.channels.has(channel) ? 1 : 0));
  }

  async publish(nodeId: string, body: unknown): Promise<boolean> {
    const receivers = await this.clients.commands.publish(this.channelOf(nodeId), this.wrap(body));
    return receivers > 0;
  }

  async publishAll(body: unknown): Promise<number> {
    // Every subscriber of the broadcast channel is a node; this one ignores its own message.
    const receivers = await this.clients.commands.publish(this.broadcastChannel(), this.wrap(body));
    return Math.max(0, receivers - 1);
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
