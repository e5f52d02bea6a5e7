/** @internal The state of one token bucket: tokens left and when they were counted (ms). */
export interface BucketState {
  tokens: number;
  tokensAt: number;
}

/**
 * @internal A token-bucket rule: a bucket holds up to `burst` tokens and regains `perSecond` of
 * them each second. The rule is shared and the state lives with its holder (a connection, a
 * user), so a connection's rate limit costs two numbers rather than an object. Time is passed in
 * (milliseconds, any monotonic origin) so one clock reading serves many checks.
 */
export class TokenBucket {
  constructor(
    readonly perSecond: number,
    readonly burst: number,
  ) {}

  /** A full bucket. */
  full(now: number): BucketState {
    return { tokens: this.burst, tokensAt: now };
  }

  /** Takes a token if there is one. */
  take(state: BucketState, now: number): boolean {
    this.refill(state, now);
    if (state.tokens < 1) return false;
    state.tokens--;
    return true;
  }

  /** Whether the bucket has refilled completely (the holder has been quiet). */
  isFull(state: BucketState, now: number): boolean {
    this.refill(state, now);
    return state.tokens >= this.burst;
  }

  /** Milliseconds until the next token. */
  msUntilNext(state: BucketState, now: number): number {
    this.refill(state, now);
    return state.tokens >= 1 ? 0 : Math.ceil(((1 - state.tokens) * 1000) / this.perSecond);
  }

  private refill(state: BucketState, now: number): void {
    const elapsed = now - state.tokensAt;
    if (elapsed > 0) {
      state.tokens = Math.min(this.burst, state.tokens + (elapsed * this.perSecond) / 1000);
      state.tokensAt = now;
    }
  }
}
