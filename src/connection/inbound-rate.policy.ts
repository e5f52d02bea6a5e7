import { Inject, Injectable } from '@nestjs/common';
import { ChatStatsService, increment } from '../common/chat-stats.service.js';
import { monotonicMs } from '../common/clock.js';
import { TokenBucket } from '../common/token-bucket.js';
import { CHAT_OPTIONS } from '../options/chat.tokens.js';
import type { ResolvedChatOptions } from '../options/resolved-options.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { errorText } from '../protocol/frames.js';
import type { ChatConnection } from './chat-connection.js';
import { ClientRegistryService } from './client-registry.service.js';
import { OutboundService } from './outbound.service.js';

/**
 * @internal Lets each inbound frame (or ping) through, or not. Any frame counts as liveness, but
 * a connection whose credentials expired is closed (4001, with `closeOnTokenExpiry`), and one over
 * the rate limit gets one `rate_limited` error frame and has its frames dropped, then is closed
 * with 1008 if it keeps going for another burst's worth. The strikes are forgiven once the bucket
 * has refilled.
 */
@Injectable()
export class InboundRatePolicy {
  /** Undefined when the rate limit is off. */
  private readonly rate: TokenBucket | undefined;
  private readonly limitedFrame: Buffer | undefined;

  constructor(
    @Inject(CHAT_OPTIONS) private readonly options: ResolvedChatOptions,
    private readonly registry: ClientRegistryService,
    private readonly outbound: OutboundService,
    private readonly stats: ChatStatsService,
  ) {
    const { rateLimit } = options;
    this.rate = rateLimit && new TokenBucket(rateLimit.messagesPerSecond, rateLimit.burst);
    this.limitedFrame =
      rateLimit &&
      Buffer.from(
        errorText({
          code: ErrorCode.RateLimited,
          message: `too many frames: at most ${rateLimit.messagesPerSecond} per second; frames are dropped until you slow down`,
        }),
      );
  }

  /** Tokens of a full bucket, for a new connection. */
  get burst(): number {
    return this.rate?.burst ?? 0;
  }

  /** Whether the frame may be used; if not, the policy has already answered it. */
  admit(connection: ChatConnection): boolean {
    const now = monotonicMs();
    connection.lastSeen = now;
    if (this.options.closeOnTokenExpiry && connection.expiredBy(Date.now())) {
      this.registry.end(connection, 'token_expired');
      return false;
    }
    const rate = this.rate;
    if (!rate) return true;
    if (connection.strikes > 0 && rate.isFull(connection, now)) connection.strikes = 0;
    if (rate.take(connection, now)) return true;
    connection.strikes++;
    increment(this.stats.frameErrors, ErrorCode.RateLimited);
    if (connection.strikes === 1) {
      this.outbound.write(connection, this.limitedFrame!);
    } else if (connection.strikes > rate.burst) {
      this.registry.end(connection, 'rate_limited');
    }
    return false;
  }
}
