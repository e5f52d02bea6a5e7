import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { settlesWithin } from '../common/settles-within.js';
import { CHAT_OPTIONS } from '../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../options/resolved-options.js';
import { ClientRegistryService } from './client-registry.service.js';

/** `WebSocket.CLOSED`, the same in every copy of `ws`. */
const CLOSED = 3;

/**
 * @internal Whether the gateway takes new connections, and the drain when the application shuts
 * down: new handshakes are refused (503), every connection is closed with 1001 after what was
 * already queued for it, and the clients get up to `shutdownGraceMs` to answer before the
 * remaining sockets are destroyed.
 */
@Injectable()
export class LifecycleService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LifecycleService.name);
  private accepting = true;

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    private readonly registry: ClientRegistryService,
  ) {}

  /** Whether new handshakes are still accepted (false once shutdown began). */
  get isAccepting(): boolean {
    return this.accepting;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.accepting = false;
    const sockets: WebSocket[] = [];
    for (const connection of this.registry.all()) {
      sockets.push(connection.socket);
      this.registry.end(connection, 'shutdown');
    }
    const open = sockets.filter((socket) => socket.readyState !== CLOSED);
    if (open.length === 0) return;
    const allClosed = Promise.all(
      open.map((socket) => new Promise((resolve) => socket.once('close', resolve))),
    );
    if (!(await settlesWithin(allClosed, this.options.shutdownGraceMs))) {
      const stragglers = open.filter((socket) => socket.readyState !== CLOSED);
      this.logger.warn(
        `${stragglers.length} connection(s) did not close within ${this.options.shutdownGraceMs} ms of shutdown; destroying them`,
      );
      for (const socket of stragglers) socket.terminate();
    }
  }
}
