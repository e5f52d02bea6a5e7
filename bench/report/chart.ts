import type { Plan } from '../plan.js';
import { CLUSTER_HISTORY_TABLE } from '../scenarios/cluster-history.js';
import { CLUSTER_SHARDED_TABLE } from '../scenarios/cluster-sharded.js';
import { CLUSTER_ROWS, CLUSTER_TABLE } from '../scenarios/cluster.js';
import { MEMORY_ROWS, CONNECTIONS_TABLE } from '../scenarios/idle-connections.js';
import { stormRows, STORM_TABLE } from '../scenarios/storm.js';
import { formatValue } from './format.js';
import { median, type Results, type TableSpec } from './results.js';
import { renderBarChart, type Bar, type BarGroup } from './svg-bars.js';

/** One colour per system, the same in every panel. */
const COLORS: Record<string, string> = { ours: '#e0234e', raw: '#4a5568', sio: '#2b6cb0' };

/** The report's chart: storm and cluster throughput, and memory per idle connection. */
export function renderChart(results: Results, plan: Plan): string {
  const throughput: BarGroup[] = plan.storm.shapes.map((shape) =>
    group(results, STORM_TABLE, stormRows(shape).throughput.id, `storm, ${shape.label}`),
  );
  throughput.push(
    group(
      results,
      CLUSTER_TABLE,
      CLUSTER_ROWS.throughput.id,
      'cluster: 2 nodes + Redis, send on A, users on B',
    ),
    group(
      results,
      CLUSTER_HISTORY_TABLE,
      CLUSTER_ROWS.throughput.id,
      'cluster, pushes kept for reconnects (socket.io: streams adapter)',
    ),
    group(
      results,
      CLUSTER_SHARDED_TABLE,
      CLUSTER_ROWS.throughput.id,
      'cluster on a 3-master Redis Cluster (socket.io: sharded adapter)',
    ),
  );
  return renderBarChart([
    {
      title: 'Throughput, messages/s (higher is better; ours = nest-chat-gateway)',
      groups: throughput,
      format: (v) => formatValue(v, 'rate'),
    },
    {
      title: 'Memory per idle connection, KiB (lower is better)',
      groups: [
        group(results, CONNECTIONS_TABLE, MEMORY_ROWS.rss.id, 'RSS'),
        group(results, CONNECTIONS_TABLE, MEMORY_ROWS.heap.id, 'JS heap'),
      ],
      format: (v) => formatValue(v, 'bytes'),
    },
  ]);
}

function group(results: Results, table: TableSpec, rowId: string, label: string): BarGroup {
  const row = results.tables.get(table.id)?.rows.get(rowId);
  const bars = table.columns.map((column): Bar => {
    const samples = row?.samples.get(column.id) ?? [];
    const bar: Bar = {
      label: column.short,
      color: COLORS[column.id],
      remark: row?.remarks.get(column.id),
    };
    if (samples.length === 0) return bar;
    return {
      ...bar,
      median: median(samples),
      min: Math.min(...samples),
      max: Math.max(...samples),
    };
  });
  return { label, bars };
}
