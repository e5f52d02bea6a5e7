import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { ServerOptions } from 'ws';
import { isValidUserId } from './auth/user-id.js';
import { CHAT_OPTIONS } from './chat.constants.js';
import type { ResolvedChatOptions } from './chat-options.js';
import type { AuthenticationResult, ChatPrincipal } from './interfaces/chat-options.interface.js';

type VerifyClientDone = (
  verified: boolean,
  code?: number,
  message?: string,
  headers?: Record<string, string>,
) => void;

/**
 * @internal Decides, before the upgrade, whether a handshake may become a WebSocket, and for
 * which user. A refused handshake is answered with a plain HTTP status and never gets a socket:
 * 401 when the authenticator says no, 503 while shutting down, 500 when the authenticator throws.
 */
@Injectable()
export class HandshakeService {
  private readonly logger = new Logger('ChatHandshake');
  private readonly admitted = new WeakMap<IncomingMessage, ChatPrincipal>();
  private accepting = true;

  constructor(@Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions) {}

  /** The URL path of the endpoint. */
  get path(): string {
    return this.options.path;
  }

  /** Whether new handshakes are still accepted (false once shutdown began). */
  get isAccepting(): boolean {
    return this.accepting;
  }

  /** Options for the `ws` server of the endpoint. */
  serverOptions(): ServerOptions {
    return {
      maxPayload: this.options.maxPayloadBytes,
      perMessageDeflate: false,
      // The registry tracks connections; a second Set in `ws` would only cost memory.
      clientTracking: false,
      verifyClient: (info: { req: IncomingMessage }, done: VerifyClientDone) =>
        this.verify(info.req, done),
    };
  }

  /** Refuses every later handshake with 503; used when the application starts shutting down. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** The principal admitted for this upgrade request; each request yields it once. */
  takePrincipal(request: IncomingMessage): ChatPrincipal | undefined {
    const principal = this.admitted.get(request);
    this.admitted.delete(request);
    return principal;
  }

  private verify(request: IncomingMessage, done: VerifyClientDone): void {
    if (!this.accepting) return done(false, 503, 'Server is shutting down');
    this.authenticate(request).then(
      (principal) => {
        if (!this.accepting) return done(false, 503, 'Server is shutting down');
        if (!principal) return done(false, 401, 'Unauthorized');
        this.admitted.set(request, principal);
        done(true);
      },
      (err: unknown) => {
        this.logger.error(`authenticate() failed: ${(err as Error)?.stack ?? String(err)}`);
        done(false, 500, 'Authentication failed');
      },
    );
  }

  private async authenticate(request: IncomingMessage): Promise<ChatPrincipal | undefined> {
    const principal = toPrincipal(await this.options.authenticate(request));
    if (principal && !isValidUserId(principal.user)) {
      this.logger.debug('Refused a handshake: the authenticator returned an invalid user id');
      return undefined;
    }
    return principal;
  }
}

function toPrincipal(result: AuthenticationResult): ChatPrincipal | undefined {
  if (typeof result === 'string') return { user: result };
  if (result && typeof result === 'object') return result;
  return undefined;
}
