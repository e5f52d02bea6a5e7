/** Each bucket is 2 % wider than the one before: quantiles are exact to within 2 %. */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** Enough buckets for latencies up to 1 000 s, in microseconds. */
const BUCKETS = Math.ceil(Math.log(1e9) / LOG_GROWTH) + 1;

/**
 * Latencies in microseconds, in log-spaced buckets: a fixed, small size however many messages
 * are recorded, and histograms from several workers merge by adding counts.
 */
export class LatencyHistogram {
  readonly counts: number[] = new Array<number>(BUCKETS).fill(0);
  total = 0;

  /** Bucket i holds values in (GROWTH^(i-1), GROWTH^i]; values up to 1 µs share bucket 0. */
  record(micros: number): void {
    const index = micros <= 1 ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(micros) / LOG_GROWTH));
    this.counts[index]++;
    this.total++;
  }

  /** Adds another histogram's counts (e.g. received from a worker). */
  merge(counts: readonly number[]): void {
    for (let i = 0; i < BUCKETS; i++) {
      this.counts[i] += counts[i];
      this.total += counts[i];
    }
  }

  /** The q-quantile (0 < q ≤ 1) in microseconds: the upper edge of the bucket that holds it. */
  quantile(q: number): number {
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return GROWTH ** i;
    }
    return NaN;
  }
}
