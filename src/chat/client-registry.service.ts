import { Inject, Injectable } from '@nestjs/common';
import { CHAT_OPTIONS, CloseCode } from './chat.constants.js';
import type { ChatConnection } from './chat-connection.js';
import { ChatEventsService } from './chat-events.service.js';
import type { ResolvedChatOptions } from './chat-options.js';
import type { DisconnectReason } from './interfaces/chat-events.interface.js';

const NONE: readonly ChatConnection[] = Object.freeze([]);

/**
 * The live connections of this process, by user and by connection id.
 *
 * Every change happens in one synchronous step, so concurrent handshakes, closes and sends can
 * never see a half-done update. Removal is always by connection identity: when an old
 * connection's close, error or timeout finally arrives, it cannot remove the newer connection
 * that replaced it. A user's list is replaced, never mutated, so a send that is iterating it
 * while a connection ends keeps a consistent snapshot.
 */
@Injectable()
export class ClientRegistryService {
  private readonly byUser = new Map<string, readonly ChatConnection[]>();
  private readonly byId = new Map<string, ChatConnection>();

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    private readonly events: ChatEventsService,
  ) {}

  /** Number of live connections. */
  get size(): number {
    return this.byId.size;
  }

  /** Number of users with at least one live connection. */
  get userCount(): number {
    return this.byUser.size;
  }

  /** The user's live connections, oldest first (an empty list when offline). */
  connectionsOf(user: string): readonly ChatConnection[] {
    return this.byUser.get(user) ?? NONE;
  }

  /** The live connection with this id, if it is registered here. */
  get(connectionId: string): ChatConnection | undefined {
    return this.byId.get(connectionId);
  }

  /** Every user with a live connection. */
  users(): IterableIterator<string> {
    return this.byUser.keys();
  }

  /** Every live connection. Safe to use while connections end. */
  connections(): IterableIterator<ChatConnection> {
    return this.byId.values();
  }

  /**
   * Registers a new connection. The user's oldest connections beyond `connectionsPerUser` end
   * first, with close code 4000 and reason `replaced`.
   */
  register(connection: ChatConnection): void {
    const previous = this.connectionsOf(connection.user);
    const excess = previous.length + 1 - this.options.maxConnectionsPerUser;
    for (let i = 0; i < excess; i++) {
      this.end(previous[i], 'replaced');
    }
    this.byUser.set(connection.user, [...this.connectionsOf(connection.user), connection]);
    this.byId.set(connection.id, connection);
    this.events.connections.next({
      type: 'connected',
      user: connection.user,
      connectionId: connection.id,
    });
  }

  /**
   * Ends a connection if it is still registered: unregisters it, closes its socket as `reason`
   * requires (4000 replaced, 4008 slow consumer, 1001 shutdown, terminate on heartbeat timeout;
   * nothing when the socket is already closing) and reports it once on `connections$`.
   *
   * @param code the close code the client sent, for the `client_closed` and `error` reasons
   * @returns false when the connection was no longer registered (ended before).
   */
  end(connection: ChatConnection, reason: DisconnectReason, code?: number): boolean {
    if (this.byId.get(connection.id) !== connection) return false;
    this.byId.delete(connection.id);
    const rest = this.connectionsOf(connection.user).filter((c) => c !== connection);
    if (rest.length > 0) {
      this.byUser.set(connection.user, rest);
    } else {
      this.byUser.delete(connection.user);
    }
    this.events.connections.next({
      type: 'disconnected',
      user: connection.user,
      connectionId: connection.id,
      reason,
      code: closeSocket(connection, reason) ?? code,
    });
    return true;
  }
}

/** Closes the socket the way `reason` calls for and returns the close code it sent, if any. */
function closeSocket({ socket }: ChatConnection, reason: DisconnectReason): number | undefined {
  switch (reason) {
    case 'replaced':
      socket.close(CloseCode.Replaced, 'replaced by a newer connection');
      return CloseCode.Replaced;
    case 'slow_consumer':
      socket.close(CloseCode.SlowConsumer, 'slow consumer');
      return CloseCode.SlowConsumer;
    case 'shutdown':
      socket.close(CloseCode.GoingAway, 'server shutting down');
      return CloseCode.GoingAway;
    case 'heartbeat_timeout':
      socket.terminate();
      return undefined;
    case 'client_closed':
    case 'error':
      return undefined;
  }
}
