import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { monotonicMs } from '../../common/clock.js';
import { TokenBucket, type BucketState } from '../../common/token-bucket.js';
import { CHAT_OPTIONS } from '../../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../../options/resolved-options.js';
import { ClientRegistryService } from '../client-registry.service.js';

/** How often idle per-user connect buckets are forgotten. */
const PRUNE_INTERVAL_MS = 60_000;

/** @internal A limit a handshake ran into, as the HTTP answer it gets. */
export interface LimitRefusal {
  status: 429 | 503;
  message: string;
  headers?: Record<string, string>;
}

/**
 * @internal The handshake limits (`limits`): connections per process and per address, counting
 * the handshakes still being authenticated, and new connections per user per minute.
 */
@Injectable()
export class HandshakeLimitsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly pendingPerAddress = new Map<string, number>();
  private readonly userConnects = new Map<string, BucketState>();
  private readonly userConnectRate: TokenBucket | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private pending = 0;

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    private readonly registry: ClientRegistryService,
  ) {
    const perMinute = options.limits.userConnectsPerMinute;
    this.userConnectRate =
      perMinute === Infinity ? undefined : new TokenBucket(perMinute / 60, perMinute);
  }

  onApplicationBootstrap(): void {
    if (!this.userConnectRate) return;
    this.pruneTimer = setInterval(() => this.pruneUserConnects(), PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruneTimer);
  }

  /**
   * The client address the per-address limit counts, or `''` when that limit is off: reading a
   * socket's address makes Node keep a copy of it on every connection.
   */
  addressOf(request: IncomingMessage): string {
    return this.options.limits.maxConnectionsPerAddress === Infinity
      ? ''
      : (request.socket.remoteAddress ?? 'unknown');
  }

  /** The limit a new handshake from `address` runs into, if any. */
  checkCapacity(address: string): LimitRefusal | undefined {
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

  /** Counts a handshake from `address` as in progress until {@link release}. */
  hold(address: string): void {
    this.pending++;
    this.pendingPerAddress.set(address, (this.pendingPerAddress.get(address) ?? 0) + 1);
  }

  release(address: string): void {
    this.pending--;
    const left = (this.pendingPerAddress.get(address) ?? 1) - 1;
    if (left > 0) this.pendingPerAddress.set(address, left);
    else this.pendingPerAddress.delete(address);
  }

  /** Takes one of the user's connects per minute, or says how long to wait for one. */
  takeUserConnect(user: string): LimitRefusal | undefined {
    const rate = this.userConnectRate;
    if (!rate) return undefined;
    const now = monotonicMs();
    let bucket = this.userConnects.get(user);
    if (!bucket) this.userConnects.set(user, (bucket = rate.full(now)));
    if (rate.take(bucket, now)) return undefined;
    return {
      status: 429,
      message: 'Too many connections for this user',
      headers: { 'Retry-After': String(Math.ceil(rate.msUntilNext(bucket, now) / 1000)) },
    };
  }

  private pruneUserConnects(): void {
    const rate = this.userConnectRate!;
    const now = monotonicMs();
    for (const [user, bucket] of this.userConnects) {
      if (rate.isFull(bucket, now)) this.userConnects.delete(user);
    }
  }
}
