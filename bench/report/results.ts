/** How a row's values are printed. */
export type Unit = 'rate' | 'ms' | 'bytes' | 'percent' | 'micros' | 'count';

/** A table of the report: one row per metric, one column per system. */
export interface TableSpec {
  id: string;
  title: string;
  /** What was done, in a sentence or two, printed under the title. */
  method: string;
  /** `short` names the column in ratio headers and the chart. */
  columns: readonly { id: string; label: string; short: string }[];
  /** Ratio columns, e.g. ours ÷ raw ws, from the medians. */
  ratios: readonly [numerator: string, denominator: string][];
}

export interface RowSpec {
  id: string;
  label: string;
  unit: Unit;
  /** For differences that can be near zero or negative, where a ratio means nothing. */
  noRatio?: boolean;
  /**
   * Which way is better, for judging ours against the baseline build (`--baseline`).
   * `'neither'`: the row explains another one (e.g. whether the server or the load generator
   * was the limit), so a change in it is no regression.
   * @default `'higher'` for rates, `'lower'` for everything else (time, memory, CPU, delay)
   */
  better?: 'higher' | 'lower' | 'neither';
}

/** The row's `better`, with its default applied. */
export function betterDirection(row: RowSpec): 'higher' | 'lower' | 'neither' {
  return row.better ?? (row.unit === 'rate' ? 'higher' : 'lower');
}

export interface Row {
  spec: RowSpec;
  /** Samples per column, one per run (or repetition), in the order they were taken. */
  samples: Map<string, number[]>;
  /** Cells that have no number, with the reason (e.g. "not supported by this build"). */
  remarks: Map<string, string>;
}

/** Every sample taken, by table, row and column; the report is built from this alone. */
export class Results {
  readonly tables = new Map<string, { spec: TableSpec; rows: Map<string, Row> }>();
  /** Things a reader must know: failures, lost messages, skipped levels. */
  readonly notes: string[] = [];

  /** Fixes the order tables appear in, whatever order their first samples come in. */
  declare(...tables: TableSpec[]): void {
    for (const spec of tables) {
      if (!this.tables.has(spec.id)) this.tables.set(spec.id, { spec, rows: new Map() });
    }
  }

  add(table: TableSpec, row: RowSpec, column: string, value: number): void {
    const samples = this.row(table, row).samples;
    samples.set(column, [...(samples.get(column) ?? []), value]);
  }

  /** Puts a reason in a cell instead of a number; the first reason given is kept. */
  remark(table: TableSpec, row: RowSpec, column: string, text: string): void {
    const remarks = this.row(table, row).remarks;
    if (!remarks.has(column)) remarks.set(column, text);
  }

  note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  /** The median of a cell, if it has samples. */
  median(tableId: string, rowId: string, column: string): number | undefined {
    const samples = this.tables.get(tableId)?.rows.get(rowId)?.samples.get(column);
    return samples?.length ? median(samples) : undefined;
  }

  private row(table: TableSpec, row: RowSpec): Row {
    let entry = this.tables.get(table.id);
    if (!entry) this.tables.set(table.id, (entry = { spec: table, rows: new Map() }));
    let found = entry.rows.get(row.id);
    if (!found)
      entry.rows.set(row.id, (found = { spec: row, samples: new Map(), remarks: new Map() }));
    return found;
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
