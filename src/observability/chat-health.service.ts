import { Inject, Injectable } from '@nestjs/common';
import { ClientRegistryService } from '../connection/client-registry.service.js';
import { LifecycleService } from '../connection/lifecycle.service.js';
import { CHAT_TRANSPORT } from '../options/chat.tokens.js';
import type { ChatTransport } from '../transports/chat-transport.interface.js';

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
  /** @internal */
  constructor(
    private readonly lifecycle: LifecycleService,
    private readonly registry: ClientRegistryService,
    @Inject(CHAT_TRANSPORT) private readonly transport: ChatTransport,
  ) {}

  check(): ChatHealth {
    const shuttingDown = !this.lifecycle.isAccepting;
    const { broker, presence } = this.transport;
    const backplane = !broker.distributed
      ? 'none'
      : broker.reachable && presence.reachable
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
