import type { Unit } from './results.js';

/** What a row's numbers are in, appended to its label. */
export const UNIT_SUFFIX: Record<Unit, string> = {
  rate: '',
  ms: ' (ms)',
  bytes: ' (KiB)',
  percent: ' (% of one core)',
  micros: ' (µs)',
  count: '',
};

/** A number in the row's unit, to three significant digits (rates as 152k or 1.52M). */
export function formatValue(value: number, unit: Unit): string {
  switch (unit) {
    case 'rate':
      if (value >= 1e6) return `${significant(value / 1e6)}M`;
      if (value >= 1e3) return `${significant(value / 1e3)}k`;
      return significant(value);
    case 'bytes':
      return significant(value / 1024);
    case 'percent':
      return Math.round(value).toString();
    case 'count':
      return Math.round(value).toLocaleString('en-US');
    case 'ms':
    case 'micros':
      return significant(value);
  }
}

/** Three significant digits, but never rounding an integer part away (1 720, not 1.72e3). */
function significant(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toString();
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** `a ÷ b`, as `1.05×`. */
export function formatRatio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}×`;
}
