/**
 * @internal Milliseconds on a monotonic clock (since the process started), as a small integer.
 * Liveness and rate limits use it: it never jumps with the wall clock, and a small integer is
 * stored inline, where a `Date.now()` value would be boxed on every connection.
 */
export function monotonicMs(): number {
  return Math.floor(performance.now());
}
