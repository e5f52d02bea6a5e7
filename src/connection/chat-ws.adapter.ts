import type { INestApplication } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { IncomingMessage, Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { CHAT_OPTIONS } from '../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../options/resolved-options.js';
import { CHAT_GATEWAY_FLAG, isChatServer, markChatServer } from './chat-server.js';
import { ChatGateway } from './chat.gateway.js';
import { directUpgrades, type UpgradeListener } from './handshake/direct-upgrades.js';
import { HandshakeService } from './handshake/handshake.service.js';
import { guardSlowRequests } from './handshake/slow-request.guard.js';
import { wsServerOptions } from './handshake/ws-server-options.js';

/**
 * The WebSocket adapter the chat gateway needs; install it with
 * `app.useWebSocketAdapter(new ChatWsAdapter(app))`. For the chat gateway it builds a `ws` server
 * on the application's HTTP server, at the path from the module options, that checks each
 * handshake (origin, limits, authentication) before upgrading it and enforces the payload
 * limits. Every other gateway of the application is served exactly as by Nest's `WsAdapter`.
 */
export class ChatWsAdapter extends WsAdapter {
  /** The application server's `upgrade` listener, which wraps Nest's. */
  private upgradeListener: UpgradeListener | undefined;
  /** Takes the slow-request guard off the application's HTTP server. */
  private unguard: (() => void) | undefined;

  constructor(private readonly app: INestApplication) {
    super(app);
  }

  /**
   * @internal Nest's `upgrade` listener on the application's HTTP server is replaced by one that
   * takes a shortcut past it for a request to a registered path (see directUpgrades) and
   * otherwise calls it.
   */
  protected override ensureHttpServerExists(port: number, httpServer?: Server): Server | undefined {
    if (
      httpServer === undefined ||
      httpServer !== this.httpServer ||
      this.httpServersRegistry.has(port)
    ) {
      return super.ensureHttpServerExists(port, httpServer);
    }
    const before = new Set(httpServer.listeners('upgrade'));
    const result = super.ensureHttpServerExists(port, httpServer);
    const added = httpServer.listeners('upgrade').filter((listener) => !before.has(listener));
    if (added.length === 1) {
      const nest = added[0] as UpgradeListener;
      httpServer.off('upgrade', nest);
      this.upgradeListener = directUpgrades(() => this.wsServersRegistry.get(port), nest);
      httpServer.on('upgrade', this.upgradeListener);
    }
    return result;
  }

  /** @internal */
  override async dispose(): Promise<void> {
    await super.dispose();
    if (this.upgradeListener) (this.httpServer as Server).off('upgrade', this.upgradeListener);
    this.upgradeListener = undefined;
    this.unguard?.();
    this.unguard = undefined;
  }

  override create(port: number, options: Record<string, any> & { path?: string } = {}): any {
    if (!options[CHAT_GATEWAY_FLAG]) return super.create(port, options);
    if (!this.httpServer) {
      throw new Error(
        'ChatWsAdapter: the chat gateway needs an HTTP application (NestFactory.create)',
      );
    }
    const chatOptions = this.app.get<ResolvedChatOptions>(CHAT_OPTIONS, { strict: false });
    const handshake = this.app.get(HandshakeService, { strict: false });
    const gateway = this.app.get(ChatGateway, { strict: false });
    const server = new WebSocketServer(
      wsServerOptions(
        chatOptions,
        (request, done) => handshake.verify(request, done),
        gateway.socketClass,
      ),
    );
    // Only server-level errors are logged here; socket errors are the gateway's business and
    // are logged at debug level, since any client can provoke them at will.
    server.on('error', (err) => this.logger.error(err));
    markChatServer(server);
    this.unguard = guardSlowRequests(this.httpServer, chatOptions.limits.handshakeTimeoutMs, () =>
      handshake.droppedSlowRequest(),
    );
    this.ensureHttpServerExists(port, this.httpServer);
    this.addWsServerToRegistry(server, port, chatOptions.path);
    return server;
  }

  // The chat gateway takes its sockets from the ws server directly. Nest's connection path (a
  // Subject, a comparison with the previous client, a message binding and a disconnect closure
  // per socket) costs CPU on every handshake for hooks the chat gateway does not use: it reads
  // its sockets' frames and closes itself.
  override bindClientConnect(server: any, callback: (...args: any[]) => void): void {
    if (!isChatServer(server)) return super.bindClientConnect(server, callback);
    const gateway = this.app.get(ChatGateway, { strict: false });
    server.on('connection', (socket: WebSocket, request: IncomingMessage) =>
      gateway.handleConnection(socket, request),
    );
  }

  // A gateway without @SubscribeMessage handlers (the chat gateway reads its sockets itself)
  // gets no per-connection rxjs pipeline: it would cost memory on every connection for nothing.
  override bindMessageHandlers(
    client: any,
    handlers: MessageMappingProperties[],
    transform: (data: any) => Observable<any>,
  ): void {
    if (handlers.length > 0) super.bindMessageHandlers(client, handlers, transform);
  }
}
