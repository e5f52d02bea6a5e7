import type { Baseline } from '../scenarios/baseline.js';
import { formatRatio, formatValue, UNIT_SUFFIX } from './format.js';
import { betterDirection, median, type Results, type Row, type TableSpec } from './results.js';

/** How much worse than the baseline build a metric may be before the report flags it. */
export const REGRESSION_LIMIT = 0.1;

/**
 * The baseline build's column beside one of ours: column ids are `<system>` or
 * `<system>.<variant>` (the coalescing settings), so `ours` pairs with `base` and `ours.off`
 * with `base.off`. Other systems' columns have none.
 */
export function twinOf(columnId: string): string | undefined {
  if (columnId === 'ours') return 'base';
  if (columnId.startsWith('ours.')) return `base.${columnId.slice('ours.'.length)}`;
  return undefined;
}

/**
 * The table as a `--baseline` run shows it: each of our columns followed by the baseline
 * build's, and a ratio ours ÷ base for each, ahead of the table's own ratios. A table without
 * ratios (the other load on the machine) describes the conditions, not the module, so it gets
 * the columns only.
 */
export function withBaseline(spec: TableSpec, baseline: Pick<Baseline, 'commit'>): TableSpec {
  const columns = spec.columns.flatMap((column) => {
    const twin = twinOf(column.id);
    if (!twin) return [column];
    return [
      column,
      {
        id: twin,
        label: `${column.label} @ ${baseline.commit}`,
        short: column.id === 'ours' ? 'base' : `base ${column.short}`,
      },
    ];
  });
  const pairs = spec.columns.flatMap((column): [string, string][] => {
    const twin = twinOf(column.id);
    return twin ? [[column.id, twin]] : [];
  });
  return { ...spec, columns, ratios: spec.ratios.length ? [...pairs, ...spec.ratios] : [] };
}

/** One metric of ours against the same metric of the baseline build, formatted. */
export interface BaselineComparison {
  table: string;
  metric: string;
  better: 'higher' | 'lower' | 'neither';
  ours: string;
  base: string;
  /** Ours ÷ base of the medians, or '—'. */
  ratio: string;
  /** Samples per side, `ours/base`. */
  n: string;
  verdict: string;
  /** Measured on both builds, with a ratio and a direction that is better. */
  judged: boolean;
  /** Judged, and more than {@link REGRESSION_LIMIT} worse than the baseline. */
  flagged: boolean;
}

/**
 * Every metric measured on both builds, in report order, judged in the direction that is better
 * for it: a metric is flagged when ours is more than 10 % worse than the baseline's median, i.e.
 * below 0.9× for higher-is-better and above 1.1× for lower-is-better.
 */
export function compareWithBaseline(results: Results): BaselineComparison[] {
  const comparisons: BaselineComparison[] = [];
  for (const { spec, rows } of results.tables.values()) {
    if (spec.ratios.length === 0) continue;
    for (const column of spec.columns) {
      const twin = twinOf(column.id);
      if (!twin) continue;
      for (const row of rows.values()) {
        const comparison = compare(spec, column, twin, row);
        if (comparison) comparisons.push(comparison);
      }
    }
  }
  return comparisons;
}

function compare(
  spec: TableSpec,
  column: TableSpec['columns'][number],
  twin: string,
  row: Row,
): BaselineComparison | undefined {
  const ours = row.samples.get(column.id) ?? [];
  const base = row.samples.get(twin) ?? [];
  const cell = (samples: number[], id: string): string =>
    samples.length ? formatValue(median(samples), row.spec.unit) : (row.remarks.get(id) ?? '—');
  if (!ours.length && !base.length && !row.remarks.has(column.id) && !row.remarks.has(twin)) {
    return undefined;
  }
  const variant = column.id === 'ours' ? '' : `, ${column.label}`;
  const better = betterDirection(row.spec);
  const comparison: BaselineComparison = {
    table: spec.title,
    metric: `${row.spec.label}${variant}${UNIT_SUFFIX[row.spec.unit]}`,
    better,
    ours: cell(ours, column.id),
    base: cell(base, twin),
    ratio: '—',
    n: `${ours.length}/${base.length}`,
    verdict: 'not measured',
    judged: false,
    flagged: false,
  };
  if (!ours.length || !base.length) return comparison;
  const [a, b] = [median(ours), median(base)];
  if (row.spec.noRatio || b <= 0 || a < 0) {
    return { ...comparison, verdict: 'not judged: no ratio (near zero)' };
  }
  comparison.ratio = formatRatio(a, b);
  if (better === 'neither') return { ...comparison, verdict: 'not judged: context' };
  // Relative to the baseline, positive when ours is worse in the metric's better direction.
  const worse = better === 'higher' ? (b - a) / b : (a - b) / b;
  const change = `${(Math.abs(worse) * 100).toFixed(1)} % ${worse >= 0 ? 'worse' : 'better'}`;
  const flagged = worse > REGRESSION_LIMIT;
  return {
    ...comparison,
    verdict: flagged ? `❌ ${change}` : `✅ ${change}`,
    judged: true,
    flagged,
  };
}
