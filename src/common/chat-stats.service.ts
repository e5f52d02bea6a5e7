import { Injectable } from '@nestjs/common';

/** @internal Cluster operations whose failures are counted. */
export type ClusterOperation = 'lookup' | 'publish' | 'presence';

/** @internal What a send achieved, as far as the counters care. */
export interface SendOutcome {
  delivered: number;
  dropped: number;
  incomplete?: string;
}

/**
 * @internal What the gateway counts as it works: plain numbers, so counting costs nothing on the
 * hot paths. When metrics are on, `ChatMetricsService` exposes them to Prometheus at scrape time;
 * the two hooks feed its histograms. Labels are plain strings here (close reasons, error codes,
 * HTTP statuses), typed at the call sites.
 */
@Injectable()
export class ChatStatsService {
  connectionsOpened = 0;
  readonly connectionsClosed = new Map<string, number>();
  /** Application frames received (those `incoming$` emits). */
  messagesIn = 0;
  /** Frames handed to sockets: pushes and protocol frames. */
  messagesOut = 0;
  readonly frameErrors = new Map<string, number>();
  readonly sendResults = { delivered: 0, offline: 0, dropped: 0 };
  readonly sendIncomplete = new Map<string, number>();
  droppedMessages = 0;
  droppedBytes = 0;
  /** Pushes appended to a stream. */
  storedPushes = 0;
  /** Reconnects that asked to recover, by outcome: `recovered`, `not_recovered`. */
  readonly recoveries = new Map<string, number>();
  /** Stored pushes written again from the history: recoveries and gap fills. */
  replayedPushes = 0;
  /** Gaps found in a connection's stream and filled from the history (or not: then a resync). */
  gapFills = 0;
  /** Requests to handlers, by outcome: `ok`, `repeated` (answered from the store), error codes. */
  readonly requests = new Map<string, number>();
  readonly handshakeRefusals = new Map<number, number>();
  readonly clusterErrors = new Map<ClusterOperation, number>();
  /** Set by the metrics service: called with each heartbeat sweep's duration in seconds. */
  observeSweep: ((seconds: number) => void) | undefined;
  /** Set by the metrics service: called with each cluster publish's duration in seconds. */
  observePublish: ((seconds: number) => void) | undefined;

  /** Counts one send call by what it achieved. */
  recordSend(result: SendOutcome): void {
    if (result.delivered > 0) this.sendResults.delivered++;
    else if (result.dropped > 0) this.sendResults.dropped++;
    else this.sendResults.offline++;
    if (result.incomplete) increment(this.sendIncomplete, result.incomplete);
  }
}

/** @internal */
export function increment<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
