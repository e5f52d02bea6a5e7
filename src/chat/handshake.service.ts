import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ServerOptions } from 'ws';
import { isValidUserId } from './auth/user-id.js';
import { CHAT_OPTIONS } from './chat.constants.js';
import type { ResolvedChatOptions } from './chat-options.js';
import { ClientRegistryService } from './client-registry.service.js';
import type { AuthenticationResult, ChatPrincipal } from './interfaces/chat-options.interface.js';
import { ChatStatsService, increment } from './metrics/chat-stats.service.js';
import { TokenBucket } from './security/token-bucket.js';
import { settlesWithin } from './settles-within.js';
import { ThrottledLog } from './throttled-log.js';

type VerifyClientDone = (
  verified: boolean,
  code?: number,
  message?: string,
  headers?: Record<string, string>,
) => void;

interface Refusal {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

/** Fragments one message may arrive in; honest clients do not fragment small JSON at all. */
const MAX_FRAGMENTS = 1024;

/** How often idle per-user connect buckets are forgotten. */
const PRUNE_INTERVAL_MS = 60_000;

/**
 * @internal Decides, before the upgrade, whether a handshake may become a WebSocket, and for
 * which user. A refused handshake gets a plain HTTP status and never a socket, checked cheapest
 * first:
 *
 * | status | why |
 * |---|---|
 * | 503 | shutting down, at `limits.maxConnections`, or the authenticator timed out |
 * | 403 | the Origin is not allowed |
 * | 429 | at `limits.maxConnectionsPerAddress`, or over `limits.userConnectsPerMinute` |
 * | 401 | the authenticator refused, or named an invalid user id |
 * | 500 | the authenticator threw |
 */
@Injectable()
export class HandshakeService implements OnModuleDestroy {
  private readonly logger = new Logger('ChatHandshake');
  private readonly refusals = new ThrottledLog(this.logger);
  private readonly admitted = new WeakMap<IncomingMessage, ChatPrincipal>();
  private readonly pendingPerAddress = new Map<string, number>();
  private readonly userConnects = new Map<string, TokenBucket>();
  private readonly pruneTimer: NodeJS.Timeout;
  private pending = 0;
  private accepting = true;

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    private readonly registry: ClientRegistryService,
    private readonly stats: ChatStatsService,
  ) {
    this.pruneTimer = setInterval(() => this.pruneUserConnects(), PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruneTimer);
  }

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
      maxFragments: MAX_FRAGMENTS,
      perMessageDeflate: this.options.perMessageDeflate,
      // The registry tracks connections; a second Set in `ws` would only cost memory.
      clientTracking: false,
      // Pings are answered by the gateway, under the rate limit, so a ping flood gets no pongs.
      autoPong: false,
      verifyClient: (info: { req: IncomingMessage }, done: VerifyClientDone) =>
        this.verify(info.req, done),
    } as ServerOptions;
  }

  /**
   * Destroys any TCP connection of `server` that has not sent a complete first request within
   * `limits.handshakeTimeoutMs`, so a client that trickles its upgrade request (slowloris) holds
   * a socket for seconds, not for Node's default minute and more.
   */
  guardSlowRequests(server: Server): void {
    const timeoutMs = this.options.limits.handshakeTimeoutMs;
    const timers = new WeakMap<Socket, NodeJS.Timeout>();
    const settle = (request: IncomingMessage): void => clearTimeout(timers.get(request.socket));
    server.on('connection', (socket: Socket) => {
      const timer = setTimeout(() => {
        this.refusals.debug('slow', 'Dropped a connection that sent no complete request in time');
        socket.destroy();
      }, timeoutMs);
      timer.unref();
      timers.set(socket, timer);
      socket.once('close', () => clearTimeout(timer));
    });
    server.on('request', settle);
    server.on('upgrade', settle);
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
    const address = addressOf(request);
    const early = this.checkBeforeAuthentication(request, address);
    if (early) return this.refuse(done, early);

    this.pending++;
    this.pendingPerAddress.set(address, (this.pendingPerAddress.get(address) ?? 0) + 1);
    this.authenticate(request).then(
      (principal) => {
        this.release(address);
        const refusal = this.checkAfterAuthentication(principal);
        if (refusal) return this.refuse(done, refusal);
        this.admitted.set(request, principal!);
        done(true);
      },
      (err: unknown) => {
        this.release(address);
        if (err instanceof AuthenticationTimeout) {
          return this.refuse(done, { status: 503, message: 'Authentication timed out' });
        }
        this.logger.error(`authenticate() failed: ${(err as Error)?.stack ?? String(err)}`);
        this.refuse(done, { status: 500, message: 'Authentication failed' });
      },
    );
  }

  private checkBeforeAuthentication(
    request: IncomingMessage,
    address: string,
  ): Refusal | undefined {
    if (!this.accepting) return { status: 503, message: 'Server is shutting down' };
    const origin = request.headers.origin;
    if (!this.options.originAllowed(origin, request.headers.host)) {
      return { status: 403, message: 'Origin not allowed' };
    }
    const { maxConnections, maxConnectionsPerAddress } = this.options.limits;
    if (this.registry.size + this.pending >= maxConnections) {
      return { status: 503, message: 'Server is at capacity', headers: { 'Retry-After': '5' } };
    }
    const atAddress = this.registry.countAt(address) + (this.pendingPerAddress.get(address) ?? 0);
    if (atAddress >= maxConnectionsPerAddress) {
      return { status: 429, message: 'Too many connections from this address' };
    }
    return undefined;
  }

  private checkAfterAuthentication(principal: ChatPrincipal | undefined): Refusal | undefined {
    if (!this.accepting) return { status: 503, message: 'Server is shutting down' };
    if (!principal) return { status: 401, message: 'Unauthorized' };
    const waitMs = this.takeUserConnect(principal.user);
    if (waitMs > 0) {
      return {
        status: 429,
        message: 'Too many connections for this user',
        headers: { 'Retry-After': String(Math.ceil(waitMs / 1000)) },
      };
    }
    return undefined;
  }

  /** Takes one of the user's connects; returns 0, or how long until one is available. */
  private takeUserConnect(user: string): number {
    const perMinute = this.options.limits.userConnectsPerMinute;
    if (perMinute === Infinity) return 0;
    const now = Date.now();
    let bucket = this.userConnects.get(user);
    if (!bucket)
      this.userConnects.set(user, (bucket = new TokenBucket(perMinute / 60, perMinute, now)));
    return bucket.take(now) ? 0 : bucket.msUntilNext(now);
  }

  private pruneUserConnects(): void {
    const now = Date.now();
    for (const [user, bucket] of this.userConnects) {
      if (bucket.isFull(now)) this.userConnects.delete(user);
    }
  }

  private release(address: string): void {
    this.pending--;
    const left = (this.pendingPerAddress.get(address) ?? 1) - 1;
    if (left > 0) this.pendingPerAddress.set(address, left);
    else this.pendingPerAddress.delete(address);
  }

  private refuse(done: VerifyClientDone, { status, message, headers }: Refusal): void {
    increment(this.stats.handshakeRefusals, status);
    this.refusals.debug(
      `refused ${status} ${message}`,
      `Refused a handshake: ${status} ${message}`,
    );
    done(false, status, message, headers);
  }

  private async authenticate(request: IncomingMessage): Promise<ChatPrincipal | undefined> {
    const answer = Promise.resolve().then(() => this.options.authenticate(request));
    if (!(await settlesWithin(answer, this.options.limits.handshakeTimeoutMs))) {
      answer.catch(() => undefined);
      throw new AuthenticationTimeout();
    }
    const principal = toPrincipal(await answer);
    if (principal && !isValidUserId(principal.user)) {
      this.refusals.debug('invalid user', 'The authenticator returned an invalid user id');
      return undefined;
    }
    return principal;
  }
}

class AuthenticationTimeout extends Error {}

/** @internal The client's IP address as the per-address limit counts it. */
export function addressOf(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? 'unknown';
}

function toPrincipal(result: AuthenticationResult): ChatPrincipal | undefined {
  if (typeof result === 'string') return { user: result };
  if (result && typeof result === 'object') return result;
  return undefined;
}
