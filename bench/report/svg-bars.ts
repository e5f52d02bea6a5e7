/** One bar: a median with its min–max range, or a remark where there is no number. */
export interface Bar {
  label: string;
  color: string;
  median?: number;
  min?: number;
  max?: number;
  remark?: string;
}

export interface BarGroup {
  label: string;
  bars: Bar[];
}

/** A horizontal bar chart with its own scale; panels stack vertically. */
export interface BarPanel {
  title: string;
  groups: BarGroup[];
  format: (value: number) => string;
}

const WIDTH = 760;
const LABEL_WIDTH = 200;
const PLOT_WIDTH = 400;
const BAR_HEIGHT = 16;
const BAR_GAP = 4;
const GROUP_LABEL = 22;
const GROUP_GAP = 10;
const TITLE_HEIGHT = 34;
const PANEL_GAP = 24;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

/**
 * Renders panels of horizontal bars as a standalone SVG: a bar per system at its median, a
 * whisker over its min–max range and the value as text. Written by hand to avoid a charting
 * dependency for one picture.
 */
export function renderBarChart(panels: BarPanel[]): string {
  const parts: string[] = [];
  let y = 10;
  for (const panel of panels) {
    parts.push(text(10, y + 20, panel.title, 'font-size="16" font-weight="600"'));
    y += TITLE_HEIGHT;
    const scale = Math.max(
      ...panel.groups.flatMap((g) => g.bars.map((b) => b.max ?? b.median ?? 0)),
      Number.MIN_VALUE,
    );
    const x = (value: number): number => LABEL_WIDTH + (value / scale) * PLOT_WIDTH;
    for (const group of panel.groups) {
      parts.push(text(10, y + 15, group.label, 'font-size="13" font-weight="600"'));
      y += GROUP_LABEL;
      for (const bar of group.bars) {
        const mid = y + BAR_HEIGHT / 2;
        parts.push(text(LABEL_WIDTH - 8, mid + 4, bar.label, 'font-size="12" text-anchor="end"'));
        if (bar.median === undefined) {
          parts.push(
            text(LABEL_WIDTH, mid + 4, bar.remark ?? 'no data', 'font-size="12" fill="#777"'),
          );
        } else {
          parts.push(
            `<rect x="${LABEL_WIDTH}" y="${y}" width="${(x(bar.median) - LABEL_WIDTH).toFixed(1)}" height="${BAR_HEIGHT}" fill="${bar.color}"/>`,
          );
          if (bar.min !== undefined && bar.max !== undefined && bar.max > bar.min) {
            parts.push(
              `<path d="M${x(bar.min).toFixed(1)} ${mid}H${x(bar.max).toFixed(1)}M${x(bar.min).toFixed(1)} ${mid - 4}v8M${x(bar.max).toFixed(1)} ${mid - 4}v8" stroke="#222" stroke-width="1.2"/>`,
            );
          }
          const end = x(Math.max(bar.median, bar.max ?? 0));
          parts.push(text(end + 6, mid + 4, panel.format(bar.median), 'font-size="12"'));
        }
        y += BAR_HEIGHT + BAR_GAP;
      }
      y += GROUP_GAP;
    }
    y += PANEL_GAP;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" ${FONT}>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function text(x: number, y: number, content: string, attributes: string): string {
  return `<text x="${x}" y="${y}" ${attributes}>${escapeXml(content)}</text>`;
}

function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
