import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { ChatStatsService, increment } from '../common/chat-stats.service.js';
import { nodeOf } from '../common/connection-id.js';
import type { ChatConnection } from '../connection/chat-connection.js';
import { ChatEventsService } from '../connection/chat-events.service.js';
import { ClientRegistryService } from '../connection/client-registry.service.js';
import { CHAT_OPTIONS, CHAT_TRANSPORT } from '../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../options/resolved-options.js';
import type { ChatTransport } from '../transports/chat-transport.interface.js';
import type { PresenceEntry, PresenceNode } from '../transports/presence-store.interface.js';
import { ClusterRouterService, type ClusterCount } from './cluster-router.service.js';

/**
 * @internal Keeps the cluster's presence in step with this node's registry: join on connect,
 * leave on disconnect, join everything again when the store lost it. It enforces the per-user
 * limit across nodes by closing the connections a join pushed out: here directly, elsewhere
 * through the router.
 */
@Injectable()
export class ClusterPresenceService
  implements PresenceNode, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(ClusterPresenceService.name);
  private subscription: Subscription | undefined;
  /** The joins on their way, by connection id: each settles once it is in the presence (or failed). */
  private readonly joins = new Map<string, Promise<void>>();
  readonly nodeId: string;

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    @Inject(CHAT_TRANSPORT) private readonly transport: ChatTransport,
    private readonly registry: ClientRegistryService,
    private readonly events: ChatEventsService,
    private readonly router: ClusterRouterService,
    private readonly stats: ChatStatsService,
  ) {
    this.nodeId = options.nodeId;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.transport.presence.attach(this);
    this.subscription = this.events.connections.subscribe((event) => {
      const connection = this.registry.find(event.connectionId);
      if (event.type === 'connected' && connection) {
        this.join(connection, false);
      } else if (event.type === 'disconnected') {
        // After the connection's join: a script's first run on a Redis that does not know it yet
        // is sent again, so a leave sent meanwhile could reach Redis first and leave the entry.
        const { connectionId: id, user } = event;
        void (this.joins.get(id) ?? Promise.resolve())
          .then(() => this.transport.presence.leave({ id, user, since: 0 }))
          .catch((err) => this.presenceFailed(`remove ${id} from`, err));
      }
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    await this.transport.presence.detach();
  }

  connectionsOf(user: string): readonly PresenceEntry[] {
    return this.registry.of(user);
  }

  users(): Iterable<string> {
    return this.registry.users();
  }

  rejoin(): void {
    for (const connection of this.registry.all()) this.join(connection, true);
  }

  evicted(connectionIds: readonly string[]): void {
    for (const id of connectionIds) this.replace(id);
  }

  /**
   * Settles once the connection's join reached the presence store, or failed to: from then on, a
   * send anywhere in the cluster that locates its user finds it. It never rejects.
   */
  joined(connection: ChatConnection): Promise<void> {
    return this.joins.get(connection.id) ?? Promise.resolve();
  }

  private join(connection: ChatConnection, rejoin: boolean): void {
    // One reaction, not a then/catch/finally chain: this runs on every handshake.
    const joined: Promise<void> = this.transport.presence
      .join(connection, this.options.maxConnectionsPerUser, rejoin)
      .then(
        ({ since, evicted }) => {
          connection.since = since;
          try {
            this.evict(evicted);
          } catch (err) {
            this.logger.error(`Eviction failed: ${(err as Error)?.stack ?? String(err)}`);
          }
          this.joinSettled(connection.id, joined);
        },
        (err: unknown) => {
          this.presenceFailed(`add ${connection.id} to`, err);
          this.joinSettled(connection.id, joined);
        },
      );
    this.joins.set(connection.id, joined);
  }

  private joinSettled(connectionId: string, joined: Promise<void>): void {
    if (this.joins.get(connectionId) === joined) this.joins.delete(connectionId);
  }

  private presenceFailed(what: string, err: unknown): void {
    // Expected while Redis is away; the connections join again when it is back.
    increment(this.stats.clusterErrors, 'presence');
    this.logger.debug(`Could not ${what} the presence: ${String(err)}`);
  }

  /** Closes evicted connections here, and asks their nodes to close the others. */
  private evict(connectionIds: string[]): void {
    const remote: string[] = [];
    for (const id of connectionIds) {
      if (nodeOf(id) === this.nodeId) this.replace(id);
      else remote.push(id);
    }
    if (remote.length === 0) return;
    void Promise.resolve(
      this.router.forward<ClusterCount>(
        { connectionIds: remote },
        { close: { reason: 'replaced' } },
        { delivered: 0, dropped: 0 },
      ),
    ).then(({ incomplete }) => {
      if (incomplete) {
        this.logger.warn(
          `Could not ask every node to close replaced connections (${incomplete}); their nodes find out at their next liveness refresh`,
        );
      }
    });
  }

  private replace(connectionId: string): void {
    const connection = this.registry.find(connectionId);
    if (connection) this.registry.end(connection, 'replaced');
  }
}
