/**
 * The delay before reconnect attempt `attempt` (1 for the first retry): exponential backoff with
 * full jitter, a uniformly random delay in `[0, min(maxDelayMs, baseDelayMs * 2^(attempt - 1)))`.
 * The jitter spreads the clients of a restarted server over the whole window instead of letting
 * them all come back at the same instant.
 *
 * @param random a source of numbers in `[0, 1)`, `Math.random` by default
 */
export function backoffDelay(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * backoffCap(attempt, baseDelayMs, maxDelayMs));
}

/** The upper bound of {@link backoffDelay} for `attempt`. */
export function backoffCap(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  // 2 ** 1024 is Infinity, which Math.min turns back into maxDelayMs, so no attempt overflows.
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * The delay after the server asked the client to slow down: a random time in
 * `[maxDelayMs / 2, maxDelayMs)`, long whatever the attempt, still spread out.
 */
export function slowDownDelay(maxDelayMs: number, random: () => number = Math.random): number {
  return Math.floor(maxDelayMs / 2 + (random() * maxDelayMs) / 2);
}
