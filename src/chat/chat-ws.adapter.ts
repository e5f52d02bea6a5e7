import type { INestApplication } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { WebSocketServer } from 'ws';
import type { Observable } from 'rxjs';
import { CHAT_GATEWAY_FLAG } from './chat.constants.js';
import { HandshakeService } from './handshake.service.js';

const chatServers = new WeakSet<WebSocketServer>();

/** @internal Whether `server` was built by {@link ChatWsAdapter} for the chat gateway. */
export function isChatServer(server: unknown): boolean {
  return chatServers.has(server as WebSocketServer);
}

/**
 * The WebSocket adapter the chat gateway needs; install it with
 * `app.useWebSocketAdapter(new ChatWsAdapter(app))`. For the chat gateway it builds a `ws` server
 * on the application's HTTP server, at the path from the module options, that checks each
 * handshake (origin, limits, authentication) before upgrading it and enforces the payload limits. Every other gateway of the
 * application is served exactly as by Nest's `WsAdapter`.
 */
export class ChatWsAdapter extends WsAdapter {
  constructor(private readonly app: INestApplication) {
    super(app);
  }

  override create(port: number, options: Record<string, any> & { path?: string } = {}): any {
    if (!options[CHAT_GATEWAY_FLAG]) return super.create(port, options);
    if (!this.httpServer) {
      throw new Error(
        'ChatWsAdapter: the chat gateway needs an HTTP application (NestFactory.create)',
      );
    }
    const handshake = this.app.get(HandshakeService, { strict: false });
    const server = new WebSocketServer({ noServer: true, ...handshake.serverOptions() });
    // Only server-level errors are logged here; socket errors are the gateway's business and
    // are logged at debug level, since any client can provoke them at will.
    server.on('error', (err) => this.logger.error(err));
    chatServers.add(server);
    handshake.guardSlowRequests(this.httpServer);
    this.ensureHttpServerExists(port, this.httpServer);
    this.addWsServerToRegistry(server, port, handshake.path);
    return server;
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
