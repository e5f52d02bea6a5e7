import type { Plan } from '../plan.js';
import { CLUSTER_HISTORY_TABLE } from '../scenarios/cluster-history.js';
import { CLUSTER_ROWS, CLUSTER_TABLE } from '../scenarios/cluster.js';
import { heartbeatRows, HEARTBEAT_TABLE } from '../scenarios/heartbeat.js';
import { HISTORY_TABLE } from '../scenarios/history.js';
import { CONNECTIONS_TABLE, handshakeRows, MEMORY_ROWS } from '../scenarios/idle-connections.js';
import { INBOUND_TABLE, INBOUND_VARIANTS, inboundRows } from '../scenarios/inbound.js';
import { stormRows, STORM_TABLE } from '../scenarios/storm.js';
import { formatRatio, formatValue } from './format.js';
import type { Results } from './results.js';

/** One of the targets, judged on the medians of this run. */
export interface TargetVerdict {
  target: string;
  measured: string;
  verdict: 'met' | 'missed' | 'not measured';
}

/**
 * The targets of issue 5, of the streams issue ("Delivery you can count on"), of the handlers
 * issue (12) and the handshake target of the scale issue (14), each a
 * comparison with a baseline in the same run (the machine is noisy; ratios are what carry over).
 */
export function judgeTargets(results: Results, plan: Plan): TargetVerdict[] {
  const verdicts: TargetVerdict[] = [];
  /** Judges `column ÷ baseline` of the medians of one row. */
  const between = (
    target: string,
    tableId: string,
    rowId: string,
    [column, baseline]: [string, string],
    pass: (r: number) => boolean,
  ): void => {
    const ours = results.median(tableId, rowId, column);
    const base = results.median(tableId, rowId, baseline);
    if (ours === undefined || base === undefined) {
      verdicts.push({ target, measured: '—', verdict: 'not measured' });
      return;
    }
    verdicts.push({
      target,
      measured: formatRatio(ours, base),
      verdict: pass(ours / base) ? 'met' : 'missed',
    });
  };
  const ratio = (
    target: string,
    tableId: string,
    rowId: string,
    baseline: string,
    pass: (r: number) => boolean,
  ): void => between(target, tableId, rowId, ['ours', baseline], pass);

  for (const shape of plan.storm.shapes) {
    const rows = stormRows(shape);
    ratio(
      `storm throughput ≥ 1.0× raw ws (${shape.label})`,
      STORM_TABLE.id,
      rows.throughput.id,
      'raw',
      (r) => r >= 1,
    );
    ratio(
      `storm p99 latency no worse than raw ws (${shape.label})`,
      STORM_TABLE.id,
      rows.p99.id,
      'raw',
      (r) => r <= 1,
    );
  }
  ratio(
    'RSS per idle connection ≤ 1.2× raw ws',
    CONNECTIONS_TABLE.id,
    MEMORY_ROWS.rss.id,
    'raw',
    (r) => r <= 1.2,
  );
  ratio(
    'JS heap per idle connection ≤ 1.2× raw ws',
    CONNECTIONS_TABLE.id,
    MEMORY_ROWS.heap.id,
    'raw',
    (r) => r <= 1.2,
  );

  ratio(
    'server CPU per handshake with `?user=` ≤ 1.15× raw ws',
    CONNECTIONS_TABLE.id,
    handshakeRows('query').cpu.id,
    'raw',
    (r) => r <= 1.15,
  );

  const level = plan.heartbeat.levels[0];
  const added = results.median(HEARTBEAT_TABLE.id, heartbeatRows(level).added.id, 'ours');
  verdicts.push({
    target: `heartbeat sweep of ${level.toLocaleString('en-US')} connections adds < 10 ms event-loop delay`,
    measured: added === undefined ? '—' : `${formatValue(added, 'ms')} ms`,
    verdict: added === undefined ? 'not measured' : added < 10 ? 'met' : 'missed',
  });

  ratio(
    'cluster throughput ≥ 1.5× socket.io + redis-adapter',
    CLUSTER_TABLE.id,
    CLUSTER_ROWS.throughput.id,
    'sio',
    (r) => r >= 1.5,
  );

  for (const shape of plan.storm.shapes) {
    between(
      `storm throughput with history on ≥ 0.9× history off (${shape.label})`,
      HISTORY_TABLE.id,
      stormRows(shape).throughput.id,
      ['ours.on', 'ours.off'],
      (r) => r >= 0.9,
    );
  }
  ratio(
    'cluster throughput with history ≥ 2× socket.io + redis-streams-adapter with recovery',
    CLUSTER_HISTORY_TABLE.id,
    CLUSTER_ROWS.throughput.id,
    'sio',
    (r) => r >= 2,
  );
  const plain = inboundRows(INBOUND_VARIANTS[0]);
  ratio(
    'inbound frames/s through a handler with no guards or pipes ≥ 3× Nest’s @SubscribeMessage gateway',
    INBOUND_TABLE.id,
    plain.rate.id,
    'nest',
    (r) => r >= 3,
  );
  return verdicts;
}
