import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import { monotonicMs } from '../common/clock.js';
import { connectionId } from '../common/connection-id.js';
import { ThrottledLog } from '../common/throttled-log.js';
import { CHAT_OPTIONS } from '../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../options/resolved-options.js';
import { CloseCode } from '../protocol/close-codes.js';
import { ChatConnection, connectionOf } from './chat-connection.js';
import { CHAT_GATEWAY_FLAG, isChatServer } from './chat-server.js';
import { chatSocketClass } from './chat-socket.js';
import { ClientRegistryService } from './client-registry.service.js';
import { HandshakeService } from './handshake/handshake.service.js';
import { HandshakeLimitsService } from './handshake/handshake-limits.service.js';
import { InboundRatePolicy } from './inbound-rate.policy.js';
import { InboundService } from './inbound.service.js';
import { LifecycleService } from './lifecycle.service.js';
import { SESSION_OPENER, type SessionOpener } from './session-opener.js';

/**
 * The WebSocket endpoint: it turns each admitted socket into a registered connection, hands it to
 * the session opener (which welcomes it), and hands its frames to the inbound path.
 *
 * Inbound frames are read straight from the `ws` socket (its class hands its events to the
 * gateway) instead of through `@SubscribeMessage`: Nest's per-frame dispatch costs several times
 * more CPU and memory per connection than the gateway itself.
 */
@WebSocketGateway({ [CHAT_GATEWAY_FLAG]: true })
export class ChatGateway implements OnApplicationBootstrap {
  private readonly logger = new Logger(ChatGateway.name);
  /** Any client can make its socket fail: logged throttled, at debug level. */
  private readonly failures = new ThrottledLog(this.logger);
  private sequence = 0;
  /**
   * @internal The class of this endpoint's sockets, whose events go to the gateway (see
   * `chatSocketClass`): made once, so that a connection carries no listeners of its own.
   */
  readonly socketClass: typeof WebSocket;
  private server: WebSocketServer | undefined;

  /** @internal */
  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    private readonly registry: ClientRegistryService,
    private readonly handshake: HandshakeService,
    private readonly limits: HandshakeLimitsService,
    private readonly lifecycle: LifecycleService,
    private readonly rate: InboundRatePolicy,
    inbound: InboundService,
    @Inject(SESSION_OPENER) private readonly sessions: SessionOpener,
  ) {
    // The handlers need both the gateway and, as `this`, the socket that fired.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const gateway = this;
    this.socketClass = chatSocketClass({
      message(data, isBinary) {
        const connection = connectionOf(this);
        if (connection && rate.admit(connection))
          inbound.handle(connection, data as Buffer, isBinary);
      },
      ping(data) {
        const connection = connectionOf(this);
        if (connection && rate.admit(connection)) this.pong(data);
      },
      pong() {
        const connection = connectionOf(this);
        if (connection) connection.lastSeen = monotonicMs();
      },
      error(err) {
        const connection = connectionOf(this);
        if (connection) gateway.socketFailed(connection, err);
      },
      close(code) {
        gateway.handleDisconnect(this, code);
      },
    });
  }

  /** @internal */
  afterInit(server: WebSocketServer): void {
    this.server = server;
  }

  /** Refuses to start without `ChatWsAdapter`, which the chat gateway's handshake needs. */
  onApplicationBootstrap(): void {
    if (!isChatServer(this.server)) {
      throw new Error(
        'ChatModule: the WebSocket adapter is not ChatWsAdapter. Call app.useWebSocketAdapter(new ChatWsAdapter(app)) before app.listen().',
      );
    }
  }

  /**
   * @internal Nest rethrows anything thrown here as an unhandled error that kills the process,
   * so the whole body is guarded.
   */
  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    try {
      const admission = this.handshake.takeAdmission(request);
      if (!admission) {
        // Only reachable if something upgraded the request without going through the handshake.
        socket.close(CloseCode.InternalError, 'not admitted');
        return;
      }
      if (!this.lifecycle.isAccepting) {
        socket.close(CloseCode.GoingAway, 'server shutting down');
        return;
      }
      const { principal, recovery } = admission;
      const connection = new ChatConnection(
        connectionId(this.options.nodeId, ++this.sequence),
        principal.user,
        socket,
        this.limits.addressOf(request),
        monotonicMs(),
        principal.expiresAt,
        this.rate.burst,
      );
      this.registry.register(connection);
      this.sessions.open(connection, recovery);
    } catch (err) {
      this.logger.error(`Could not set up a connection: ${(err as Error)?.stack ?? String(err)}`);
      socket.terminate();
    }
  }

  /** @internal */
  handleDisconnect(socket: WebSocket, code?: unknown): void {
    const connection = connectionOf(socket);
    if (connection) {
      this.registry.end(connection, 'client_closed', {
        code: typeof code === 'number' ? code : undefined,
      });
    }
  }

  private socketFailed(connection: ChatConnection, err: Error): void {
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
