import { Inject, Injectable } from '@nestjs/common';
import { CHAT_TRANSPORT } from '../chat.constants.js';
import { ClientRegistryService } from '../client-registry.service.js';
import { HandshakeService } from '../handshake.service.js';
import type { ChatTransport } from '../interfaces/chat-transport.interface.js';

/** The state of this node, for liveness and readiness probes. */
export interface ChatHealth {
  /** The process answers: always true when there is an answer at all. */
  live: true;
  /** Whether the node should be sent new connections: not shutting down, backplane reachable. */
  ready: boolean;
  /** Shutdown has begun: handshakes are refused with 503 and connections are draining. */
  shuttingDown: boolean;
  /** The cluster backplane: `'none'` in a single process. */
  backplane: 'ok' | 'unreachable' | 'none';
  /** Live connections on this node. */
  connections: number;
}

/**
 * The gateway's health, for an application's `/health` endpoint (the demo has one). A node is not
 * ready while it shuts down, or while Redis is unreachable in cluster mode: it would still serve
 * its own users, but sends to users elsewhere would fail.
 */
@Injectable()
export class ChatHealthService {
  constructor(
    private readonly handshake: HandshakeService,
    private readonly registry: ClientRegistryService,
    @Inject(CHAT_TRANSPORT) private readonly transport: ChatTransport,
  ) {}

  check(): ChatHealth {
    const shuttingDown = !this.handshake.isAccepting;
    const backplane = !this.transport.distributed
      ? 'none'
      : this.transport.reachable
        ? 'ok'
        : 'unreachable';
    return {
      live: true,
      ready: !shuttingDown && backplane !== 'unreachable',
      shuttingDown,
      backplane,
      connections: this.registry.size,
    };
  }
}
