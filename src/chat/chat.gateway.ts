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
import { ChatConnection, connectionOf } from './chat-connection.js';
import { monotonicMs } from './clock.js';
import { ChatEventsService } from './chat-events.service.js';
import type { ResolvedChatOptions } from './chat-options.js';
import { isChatServer } from './chat-ws.adapter.js';
import { ClientRegistryService } from './client-registry.service.js';
import { HandshakeService } from './handshake.service.js';
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
  private sequence = 0;
  /** Undefined when the rate limit is off. */
  private readonly inboundRate: TokenBucket | undefined;
  /**
   * The socket listeners, made once and shared by every connection (`this` is the socket), so
   * that a connection carries no closures of its own.
   */
  private readonly listeners: {
    message(this: WebSocket, data: RawData, isBinary: boolean): void;
    ping(this: WebSocket, data: Buffer): void;
    pong(this: WebSocket): void;
    error(this: WebSocket, err: Error): void;
    close(this: WebSocket, code: number): void;
  };
  private server: WebSocketServer | undefined;

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    private readonly registry: ClientRegistryService,
    private readonly outbound: OutboundService,
    private readonly handshake: HandshakeService,
    private readonly events: ChatEventsService,
    private readonly stats: ChatStatsService,
  ) {
    const { rateLimit } = options;
    this.inboundRate = rateLimit && new TokenBucket(rateLimit.messagesPerSecond, rateLimit.burst);
    // The listeners need both the gateway and, as `this`, the socket that fired.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const gateway = this;
    this.listeners = {
      message(data, isBinary) {
        const connection = connectionOf(this);
        if (connection && gateway.admit(connection)) {
          gateway.handleFrame(connection, data as Buffer, isBinary);
        }
      },
      ping(data) {
        const connection = connectionOf(this);
        if (connection && gateway.admit(connection)) this.pong(data);
      },
      pong() {
        const connection = connectionOf(this);
        if (connection) connection.lastSeen = monotonicMs();
      },
      error(err) {
        const connection = connectionOf(this);
        if (connection) gateway.handleSocketError(connection, err);
      },
      close(code) {
        gateway.handleDisconnect(this, code);
      },
    };
  }

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
    // First of all: a socket error with no listener would be thrown, and kill the process.
    socket.on('error', this.listeners.error);
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
      const connection = new ChatConnection(
        // The node id prefix makes ids unique cluster-wide and tells which node holds each.
        `${this.options.nodeId}.${(++this.sequence).toString(36)}`,
        principal.user,
        socket,
        this.handshake.addressOf(request),
        monotonicMs(),
        principal.expiresAt,
        this.inboundRate?.burst ?? 0,
      );
      const { listeners } = this;
      socket.on('message', listeners.message);
      socket.on('ping', listeners.ping);
      socket.on('pong', listeners.pong);
      // The gateway listens for the close itself; ChatWsAdapter skips Nest's per-socket hook.
      socket.on('close', listeners.close);
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
    const connection = connectionOf(socket);
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
    const now = monotonicMs();
    connection.lastSeen = now;
    if (this.options.closeOnTokenExpiry && connection.expiredBy(Date.now())) {
      this.registry.end(connection, 'token_expired');
      return false;
    }
    const rate = this.inboundRate;
    if (!rate) return true;
    if (connection.strikes > 0 && rate.isFull(connection, now)) connection.strikes = 0;
    if (rate.take(connection, now)) return true;
    connection.strikes++;
    increment(this.stats.frameErrors, ErrorCode.RateLimited);
    if (connection.strikes === 1) {
      this.outbound.write(
        connection,
        errorFrame(
          ErrorCode.RateLimited,
          `too many frames: at most ${rate.perSecond} per second; frames are dropped until you slow down`,
        ),
      );
    } else if (connection.strikes > rate.burst) {
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
      this.outbound.write(connection, heartbeatFrame(Date.now()));
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
      // Kinds must stay few: the error code, never the (variable) message.
      `error ${(err as { code?: string }).code ?? 'other'}`,
      `Connection ${connection.id} of ${connection.user} failed: ${err.message}`,
    );
    this.registry.end(connection, 'error');
  }
}
