import { join } from 'node:path';
import { LatencyHistogram } from '../load/latency-histogram.js';
import type { Protocol } from '../load/clients.js';
import type { TallyReport } from '../load/client-tally.js';
import type { MeterReport } from '../load/receive-meter.js';
import type { StormProtocol, StormReport } from '../load/storm-clients.js';
import type { ConnectReport, ReconnectReport, SendFramesParams } from '../load/worker.js';
import { startChild, stopChild, whileRunning, type Child } from '../processes/children.js';
import { paths } from '../paths.js';
import { childReady, RpcClient } from '../processes/rpc.js';

const READY_TIMEOUT_MS = 10_000;

/** A wave of connections across all workers. */
export interface ConnectSummary {
  opened: number;
  failed: number;
  firstError?: string;
  /** From the first handshake started to the last client registered, in seconds. */
  seconds: number;
  /** Handshakes per second. */
  rate: number;
  /** CPU time of all workers together, in microseconds. */
  cpuMicros: number;
}

/** A reconnection of every client across all workers. */
export interface ReconnectSummary extends ConnectSummary {
  /** Clients the server said it recovered. */
  recovered: number;
  /** Attempts that failed (timed out, refused) and were tried again. */
  retries: number;
  /** When the first worker started reconnecting, and the last client was registered. */
  startNs: number;
  endNs: number;
}

/** What all workers saw during one measurement. */
export interface Measurement {
  expected: number;
  received: number;
  latency: LatencyHistogram;
  maxLatencyMicros: number;
  lastReceivedNs: number;
  /** CPU time of all workers together, in microseconds. */
  cpuMicros: number;
  wallNs: number;
}

/**
 * The load generator: several worker processes, each holding a share of the clients. User i
 * belongs to worker i mod N, so any prefix of the users is spread evenly over the workers.
 */
export class LoadPool {
  private constructor(
    private readonly workers: Child[],
    private readonly rpc: RpcClient[],
    private readonly localAddress: string | undefined,
  ) {}

  /**
   * Starts `count` workers. With `localAddress` (e.g. 127.0.0.2) their clients connect from that
   * address: one source address has only about 28 000 ephemeral ports.
   */
  static async start(count: number, localAddress?: string): Promise<LoadPool> {
    const workers: Child[] = [];
    try {
      for (let i = 0; i < count; i++) {
        workers.push(
          startChild(process.execPath, [join(paths.compiled, 'load/worker.js')], {
            name: `load worker ${i}`,
            ipc: true,
          }),
        );
      }
      await Promise.all(
        workers.map((w) => whileRunning(w, childReady(w.process), READY_TIMEOUT_MS)),
      );
    } catch (err) {
      await Promise.all(workers.map((w) => stopChild(w)));
      throw err;
    }
    return new LoadPool(
      workers,
      workers.map((w) => new RpcClient(w.process, w.name)),
      localAddress,
    );
  }

  get size(): number {
    return this.workers.length;
  }

  /** Connects users `from` ≤ i < `to`, each worker keeping `concurrency` handshakes in flight. */
  async connect(
    protocol: Protocol,
    from: number,
    to: number,
    url: (userIndex: number) => string,
    concurrency: number,
  ): Promise<ConnectSummary> {
    const shares = this.shares(from, to, url);
    const reports = await Promise.all(
      this.rpc.map((rpc, w) =>
        rpc.call<ConnectReport>('connect', {
          protocol,
          urls: shares[w],
          concurrency,
          localAddress: this.localAddress,
        }),
      ),
    );
    return summarize(reports);
  }

  /** The URLs of users `from` ≤ i < `to`, dealt round robin to the workers. */
  private shares(from: number, to: number, url: (userIndex: number) => string): string[][] {
    const shares = this.rpc.map(() => [] as string[]);
    for (let i = from; i < to; i++) shares[i % this.size].push(url(i));
    return shares;
  }

  /** Drops every client of every worker abruptly (see `BenchClient.drop`). */
  async dropAll(): Promise<number> {
    const reports = await Promise.all(
      this.rpc.map((rpc) => rpc.call<{ dropped: number }>('dropAll')),
    );
    return sum(reports.map((r) => r.dropped));
  }

  /**
   * Reconnects every dropped client, each asking to recover what it missed, all at once (or
   * `concurrency` handshakes in flight per worker), while counting, client by client, the
   * stamped messages that arrive from the moment this is called: it resolves once every client
   * has `perClient` of them, or nothing arrived for `stallMs`.
   */
  async reconnectAll(
    perClient: number,
    stallMs: number,
    concurrency?: number,
  ): Promise<{ reconnect: ReconnectSummary; tally: TallyReport }> {
    await Promise.all(this.rpc.map((rpc) => rpc.call('armTally', { perClient })));
    const results = await Promise.all(
      this.rpc.map(async (rpc) => {
        const reconnect = await rpc.call<ReconnectReport>('reconnectAll', { concurrency });
        // Collected once this worker's clients are all back: a slow handshake is not a stall.
        const tally = await rpc.call<TallyReport>('collectTally', { stallMs });
        return { reconnect, tally };
      }),
    );
    const reconnects = results.map((r) => r.reconnect);
    const tallies = results.map((r) => r.tally);
    const complete = sum(tallies.map((t) => t.complete));
    const clients = sum(tallies.map((t) => t.clients));
    return {
      reconnect: {
        ...summarize(reconnects),
        recovered: sum(reconnects.map((r) => r.recovered)),
        retries: sum(reconnects.map((r) => r.retries)),
        startNs: Math.min(...reconnects.map((r) => r.startNs)),
        endNs: Math.max(...reconnects.map((r) => r.endNs)),
      },
      tally: {
        clients,
        complete,
        over: sum(tallies.map((t) => t.over)),
        min: Math.min(...tallies.map((t) => t.min)),
        max: Math.max(...tallies.map((t) => t.max)),
        received: sum(tallies.map((t) => t.received)),
        completeNs: complete === clients ? Math.max(...tallies.map((t) => t.completeNs)) : 0,
      },
    };
  }

