import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { ChatPrincipal } from '../../auth/authenticator.js';
import { ChatStatsService, increment } from '../../common/chat-stats.service.js';
import { ThrottledLog } from '../../common/throttled-log.js';
import { CHAT_OPTIONS } from '../../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../../options/resolved-options.js';
import { LifecycleService } from '../lifecycle.service.js';
import { OutboundService } from '../outbound.service.js';
import { authenticate, AuthenticationTimeout, type Authentication } from './authentication.js';
import { HandshakeLimitsService } from './handshake-limits.service.js';
import { readRecoveryRequest, type Recovery } from './recovery-position.js';
import type { VerifyClientDone } from './ws-server-options.js';

/** @internal What a handshake was admitted with: who, and the positions it recovers from. */
export interface Admission {
  principal: ChatPrincipal;
  recovery: Recovery;
}

/**
 * Where an admitted request carries its admission until the gateway takes it: a property of the
 * request rather than a WeakMap entry, which costs more to set and to collect, on every handshake.
 */
const ADMISSION = Symbol('nest-chat-gateway:admission');

type AdmittedRequest = IncomingMessage & { [ADMISSION]?: Admission };

interface Refusal {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

/**
 * @internal Decides, before the upgrade, whether a handshake may become a WebSocket, and for
 * which user. A refused handshake gets a plain HTTP status and never a socket, checked cheapest
 * first:
 *
 * | status | why |
 * |---|---|
 * | 503 | shutting down, at `limits.maxConnections`, or the authenticator timed out |
 * | 403 | the Origin is not allowed |
 * | 400 | a malformed recovery position (`since` / `epoch`) |
 * | 429 | at `limits.maxConnectionsPerAddress`, or over `limits.userConnectsPerMinute` |
 * | 401 | the authenticator refused, or named an invalid user id |
 * | 500 | the authenticator threw |
 */
@Injectable()
export class HandshakeService {
  private readonly logger = new Logger(HandshakeService.name);
  private readonly refusals = new ThrottledLog(this.logger);

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    private readonly limits: HandshakeLimitsService,
    private readonly lifecycle: LifecycleService,
    private readonly stats: ChatStatsService,
    private readonly outbound: OutboundService,
  ) {}

  /** What this upgrade request was admitted with; each request yields it once. */
  takeAdmission(request: AdmittedRequest): Admission | undefined {
    const admission = request[ADMISSION];
    request[ADMISSION] = undefined;
    return admission;
  }

  /** Logs a connection dropped before it sent its request (slowloris), throttled. */
  droppedSlowRequest(): void {
    this.refusals.debug('slow', 'Dropped a connection that sent no complete request in time');
  }

  /**
   * `ws`'s `verifyClient`: answers `done` once the handshake is admitted or refused. With a
   * synchronous authenticator that is before it returns.
   */
  verify(request: IncomingMessage, done: VerifyClientDone): void {
    const address = this.limits.addressOf(request);
    const early = this.checkBeforeAuthentication(request, address);
    if (early) return this.refuse(done, early);
    const recovery = readRecoveryRequest(request.url);
    if ('problem' in recovery) return this.refuse(done, { status: 400, message: recovery.problem });

    let authentication: ReturnType<typeof authenticate>;
    try {
      authentication = authenticate(
        this.options.authenticate,
        request,
        this.options.limits.handshakeTimeoutMs,
      );
    } catch (err) {
      return this.failed(done, err);
    }
    if (!(authentication instanceof Promise)) {
      return this.decide(request, done, authentication, recovery.recovery);
    }
    // Counted against the limits while it is out of our hands.
    this.limits.hold(address);
    authentication.then(
      (result) => {
        this.limits.release(address);
        this.decide(request, done, result, recovery.recovery);
      },
      (err: unknown) => {
        this.limits.release(address);
        this.failed(done, err);
      },
    );
  }

  private decide(
    request: IncomingMessage,
    done: VerifyClientDone,
    authentication: Authentication,
    recovery: Recovery,
  ): void {
    if (!this.lifecycle.isAccepting) {
      return this.refuse(done, { status: 503, message: 'Server is shutting down' });
    }
    if ('refused' in authentication) {
      if (authentication.refused === 'invalid user id') {
        this.refusals.debug('invalid user', 'The authenticator returned an invalid user id');
      }
      return this.refuse(done, { status: 401, message: 'Unauthorized' });
    }
    const { principal } = authentication;
    const limited = this.limits.takeUserConnect(principal.user);
    if (limited) return this.refuse(done, limited);
    (request as AdmittedRequest)[ADMISSION] = { principal, recovery };
    this.outbound.corkSocket(request.socket);
    done(true);
  }

  private failed(done: VerifyClientDone, err: unknown): void {
    if (err instanceof AuthenticationTimeout) {
      return this.refuse(done, { status: 503, message: 'Authentication timed out' });
    }
    this.logger.error(`authenticate() failed: ${(err as Error)?.stack ?? String(err)}`);
    this.refuse(done, { status: 500, message: 'Authentication failed' });
  }

  private checkBeforeAuthentication(
    request: IncomingMessage,
    address: string,
  ): Refusal | undefined {
    if (!this.lifecycle.isAccepting) return { status: 503, message: 'Server is shutting down' };
    if (!this.options.originAllowed(request.headers.origin, request.headers.host)) {
      return { status: 403, message: 'Origin not allowed' };
    }
    return this.limits.checkCapacity(address);
  }

  private refuse(done: VerifyClientDone, { status, message, headers }: Refusal): void {
    increment(this.stats.handshakeRefusals, status);
    this.refusals.debug(
      `refused ${status} ${message}`,
      `Refused a handshake: ${status} ${message}`,
    );
    done(false, status, message, headers);
  }
}
