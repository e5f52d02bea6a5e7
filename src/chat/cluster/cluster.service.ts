import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { CHAT_OPTIONS, CHAT_TRANSPORT } from '../chat.constants.js';
import type { ChatConnection } from '../chat-connection.js';
import { ChatEventsService } from '../chat-events.service.js';
import type { ResolvedChatOptions } from '../chat-options.js';
import { ClientRegistryService } from '../client-registry.service.js';
import type { SendResult } from '../interfaces/chat-events.interface.js';
import type {
  ChatTransport,
  PresenceEntry,
  TransportNode,
} from '../interfaces/chat-transport.interface.js';
import { ChatStatsService, increment } from '../metrics/chat-stats.service.js';
import { OutboundService } from '../outbound.service.js';
import {
  nodeOf,
  type ClusterMessage,
  type DeliverItem,
  type DeliveryReceipt,
} from './cluster-message.js';
import { ClusterRouterService } from './cluster-router.service.js';

/**
 * @internal This process as a node of the cluster. It keeps the cluster's presence in step with
 * the local registry (join on connect, leave on disconnect, join everything again when the
 * backplane lost it), enforces the per-user limit across nodes by closing connections the
 * cluster evicted, and serves other nodes' requests to deliver to its connections.
 */
@Injectable()
export class ClusterService
  implements TransportNode, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('ChatCluster');
  private subscription: Subscription | undefined;

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    @Inject(CHAT_TRANSPORT) private readonly transport: ChatTransport,
    private readonly registry: ClientRegistryService,
    private readonly outbound: OutboundService,
    private readonly events: ChatEventsService,
    private readonly router: ClusterRouterService,
    private readonly stats: ChatStatsService,
  ) {}

  get nodeId(): string {
    return this.options.nodeId;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.transport.attach(this);
    this.subscription = this.events.connections.subscribe((event) => {
      const connection = this.registry.get(event.connectionId);
      if (event.type === 'connected' && connection) {
        this.join(connection, false);
      } else if (event.type === 'disconnected') {
        this.transport
          .leave({ id: event.connectionId, user: event.user, since: 0 })
          .catch((err) => this.presenceFailed(`remove ${event.connectionId} from`, err));
      }
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    await this.transport.detach();
  }

  connectionsOf(user: string): readonly PresenceEntry[] {
    return this.registry.connectionsOf(user);
  }

  connections(): Iterable<PresenceEntry> {
    return this.registry.connections();
  }

  users(): Iterable<string> {
    return this.registry.users();
  }

  rejoin(): void {
    for (const connection of this.registry.connections()) this.join(connection, true);
  }

  receive(message: ClusterMessage): void {
    // Called from the transport's event handlers, where a throw would break the subscription or
    // the process: a message this node cannot apply is logged and dropped.
    try {
      switch (message.type) {
        case 'deliver':
          this.deliver(message.from, message.items);
          return;
        case 'delivered':
          this.router.settle(message);
          return;
        case 'evict':
          for (const id of message.connectionIds) this.endLocal(id);
          return;
      }
    } catch (err) {
      this.logger.warn(`Dropped a cluster message it could not apply: ${String(err)}`);
    }
  }

  private join(connection: ChatConnection, rejoin: boolean): void {
    this.transport
      .join(connection, this.options.maxConnectionsPerUser, rejoin)
      .then(
        ({ since, evicted }) => {
          connection.since = since;
          this.evict(evicted);
        },
        (err: unknown) => this.presenceFailed(`add ${connection.id} to`, err),
      )
      .catch((err: unknown) =>
        this.logger.error(`Eviction failed: ${(err as Error)?.stack ?? String(err)}`),
      );
  }

  private presenceFailed(what: string, err: unknown): void {
    // Expected while Redis is away; the connections join again when it is back.
    increment(this.stats.clusterErrors, 'presence');
    this.logger.debug(`Could not ${what} the presence: ${String(err)}`);
  }

  /** Closes evicted connections here and tells their nodes to close the others. */
  private evict(connectionIds: string[]): void {
    const remote = new Map<string, string[]>();
    for (const id of connectionIds) {
      const node = nodeOf(id);
      if (node === this.nodeId) {
        this.endLocal(id);
      } else {
        remote.set(node, [...(remote.get(node) ?? []), id]);
      }
    }
    for (const [node, ids] of remote) {
      this.transport
        .publish(node, { type: 'evict', from: this.nodeId, connectionIds: ids })
        .catch((err) =>
          this.logger.warn(`Could not ask node ${node} to close replaced connections: ${err}`),
        );
    }
  }

  private endLocal(connectionId: string): void {
    const connection = this.registry.get(connectionId);
    if (connection) this.registry.end(connection, 'replaced');
  }

  /** Applies another node's pushes and closes to the connections here, and answers. */
  private deliver(from: string, items: DeliverItem[]): void {
    const receipts = items.map((item): DeliveryReceipt => {
      const targets: ChatConnection[] = [];
      if (item.all) targets.push(...this.registry.connections());
      for (const user of item.users ?? []) targets.push(...this.registry.connectionsOf(user));
      for (const id of item.connectionIds ?? []) {
        const connection = this.registry.get(id);
        if (connection) targets.push(connection);
      }
      if (item.close !== undefined) {
        const closed = this.registry.endAll(targets, 'kicked', item.close);
        return [item.id, closed, 0];
      }
      if (item.frame === undefined) return [item.id, 0, 0];
      const result: SendResult = { delivered: 0, dropped: 0 };
      this.outbound.writeAll(targets, Buffer.from(item.frame), result);
      return [item.id, result.delivered, result.dropped];
    });
    this.transport
      .publish(from, { type: 'delivered', from: this.nodeId, receipts })
      .catch((err) => this.logger.debug(`Could not answer node ${from}: ${err}`));
  }
}
