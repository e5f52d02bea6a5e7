import { Inject, Injectable, Logger } from '@nestjs/common';
import { ChatStatsService, increment } from '../common/chat-stats.service.js';
import { ThrottledLog } from '../common/throttled-log.js';
import { CHAT_OPTIONS } from '../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../options/resolved-options.js';
import { CloseCode } from '../protocol/close-codes.js';
import type { ChatConnection, ConnectionInfo } from './chat-connection.js';
import { ChatEventsService } from './chat-events.service.js';
import type { DisconnectReason } from './connection-event.js';

const NONE: readonly ChatConnection[] = Object.freeze([]);

/**
 * The live connections of this process, by user and by connection id. The application sees a
 * read-only view of them ({@link ConnectionInfo}); the gateway's own providers change them.
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
  private readonly perAddress = new Map<string, number>();
  /** Clients can provoke closes at will (floods, reconnect storms): logged throttled. */
  private readonly closes = new ThrottledLog(new Logger(ClientRegistryService.name));

  /** @internal */
  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    private readonly events: ChatEventsService,
    private readonly stats: ChatStatsService,
  ) {}

  /** Number of live connections. */
  get size(): number {
    return this.byId.size;
  }

  /** Number of users with at least one live connection. */
  get userCount(): number {
    return this.byUser.size;
  }

  /** The user's live connections on this process, oldest first (empty when offline here). */
  connectionsOf(user: string): readonly ConnectionInfo[] {
    return this.of(user);
  }

  /** The live connection with this id, if this process holds it. */
  get(connectionId: string): ConnectionInfo | undefined {
    return this.byId.get(connectionId);
  }

  /** Every user with a live connection on this process. */
  users(): IterableIterator<string> {
    return this.byUser.keys();
  }

  /** @internal The user's live connections, oldest first. */
  of(user: string): readonly ChatConnection[] {
    return this.byUser.get(user) ?? NONE;
  }

  /** @internal The live connection with this id. */
  find(connectionId: string): ChatConnection | undefined {
    return this.byId.get(connectionId);
  }

  /** @internal Number of live connections from this remote address. */
  countAt(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  /** @internal Every live connection. Safe to use while connections end. */
  all(): IterableIterator<ChatConnection> {
    return this.byId.values();
  }

  /**
   * @internal Registers a new connection. The user's oldest connections beyond `connectionsPerUser` end
   * first, with close code 4000 and reason `replaced`.
   */
  register(connection: ChatConnection): void {
    const previous = this.of(connection.user);
    const excess = previous.length + 1 - this.options.maxConnectionsPerUser;
    for (let i = 0; i < excess; i++) {
      this.end(previous[i], 'replaced');
    }
    this.byUser.set(connection.user, [...this.of(connection.user), connection]);
    this.byId.set(connection.id, connection);
    this.perAddress.set(connection.address, this.countAt(connection.address) + 1);
    this.stats.connectionsOpened++;
    this.events.connections.next({
      type: 'connected',
      user: connection.user,
      connectionId: connection.id,
    });
  }

  /**
   * @internal Ends a connection if it is still registered: unregisters it, closes its socket with the
   * reason's close code (terminates it on heartbeat timeout; leaves it alone when the client or
   * `ws` is already closing it) and reports it once on `connections$`.
   *
   * @param detail.code the close code the client sent, for the `client_closed` reason
   * @param detail.message the close reason text to send instead of the default one
   * @returns false when the connection was no longer registered (ended before).
   */
  end(
    connection: ChatConnection,
    reason: DisconnectReason,
    detail: { code?: number; message?: string } = {},
  ): boolean {
    if (this.byId.get(connection.id) !== connection) return false;
    this.byId.delete(connection.id);
    const rest = this.of(connection.user).filter((c) => c !== connection);
    if (rest.length > 0) {
      this.byUser.set(connection.user, rest);
    } else {
      this.byUser.delete(connection.user);
    }
    const atAddress = this.countAt(connection.address) - 1;
    if (atAddress > 0) {
      this.perAddress.set(connection.address, atAddress);
    } else {
      this.perAddress.delete(connection.address);
    }
    increment(this.stats.connectionsClosed, reason);
    if (reason !== 'client_closed' && reason !== 'error') {
      this.closes.debug(reason, `Closed ${connection.id} of ${connection.user}: ${reason}`);
    }
    this.events.connections.next({
      type: 'disconnected',
      user: connection.user,
      connectionId: connection.id,
      reason,
      code: closeSocket(connection, reason, detail.message) ?? detail.code,
    });
    return true;
  }

  /** @internal Ends each of `connections` that is still registered; returns how many were. */
  endAll(
    connections: Iterable<ChatConnection>,
    reason: DisconnectReason,
    message?: string,
  ): number {
    let ended = 0;
    for (const connection of [...connections]) {
      if (this.end(connection, reason, { message })) ended++;
    }
    return ended;
  }
}

/** The close frame the server sends for each reason it ends a connection for. */
const CLOSE_FRAMES: Partial<Record<DisconnectReason, [code: number, reason: string]>> = {
  replaced: [CloseCode.Replaced, 'replaced by a newer connection'],
  slow_consumer: [CloseCode.SlowConsumer, 'slow consumer'],
  shutdown: [CloseCode.GoingAway, 'server shutting down'],
  rate_limited: [CloseCode.PolicyViolation, 'rate limit exceeded'],
  token_expired: [CloseCode.TokenExpired, 'credentials expired'],
  kicked: [CloseCode.Kicked, 'disconnected by the server'],
  resync: [CloseCode.Resync, 'stream out of step: reconnect with your position'],
};

/** Closes the socket the way `reason` calls for and returns the close code it sent, if any. */
function closeSocket(
  { socket }: ChatConnection,
  reason: DisconnectReason,
  detail?: string,
): number | undefined {
  if (reason === 'heartbeat_timeout') {
    socket.terminate();
    return undefined;
  }
  const frame = CLOSE_FRAMES[reason];
  if (!frame) return undefined;
  socket.close(frame[0], truncateUtf8(detail ?? frame[1], MAX_CLOSE_REASON_BYTES));
  return frame[0];
}

/** RFC 6455 leaves 123 bytes for the reason in a close frame. */
const MAX_CLOSE_REASON_BYTES = 123;

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) return text;
  // Cut before a continuation byte's lead so no character is split.
  let end = maxBytes;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString();
}
