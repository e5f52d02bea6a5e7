import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { DeliveryTarget } from '../cluster/cluster-message.js';
import { ClusterRouterService } from '../cluster/cluster-router.service.js';
import type { DeliveryAction } from '../cluster/local-deliverer.js';
import { ChatStatsService } from '../common/chat-stats.service.js';
import { ChatEventsService } from '../connection/chat-events.service.js';
import { ClientRegistryService } from '../connection/client-registry.service.js';
import type { ConnectionEvent, IncomingFrame } from '../connection/connection-event.js';
import { CHAT_TRANSPORT } from '../options/chat.tokens.js';
import type { ChatTransport } from '../transports/chat-transport.interface.js';
import { LocalDeliveryService } from './local-delivery.service.js';
import { messageFrame } from './message-frame.js';
import type { DisconnectResult, SendResult } from './send-result.js';

/**
 * Pushes messages to users, for any part of the application. A push reaches the client as
 * `{"event":"message","data":<payload>}` on every live connection of the user, on this process
 * or, in a cluster, on whichever nodes hold the user.
 *
 * Sending never waits for a client: connections on this process get the frame at once, other
 * nodes in the same event-loop turn, and the promise resolves when they have answered. It never
 * rejects because a user is offline or the cluster is unreachable (see `SendResult.incomplete`);
 * it rejects with a `TypeError` only for a payload that has no JSON form.
 */
@Injectable()
export class MessagingService {
  /**
   * Application frames from clients of this process: every inbound frame except the built-in
   * `heartbeat`. Handlers must not throw (use rxjs `catchError`): rxjs reports an error thrown by
   * a subscriber as an unhandled exception.
   */
  readonly incoming$: Observable<IncomingFrame>;
  /** Connections joining and leaving this process, with the reason for each departure. */
  readonly connections$: Observable<ConnectionEvent>;
  private readonly logger = new Logger(MessagingService.name);

  /** @internal */
  constructor(
    private readonly registry: ClientRegistryService,
    private readonly local: LocalDeliveryService,
    private readonly router: ClusterRouterService,
    @Inject(CHAT_TRANSPORT) private readonly transport: ChatTransport,
    private readonly stats: ChatStatsService,
    events: ChatEventsService,
  ) {
    this.incoming$ = events.incoming.asObservable();
    this.connections$ = events.connections.asObservable();
  }

  /** Pushes `payload` to every live connection of `user`. */
  async send(user: string, payload: unknown): Promise<SendResult> {
    return this.push({ users: [user] }, { frame: messageFrame(payload) });
  }

  /** Pushes `payload` to every live connection of each user (duplicates count once). */
  async sendMany(users: Iterable<string>, payload: unknown): Promise<SendResult> {
    const frame = messageFrame(payload);
    return this.push({ users: [...new Set(users)] }, { frame });
  }

  /** Pushes `payload` to every live connection in the cluster. */
  async broadcast(payload: unknown): Promise<SendResult> {
    return this.push({ all: true }, { frame: messageFrame(payload) });
  }

  /** Pushes `payload` to one connection, e.g. to answer the frame that came from it. */
  async sendToConnection(connectionId: string, payload: unknown): Promise<SendResult> {
    return this.push({ connectionIds: [connectionId] }, { frame: messageFrame(payload) });
  }

  /**
   * Ends every connection of `user` in the cluster with close code 4003 ("disconnected by the
   * server"; clients should not reconnect on their own), e.g. on logout or ban. `reason` is sent
   * as the close reason text (cut to 123 bytes). Resolves with how many connections were closed.
   */
  async disconnect(user: string, reason?: string): Promise<DisconnectResult> {
    const target = { users: [user] };
    const action: DeliveryAction = { close: { reason: 'kicked', message: reason } };
    const { delivered, incomplete } = await this.router.forward<SendResult>(
      target,
      action,
      this.local.deliver(target, action),
    );
    return incomplete ? { disconnected: delivered, incomplete } : { disconnected: delivered };
  }

  /**
   * Whether `user` has at least one live connection in the cluster. While the cluster backplane
   * is unreachable it answers for this process only.
   */
  async isOnline(user: string): Promise<boolean> {
    return (await this.connectionCount(user)) > 0;
  }

  /**
   * Number of live connections of `user` in the cluster. While the cluster backplane is
   * unreachable it answers for this process only.
   */
  connectionCount(user: string): Promise<number> {
    return this.askCluster(
      async () => (await this.transport.presence.locate([user])).get(user)?.length ?? 0,
      () => this.registry.of(user).length,
    );
  }

  /**
   * Every user with at least one live connection in the cluster. It lists them all, so keep it
   * for admin pages, small deployments and demos; use `isOnline` for one user. While the cluster
   * backplane is unreachable it answers for this process only.
   */
  onlineUsers(): Promise<string[]> {
    return this.askCluster(
      () => this.transport.presence.users(),
      () => [...this.registry.users()],
    );
  }

  /** The cluster's answer, or this process's alone when the backplane fails. */
  private async askCluster<T>(cluster: () => Promise<T>, local: () => T): Promise<T> {
    try {
      return await cluster();
    } catch (err) {
      this.logger.debug(`Presence query failed, answering for this process: ${String(err)}`);
      return local();
    }
  }

  /**
   * Delivers to the connections here, adds what the other nodes report, and counts the outcome.
   * In a single process that is all synchronous: no promise beyond the one the caller gets.
   */
  private push(target: DeliveryTarget, action: DeliveryAction): SendResult | Promise<SendResult> {
    const forwarded = this.router.forward<SendResult>(
      target,
      action,
      this.local.deliver(target, action),
    );
    if (!(forwarded instanceof Promise)) return this.recorded(forwarded);
    return forwarded.then((result) => this.recorded(result));
  }

  private recorded(result: SendResult): SendResult {
    this.stats.recordSend(result);
    return result;
  }
}
