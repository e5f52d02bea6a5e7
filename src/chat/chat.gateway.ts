import {
  Inject,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import { WebSocket, type RawData, type WebSocketServer } from 'ws';
import {
  CHAT_GATEWAY_FLAG,
  CHAT_OPTIONS,
  CloseCode,
  ErrorCode,
  ServerEvent,
} from './chat.constants.js';
import { ChatConnection } from './chat-connection.js';
import { ChatEventsService } from './chat-events.service.js';
import type { ResolvedChatOptions } from './chat-options.js';
import { isChatServer } from './chat-ws.adapter.js';
import { ClientRegistryService } from './client-registry.service.js';
import { addressOf, HandshakeService } from './handshake.service.js';
import { ChatStatsService, increment } from './metrics/chat-stats.service.js';
import { OutboundService } from './outbound.service.js';
import { errorFrame, heartbeatFrame, parseInbound, welcomeFrame } from './protocol/frames.js';
import { TokenBucket } from './security/token-bucket.js';
import { settlesWithin } from './settles-within.js';
import { ThrottledLog } from './throttled-log.js';

/**
 * The WebSocket endpoint. It registers each admitted connection, answers heartbeats, reports
 * protocol errors to the client, forwards application frames to `MessagingService.incoming$`,
 * and on shutdown closes every connection with 1001.
 *
 * Inbound frames are read straight from the `ws` socket (one listener per connection) instead of
 * through `@SubscribeMessage`: Nest's per-frame dispatch costs several times more CPU and memory
 * per connection than the gateway itself, and the protocol has only one built-in event.
 */
@WebSocketGateway({ [CHAT_GATEWAY_FLAG]: true })
export class ChatGateway
  implements
    OnGatewayInit<WebSocketServer>,
    OnGatewayConnection<WebSocket>,
    OnGatewayDisconnect<WebSocket>,
    OnApplicationBootstrap,
    BeforeApplicationShutdown
{
  private readonly logger = new Logger(ChatGateway.name);
  /** Any client can make its socket fail: logged throttled, at debug level. */
  private readonly failures = new ThrottledLog(this.logger);
  private readonly bySocket = new WeakMap<WebSocket, ChatConnection>();
  private sequence = 0;
  private server: WebSocketServer | undefined;

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    private readonly registry: ClientRegistryService,
    private readonly outbound: OutboundService,
    private readonly handshake: HandshakeService,
    private readonly events: ChatEventsService,
    private readonly stats: ChatStatsService,
  ) {}

  afterInit(server: WebSocketServer): void {
    this.server = server;
  }

  onApplicationBootstrap(): void {
    if (!this.server || !isChatServer(this.server)) {
      throw new Error(
        'ChatModule: the WebSocket adapter is not ChatWsAdapter. Call app.useWebSocketAdapter(new ChatWsAdapter(app)) before app.listen().',
      );
    }
  }

  // Nest rethrows anything thrown here as an unhandled error that kills the process, so the
  // whole body is guarded.
  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    try {
      const principal = this.handshake.takePrincipal(request);
      if (!principal) {
        // Only reachable if something upgraded the request without going through the handshake.
        socket.close(CloseCode.InternalError, 'not admitted');
        return;
      }
      if (!this.handshake.isAccepting) {
        socket.close(CloseCode.GoingAway, 'server shutting down');
        return;
      }
      const now = Date.now();
      const { rateLimit } = this.options;
      const connection = new ChatConnection(
        // The node id prefix makes ids unique cluster-wide and tells which node holds each.
        `${this.options.nodeId}.${(++this.sequence).toString(36)}`,
        principal.user,
        socket,
        addressOf(request),
        now,
        principal.expiresAt,
        rateLimit && new TokenBucket(rateLimit.messagesPerSecond, rateLimit.burst, now),
      );
      this.bySocket.set(socket, connection);
      socket.on('message', (data: RawData, isBinary: boolean) => {
        if (this.admit(connection)) this.handleFrame(connection, data as Buffer, isBinary);
      });
      socket.on('ping', (data: Buffer) => {
        if (this.admit(connection)) socket.pong(data);
      });
      socket.on('pong', () => {
        connection.lastSeen = Date.now();
      });
      socket.on('error', (err: Error) => this.handleSocketError(connection, err));
      this.registry.register(connection);
      this.outbound.write(
        connection,
        welcomeFrame(connection.user, connection.id, this.options.heartbeat.intervalMs),
      );
    } catch (err) {
      this.logger.error(`Could not set up a connection: ${(err as Error)?.stack ?? String(err)}`);
      socket.terminate();
    }
  }

  handleDisconnect(socket: WebSocket, code?: unknown): void {
    const connection = this.bySocket.get(socket);
    if (connection) {
      this.registry.end(connection, 'client_closed', {
        code: typeof code === 'number' ? code : undefined,
      });
    }
  }

  /**
   * Stops taking handshakes, closes every connection with 1001 after what was already queued for
   * it, and waits up to `shutdownGraceMs` for the clients to answer before destroying the rest.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.handshake.stopAccepting();
    const sockets: WebSocket[] = [];
    for (const connection of this.registry.connections()) {
      sockets.push(connection.socket);
      this.registry.end(connection, 'shutdown');
    }
    const open = sockets.filter((socket) => socket.readyState !== WebSocket.CLOSED);
    if (open.length === 0) return;
    const allClosed = Promise.all(
      open.map((socket) => new Promise((resolve) => socket.once('close', resolve))),
    );
    if (!(await settlesWithin(allClosed, this.options.shutdownGraceMs))) {
      const stragglers = open.filter((socket) => socket.readyState !== WebSocket.CLOSED);
      this.logger.warn(
        `${stragglers.length} connection(s) did not close within ${this.options.shutdownGraceMs} ms of shutdown; destroying them`,
      );
      for (const socket of stragglers) socket.terminate();
    }
  }

  /**
   * Lets a frame (or ping) through, or not: it counts as liveness, but a connection whose
   * credentials expired is closed (4001, with `closeOnTokenExpiry`), and one over the rate limit
   * gets one `rate_limited` error frame and has its frames dropped, then is closed with 1008 if it
   * keeps going for another burst's worth. The strikes are forgiven once the bucket has refilled.
   */
  private admit(connection: ChatConnection): boolean {
    const now = Date.now();
    connection.lastSeen = now;
    if (
      this.options.closeOnTokenExpiry &&
      connection.expiresAt !== undefined &&
      connection.expiresAt <= now
    ) {
      this.registry.end(connection, 'token_expired');
      return false;
    }
    const bucket = connection.inbound;
    if (!bucket) return true;
    if (connection.strikes > 0 && bucket.isFull(now)) connection.strikes = 0;
    if (bucket.take(now)) return true;
    connection.strikes++;
    increment(this.stats.frameErrors, ErrorCode.RateLimited);
    if (connection.strikes === 1) {
      this.outbound.write(
        connection,
        errorFrame(
          ErrorCode.RateLimited,
          `too many frames: at most ${this.options.rateLimit!.messagesPerSecond} per second; frames are dropped until you slow down`,
        ),
      );
    } else if (connection.strikes > this.options.rateLimit!.burst) {
      this.registry.end(connection, 'rate_limited');
    }
    return false;
  }

  private handleFrame(connection: ChatConnection, data: Buffer, isBinary: boolean): void {
    const frame = parseInbound(data, isBinary);
    if (!frame.ok) {
      increment(this.stats.frameErrors, frame.code);
      this.outbound.write(connection, errorFrame(frame.code, frame.message));
      return;
    }
    if (frame.event === ServerEvent.Heartbeat) {
      this.outbound.write(connection, heartbeatFrame(connection.lastSeen));
      return;
    }
    this.stats.messagesIn++;
    this.events.incoming.next({
      user: connection.user,
      connectionId: connection.id,
      event: frame.event,
      data: frame.data,
    });
  }

  private handleSocketError(connection: ChatConnection, err: Error): void {
    // Hostile or broken clients cause these (bad UTF-8, oversized frames, resets); `ws` has
    // already sent the matching close code.
    this.failures.debug(
      `error ${(err as { code?: string }).code ?? err.message}`,
      `Connection ${connection.id} of ${connection.user} failed: ${err.message}`,
    );
    this.registry.end(connection, 'error');
  }
}
