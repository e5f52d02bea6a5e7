import { nowNs } from '../clock.js';
import { LatencyHistogram } from './latency-histogram.js';
import { untilDoneOrStalled } from './until-stalled.js';

/** What one worker saw during one measurement. */
export interface MeterReport {
  expected: number;
  received: number;
  /** Latency histogram counts (see LatencyHistogram), in microseconds. */
  histogram: number[];
  /** Largest single latency, exactly, in microseconds. */
  maxLatencyMicros: number;
  /** When the last message arrived (0 if none did). */
  lastReceivedNs: number;
  /** Worker CPU time used from `arm` to the end of the measurement. */
  cpuMicros: number;
  wallNs: number;
}

/**
 * Counts the stamped messages a worker's clients receive during one measurement and how late
 * each one is, against the timestamp the server put in it when it called its send API.
 */
export class ReceiveMeter {
  private expected = 0;
  private received = 0;
  private histogram = new LatencyHistogram();
  private maxLatencyMicros = 0;
  private lastReceivedNs = 0;
  private armedNs = 0;
  private cpuAtArm = 0;
  private onComplete: (() => void) | undefined;

  /** Starts a measurement that is complete once `expected` messages have arrived. */
  arm(expected: number): void {
    this.expected = expected;
    this.received = 0;
    this.histogram = new LatencyHistogram();
    this.maxLatencyMicros = 0;
    this.lastReceivedNs = 0;
    this.armedNs = nowNs();
    this.cpuAtArm = cpuMicros();
  }

  /** Records one message stamped `sentNs` by the server. */
  record(sentNs: number): void {
    const now = nowNs();
    const micros = (now - sentNs) / 1000;
    this.histogram.record(micros);
    if (micros > this.maxLatencyMicros) this.maxLatencyMicros = micros;
    this.lastReceivedNs = now;
    if (++this.received === this.expected) this.onComplete?.();
  }

  /**
   * Resolves when every expected message has arrived, or when none arrived for `stallMs`, counted
   * from this call on (the rest are then reported missing rather than waited for forever).
   */
  async collect(stallMs: number): Promise<MeterReport> {
    await untilDoneOrStalled(
      () => this.received >= this.expected,
      () => this.received,
      stallMs,
      (wake) => (this.onComplete = wake),
    );
    return {
      expected: this.expected,
      received: this.received,
      histogram: this.histogram.counts,
      maxLatencyMicros: this.maxLatencyMicros,
      lastReceivedNs: this.lastReceivedNs,
      cpuMicros: cpuMicros() - this.cpuAtArm,
      wallNs: nowNs() - this.armedNs,
    };
  }
}

/** This process's user + system CPU time, in microseconds. */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
