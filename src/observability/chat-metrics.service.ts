import type { OnApplicationShutdown } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { ChatStatsService } from '../common/chat-stats.service.js';
import type { ClientRegistryService } from '../connection/client-registry.service.js';
import type { ResolvedChatOptions } from '../options/resolved-options.js';
import type { HistoryStore } from '../transports/history-store.interface.js';

/** @internal The part of prom-client the metrics use, loaded only when metrics are on. */
export type PromClientModule = Pick<
  typeof import('prom-client'),
  'Counter' | 'Gauge' | 'Histogram' | 'register'
>;

/**
 * @internal The Prometheus metrics of the gateway (`metrics` option), registered in the given
 * registry (prom-client's global one by default). Counters are read from {@link ChatStatsService}
 * when Prometheus scrapes, so they cost nothing per message.
 */
export class ChatMetricsService implements OnApplicationShutdown {
  private readonly registry: Registry;
  /** Whether the metrics went into prom-client's global registry, which outlives the module. */
  private readonly global: boolean;
  private readonly names: string[] = [];

  constructor(
    { Counter, Gauge, Histogram, register: defaultRegistry }: PromClientModule,
    metrics: NonNullable<ResolvedChatOptions['metrics']>,
    stats: ChatStatsService,
    clients: ClientRegistryService,
    history: HistoryStore,
  ) {
    const { prefix, registry } = metrics;
    this.registry = (registry as Registry | undefined) ?? defaultRegistry;
    this.global = this.registry === defaultRegistry;
    const name = (suffix: string) => {
      this.names.push(prefix + suffix);
      return prefix + suffix;
    };
    const registers = [this.registry];

    new Gauge({
      name: name('connections'),
      help: 'Live WebSocket connections on this node',
      registers,
      collect() {
        this.set(clients.size);
      },
    });
    counter(name('connections_opened_total'), 'Connections registered since start', [], () => [
      [{}, stats.connectionsOpened],
    ]);
    counter(name('connections_closed_total'), 'Connections ended, by reason', ['reason'], () =>
      labelled('reason', stats.connectionsClosed),
    );
    counter(name('messages_in_total'), 'Application frames received from clients', [], () => [
      [{}, stats.messagesIn],
    ]);
    counter(name('messages_out_total'), 'Frames handed to client sockets', [], () => [
      [{}, stats.messagesOut],
    ]);
    counter(name('frame_errors_total'), 'Inbound frames refused, by error code', ['code'], () =>
      labelled('code', stats.frameErrors),
    );
    counter(name('send_results_total'), 'Send calls by outcome', ['result'], () =>
      Object.entries(stats.sendResults).map(([result, value]) => [{ result }, value]),
    );
    counter(
      name('send_incomplete_total'),
      'Send calls that could not ask the whole cluster',
      ['reason'],
      () => labelled('reason', stats.sendIncomplete),
    );
    counter(name('outbound_dropped_messages_total'), 'Frames dropped for backpressure', [], () => [
      [{}, stats.droppedMessages],
    ]);
    counter(
      name('outbound_dropped_bytes_total'),
      'Bytes of frames dropped for backpressure',
      [],
      () => [[{}, stats.droppedBytes]],
    );
    counter(name('history_stored_total'), 'Pushes stored in a stream', [], () => [
      [{}, stats.storedPushes],
    ]);
    counter(
      name('recoveries_total'),
      'Reconnects that asked to recover, by outcome',
      ['outcome'],
      () => labelled('outcome', stats.recoveries),
    );
    counter(
      name('replayed_pushes_total'),
      'Stored pushes written again from the history (recoveries and gap fills)',
      [],
      () => [[{}, stats.replayedPushes]],
    );
    counter(
      name('stream_gap_fills_total'),
      "Gaps in a connection's stream filled from the history",
      [],
      () => [[{}, stats.gapFills]],
    );
    if (history.size !== undefined) {
      new Gauge({
        name: name('history_entries'),
        help: 'Pushes kept in the history of this process (memory store)',
        registers,
        collect() {
          this.set(history.size ?? 0);
        },
      });
    }
    counter(
      name('requests_total'),
      'Client requests (frames with an id) by outcome: ok, repeated, or the error code',
      ['outcome'],
      () => labelled('outcome', stats.requests),
    );
    counter(
      name('handshake_refusals_total'),
      'Handshakes refused, by HTTP status',
      ['status'],
      () => labelled('status', stats.handshakeRefusals),
    );
    counter(
      name('cluster_errors_total'),
      'Failed cluster round trips, by operation',
      ['operation'],
      () => labelled('operation', stats.clusterErrors),
    );
    const sweeps = new Histogram({
      name: name('heartbeat_sweep_duration_seconds'),
      help: 'Time to ping every connection once (a sweep runs in slices)',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    const publishes = new Histogram({
      name: name('cluster_publish_duration_seconds'),
      help: 'Round trip of a publish to other nodes (Redis PUBLISH when clustered)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registers,
    });
    stats.observeSweep = (seconds) => sweeps.observe(seconds);
    stats.observePublish = (seconds) => publishes.observe(seconds);

    function counter(
      metricName: string,
      help: string,
      labelNames: string[],
      read: () => [Record<string, string>, number][],
    ): void {
      new Counter({
        name: metricName,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          for (const [labels, value] of read()) this.inc(labels, value);
        },
      });
    }
  }

  /**
   * Takes the metrics out of prom-client's global registry, so that another module (a restarted
   * app in tests) can register them again. A registry of the application's own keeps the final
   * values for a last scrape.
   */
  onApplicationShutdown(): void {
    if (!this.global) return;
    for (const name of this.names) this.registry.removeSingleMetric(name);
  }
}

function labelled<K extends string | number>(
  label: string,
  counts: Map<K, number>,
): [Record<string, string>, number][] {
  return [...counts].map(([key, value]) => [{ [label]: String(key) }, value]);
}
