import { Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { ChatConnection } from './chat-connection.js';
import { ChatEventsService } from './chat-events.service.js';
import { ClientRegistryService } from './client-registry.service.js';
import type {
  ConnectionEvent,
  IncomingFrame,
  SendResult,
} from './interfaces/chat-events.interface.js';
import { OutboundService } from './outbound.service.js';
import { messageFrame } from './protocol/frames.js';

/**
 * Pushes messages to users, for any part of the application. A push reaches the client as
 * `{"event":"message","data":<payload>}` on every live connection of the user.
 *
 * Sending never waits for a client: the promise resolves as soon as the frame is queued on each
 * socket (or skipped for backpressure). It never rejects because a user is offline; it rejects
 * with a `TypeError` only for a payload that has no JSON form.
 */
@Injectable()
export class MessagingService {
  /**
   * Application frames from clients: every inbound frame except the built-in `heartbeat`.
   * Handlers must not throw (use rxjs `catchError`): rxjs reports an error thrown by a
   * subscriber as an unhandled exception.
   */
  readonly incoming$: Observable<IncomingFrame>;
  /** Connections joining and leaving this process, with the reason for each departure. */
  readonly connections$: Observable<ConnectionEvent>;

  constructor(
    private readonly registry: ClientRegistryService,
    private readonly outbound: OutboundService,
    events: ChatEventsService,
  ) {
    this.incoming$ = events.incoming.asObservable();
    this.connections$ = events.connections.asObservable();
  }

  /** Pushes `payload` to every live connection of `user`. */
  async send(user: string, payload: unknown): Promise<SendResult> {
    return this.deliver(this.registry.connectionsOf(user), messageFrame(payload), empty());
  }

  /** Pushes `payload` to every live connection of each user (duplicates count once). */
  async sendMany(users: Iterable<string>, payload: unknown): Promise<SendResult> {
    const frame = messageFrame(payload);
    const result = empty();
    for (const user of new Set(users)) {
      this.deliver(this.registry.connectionsOf(user), frame, result);
    }
    return result;
  }

  /** Pushes `payload` to every live connection. */
  async broadcast(payload: unknown): Promise<SendResult> {
    return this.deliver(this.registry.connections(), messageFrame(payload), empty());
  }

  /** Pushes `payload` to one connection, e.g. to answer the frame that came from it. */
  async sendToConnection(connectionId: string, payload: unknown): Promise<SendResult> {
    const connection = this.registry.get(connectionId);
    return this.deliver(connection ? [connection] : [], messageFrame(payload), empty());
  }

  /** Whether `user` has at least one live connection. */
  async isOnline(user: string): Promise<boolean> {
    return this.registry.connectionsOf(user).length > 0;
  }

  /** Number of live connections of `user`. */
  async connectionCount(user: string): Promise<number> {
    return this.registry.connectionsOf(user).length;
  }

  /**
   * Every user with at least one live connection. It lists them all, so keep it for admin pages,
   * small deployments and demos; use `isOnline` for one user.
   */
  async onlineUsers(): Promise<string[]> {
    return [...this.registry.users()];
  }

  private deliver(
    connections: Iterable<ChatConnection>,
    frame: Buffer,
    result: SendResult,
  ): SendResult {
    for (const connection of connections) {
      const outcome = this.outbound.write(connection, frame);
      if (outcome === 'queued') result.delivered++;
      else if (outcome === 'dropped') result.dropped++;
    }
    return result;
  }
}

function empty(): SendResult {
  return { delivered: 0, dropped: 0 };
}
