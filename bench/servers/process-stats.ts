import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { nowNs } from '../clock.js';
import { inboundTally } from './inbound-tally.js';

/** What `GET /stats` answers: the server process's resources at one instant. */
export interface ProcessStats {
  nowNs: number;
  rss: number;
  heapUsed: number;
  /** User + system CPU time since the process started, in microseconds. */
  cpuMicros: number;
  connections: number;
  /** Client frames the server's handlers ran for so far (the inbound scenario's). */
  handled: number;
  /** When the last of them ran (0: none yet). */
  lastHandledNs: number;
  /** Event-loop delay since the last reset, in milliseconds (includes the 1 ms sampling period). */
  eventLoopDelay: { maxMs: number; p99Ms: number; meanMs: number };
}

/** Sampling period of the event-loop delay monitor: the finest Node offers. */
const ELD_RESOLUTION_MS = 1;

/** Samples the server's own process; one per server process. */
export class ProcessMonitor {
  private readonly delay = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });

  constructor(private readonly connections: () => number) {
    this.delay.enable();
  }

  /** Starts a new event-loop delay window, e.g. right before a heartbeat sweep is observed. */
  resetEventLoopDelay(): void {
    this.delay.reset();
  }

  snapshot(): ProcessStats {
    const { rss, heapUsed } = process.memoryUsage();
    const cpu = process.cpuUsage();
    const empty = this.delay.count === 0;
    return {
      nowNs: nowNs(),
      rss,
      heapUsed,
      cpuMicros: cpu.user + cpu.system,
      connections: this.connections(),
      handled: inboundTally.handled,
      lastHandledNs: inboundTally.lastNs,
      eventLoopDelay: {
        maxMs: empty ? 0 : this.delay.max / 1e6,
        p99Ms: empty ? 0 : this.delay.percentile(99) / 1e6,
        meanMs: empty ? 0 : this.delay.mean / 1e6,
      },
    };
  }
}

/**
 * Full garbage collection before a memory reading. Two passes, a turn apart, so that objects
 * freed by the first pass's finalizers (e.g. closed sockets' buffers) are gone too. Needs the
 * server to run with `--expose-gc`.
 */
export async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the server was started without --expose-gc');
  gc();
  await nextTurn();
  gc();
}
