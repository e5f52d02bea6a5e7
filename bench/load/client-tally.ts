import { nowNs } from '../clock.js';
import { untilDoneOrStalled } from './until-stalled.js';

/** What one worker's clients received, client by client, since the tally was armed. */
export interface TallyReport {
  clients: number;
  /** Clients that received at least the expected count. */
  complete: number;
  /** Clients that received more than expected: duplicates, for a server that replays once. */
  over: number;
  /** Fewest and most any one client received. */
  min: number;
  max: number;
  received: number;
  /** When the last client reached the expected count; 0 unless every client did. */
  completeNs: number;
}

/**
 * Counts the stamped messages each client of a worker receives, for measurements where the
 * total is not enough: "every client got its 50 missed pushes" must not pass because some got
 * 60 and others 40. The meter (receive-meter.ts) keeps measuring totals and latency beside it.
 */
export class ClientTally {
  private counts: number[] = [];
  private expected = 0;
  private received = 0;
  private complete = 0;
  private completeNs = 0;
  private onComplete: (() => void) | undefined;

  /** A counter for one more client; pass the returned slot to {@link record}. */
  add(): number {
    this.counts.push(0);
    return this.counts.length - 1;
  }

  /** Zeroes every client's count; the tally is complete once each has `perClient`. */
  arm(perClient: number): void {
    this.counts.fill(0);
    this.expected = perClient;
    this.received = 0;
    this.complete = 0;
    this.completeNs = 0;
  }

  /** Counts one message for the client in `slot`. */
  record(slot: number): void {
    this.received++;
    if (++this.counts[slot] !== this.expected) return;
    if (++this.complete < this.counts.length) return;
    this.completeNs = nowNs();
    this.onComplete?.();
  }

  /**
   * Resolves when every client has its expected count, or when nothing arrived for `stallMs`
   * (the rest are then reported short rather than waited for forever).
   */
  async collect(stallMs: number): Promise<TallyReport> {
    await untilDoneOrStalled(
      () => this.complete >= this.counts.length,
      () => this.received,
      stallMs,
      (wake) => (this.onComplete = wake),
    );
    const counts = this.counts;
    return {
      clients: counts.length,
      complete: this.complete,
      over: counts.filter((c) => c > this.expected).length,
      min: counts.length ? Math.min(...counts) : 0,
      max: counts.length ? Math.max(...counts) : 0,
      received: this.received,
      completeNs: this.completeNs,
    };
  }
}