  /**
   * Arms every worker to expect its users' share of messages, runs `action` (which makes a
   * server push), and gathers what arrived: complete, or incomplete once nothing arrived for
   * `stallMs` after `action` resolved (the server issued its last send).
   */
  async measure<T>(
    expectedForUser: (userIndex: number) => number,
    userCount: number,
    action: () => Promise<T>,
    stallMs: number,
  ): Promise<{ result: T; measurement: Measurement }> {
    const expected = await this.arm(expectedForUser, userCount);
    // The armed workers count what arrives meanwhile. The stall window starts only once every
    // send was issued: a server whose first push of a burst arrives after stallMs (ours in a
    // cluster with history: each push is appended in Redis before it is routed, and the routing
    // waits behind the burst's appends) is measured as slow, not as having lost the storm.
    const result = await action();
    return { result, measurement: await this.collect(expected, stallMs) };
  }

  /**
   * The first half of {@link measure}, for measurements across several pools: arms every worker
   * to expect its users' share; resolves with what each expects.
   */
  async arm(expectedForUser: (userIndex: number) => number, userCount: number): Promise<number> {
    const expected = this.rpc.map(() => 0);
    for (let i = 0; i < userCount; i++) expected[i % this.size] += expectedForUser(i);
    await Promise.all(this.rpc.map((rpc, w) => rpc.call('arm', { expected: expected[w] })));
    return sum(expected);
  }

  /** The second half of {@link measure}: what arrived since {@link arm}. */
  async collect(expected: number, stallMs: number): Promise<Measurement> {
    const reports = await Promise.all(
      this.rpc.map((rpc) => rpc.call<MeterReport>('collect', { stallMs })),
    );
    return mergeMeasurements(
      expected,
      reports.map((report) => {
        const latency = new LatencyHistogram();
        latency.merge(report.histogram);
        return { ...report, latency };
      }),
    );
  }

  /**
   * Opens users `from` ≤ i < `to` as clients that reconnect by themselves with their library's
   * backoff (see storm-clients.ts), each worker keeping `concurrency` first connections in flight.
   * They do not bind the pool's source address (storm-clients.ts says why).
   */
  async stormConnect(
    protocol: StormProtocol,
    from: number,
    to: number,
    url: (userIndex: number) => string,
    concurrency: number,
  ): Promise<ConnectSummary> {
    const shares = this.shares(from, to, url);
    const reports = await Promise.all(
      this.rpc.map((rpc, w) =>
        rpc.call<ConnectReport>('stormConnect', { protocol, urls: shares[w], concurrency }),
      ),
    );
    return summarize(reports);
  }

  /** Counts every storm client as away from now on, until its next welcome. */
  async stormMark(): Promise<void> {
    await Promise.all(this.rpc.map((rpc) => rpc.call('stormMark')));
  }

  /** Destroys every storm client's TCP socket at once; they reconnect by themselves. */
  async stormDrop(): Promise<void> {
    await Promise.all(this.rpc.map((rpc) => rpc.call('stormDrop')));
  }

  /** Each worker's storm report, once all its clients are back or `timeoutMs` passed. */
  stormUntilBack(timeoutMs: number): Promise<StormReport[]> {
    return Promise.all(
      this.rpc.map((rpc) => rpc.call<StormReport>('stormUntilBack', { timeoutMs })),
    );
  }

  /** Every client of every worker sends its frames (see the worker's `sendFrames`). */
  async sendFrames(params: SendFramesParams): Promise<{ sent: number; cpuMicros: number }> {
    const reports = await Promise.all(
      this.rpc.map((rpc) => rpc.call<{ sent: number; cpuMicros: number }>('sendFrames', params)),
    );
    return {
      sent: sum(reports.map((r) => r.sent)),
      cpuMicros: sum(reports.map((r) => r.cpuMicros)),
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => stopChild(w)));
  }
}

/** Measurements of several workers or pools as one. */
export function mergeMeasurements(
  expected: number,
  parts: readonly Omit<Measurement, 'expected'>[],
): Measurement {
  const latency = new LatencyHistogram();
  for (const part of parts) latency.merge(part.latency.counts);
  return {
    expected,
    received: sum(parts.map((r) => r.received)),
    latency,
    maxLatencyMicros: Math.max(...parts.map((r) => r.maxLatencyMicros)),
    lastReceivedNs: Math.max(...parts.map((r) => r.lastReceivedNs)),
    cpuMicros: sum(parts.map((r) => r.cpuMicros)),
    wallNs: Math.max(...parts.map((r) => r.wallNs)),
  };
}

/** One wave of handshakes over all workers, from the first started to the last finished. */
function summarize(reports: ConnectReport[]): ConnectSummary {
  const seconds =
    (Math.max(...reports.map((r) => r.endNs)) - Math.min(...reports.map((r) => r.startNs))) / 1e9;
  const opened = sum(reports.map((r) => r.opened));
  return {
    opened,
    failed: sum(reports.map((r) => r.failed)),
    firstError: reports.find((r) => r.firstError)?.firstError,
    seconds,
    rate: opened / seconds,
    cpuMicros: sum(reports.map((r) => r.cpuMicros)),
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
