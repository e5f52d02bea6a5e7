import { Injectable } from '@nestjs/common';
import type { ChatErrorCode } from '../chat.constants.js';
import type { DisconnectReason, SendResult } from '../interfaces/chat-events.interface.js';

/** @internal Cluster operations whose failures are counted. */
export type ClusterOperation = 'lookup' | 'publish' | 'presence';

/**
 * @internal What the gateway counts as it works: plain numbers, so counting costs nothing on the
 * hot paths. When metrics are on, `ChatMetricsService` exposes them to Prometheus at scrape time;
 * the two hooks feed its histograms.
 */
@Injectable()
export class ChatStatsService {
  connectionsOpened = 0;
  readonly connectionsClosed = new Map<DisconnectReason, number>();
  /** Application frames received (those `incoming$` emits). */
  messagesIn = 0;
  /** Frames handed to sockets: pushes and protocol frames. */
  messagesOut = 0;
  readonly frameErrors = new Map<ChatErrorCode, number>();
  readonly sendResults = { delivered: 0, offline: 0, dropped: 0 };
  readonly sendIncomplete = new Map<NonNullable<SendResult['incomplete']>, number>();
  droppedMessages = 0;
  droppedBytes = 0;
  readonly handshakeRefusals = new Map<number, number>();
  readonly clusterErrors = new Map<ClusterOperation, number>();
  /** Set by the metrics service: called with each heartbeat sweep's duration in seconds. */
  observeSweep: ((seconds: number) => void) | undefined;
  /** Set by the metrics service: called with each cluster publish's duration in seconds. */
  observePublish: ((seconds: number) => void) | undefined;

  /** Counts one send call by what it achieved. */
  recordSend(result: SendResult): void {
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
