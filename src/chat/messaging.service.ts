import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { CHAT_TRANSPORT } from './chat.constants.js';
import { ChatEventsService } from './chat-events.service.js';
import { ClientRegistryService } from './client-registry.service.js';
import { ClusterRouterService, type RemoteTarget } from './cluster/cluster-router.service.js';
import type {
  ConnectionEvent,
  DisconnectResult,
  IncomingFrame,
  SendResult,
} from './interfaces/chat-events.interface.js';
import type { ChatTransport } from './interfaces/chat-transport.interface.js';
import { ChatStatsService } from './metrics/chat-stats.service.js';
import { OutboundService } from './outbound.service.js';
import { messageFrame } from './protocol/frames.js';

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
  private readonly logger = new Logger('ChatMessaging');

  constructor(
    private readonly registry: ClientRegistryService,
    private readonly outbound: OutboundService,
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
    const frame = messageFrame(payload);
    const result = this.outbound.writeAll(this.registry.connectionsOf(user), frame, empty());
    return this.completeSend({ users: [user] }, frame, result);
  }

  /** Pushes `payload` to every live connection of each user (duplicates count once). */
  async sendMany(users: Iterable<string>, payload: unknown): Promise<SendResult> {
    const frame = messageFrame(payload);
    const unique = [...new Set(users)];
    const result = empty();
    for (const user of unique) {
      this.outbound.writeAll(this.registry.connectionsOf(user), frame, result);
    }
    return this.completeSend({ users: unique }, frame, result);
  }

  /** Pushes `payload` to every live connection in the cluster. */
  async broadcast(payload: unknown): Promise<SendResult> {
    const frame = messageFrame(payload);
    const result = this.outbound.writeAll(this.registry.connections(), frame, empty());
    return this.completeSend({ all: true }, frame, result);
  }

  /** Pushes `payload` to one connection, e.g. to answer the frame that came from it. */
  async sendToConnection(connectionId: string, payload: unknown): Promise<SendResult> {
    const frame = messageFrame(payload);
    const connection = this.registry.get(connectionId);
    const result = this.outbound.writeAll(connection ? [connection] : [], frame, empty());
    return this.completeSend({ connectionIds: [connectionId] }, frame, result);
  }

  /**
   * Ends every connection of `user` in the cluster with close code 4003 ("disconnected by the
   * server"; clients should not reconnect on their own), e.g. on logout or ban. `reason` is sent
   * as the close reason text (cut to 123 bytes). Resolves with how many connections were closed.
   */
  async disconnect(user: string, reason?: string): Promise<DisconnectResult> {
    const local = this.registry.endAll(this.registry.connectionsOf(user), 'kicked', reason);
    const message = reason ?? 'disconnected by the server';
    const localResult: SendResult = { delivered: local, dropped: 0 };
    const { delivered, incomplete } = this.transport.distributed
      ? await this.router.forward({ users: [user] }, { close: message }, localResult)
      : localResult;
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
      async () => (await this.transport.locate([user])).get(user)?.length ?? 0,
      () => this.registry.connectionsOf(user).length,
    );
  }

  /**
   * Every user with at least one live connection in the cluster. It lists them all, so keep it
   * for admin pages, small deployments and demos; use `isOnline` for one user. While the cluster
   * backplane is unreachable it answers for this process only.
   */
  onlineUsers(): Promise<string[]> {
    return this.askCluster(
      () => this.transport.users(),
      () => [...this.registry.users()],
    );
  }

  /** The cluster's answer, or this process's alone when single or when the backplane fails. */
  private async askCluster<T>(cluster: () => Promise<T>, local: () => T): Promise<T> {
    if (!this.transport.distributed) return local();
    try {
      return await cluster();
    } catch (err) {
      this.logger.debug(`Presence query failed, answering for this process: ${String(err)}`);
      return local();
    }
  }

  /**
   * Adds the other nodes' part of a push to its local part, and counts the outcome. In a single
   * process that is all synchronous: no promise beyond the one the public method returns.
   */
  private completeSend(
    target: RemoteTarget,
    frame: Buffer,
    local: SendResult,
  ): Promise<SendResult> | SendResult {
    if (!this.transport.distributed) return this.recorded(local);
    return this.router.forward(target, { frame }, local).then((result) => this.recorded(result));
  }

  private recorded(result: SendResult): SendResult {
    this.stats.recordSend(result);
    return result;
  }
}

function empty(): SendResult {
  return { delivered: 0, dropped: 0 };
}
