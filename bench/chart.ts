/**
 * A small horizontal bar chart as SVG, for bench/RESULTS.md: one bar per row (its ratio to the floor), a
 * dashed line at 1 (the floor) and a solid one at the target, each bar green when it meets the target.
 */
export interface Bar {
  readonly label: string;
  readonly value: number;
}

export interface ChartOptions {
  readonly title: string;
  /** Where the target line is drawn. */
  readonly target: number;
  /** Whether a bar meets the target at or below it (ratios to a floor) or at or above it (a rate). */
  readonly better: 'lower' | 'higher';
}

const xmlText = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function barChart(bars: readonly Bar[], options: ChartOptions): string {
  const labelWidth = 150;
  const plotWidth = 340;
  const valueWidth = 60;
  const row = 20;
  const top = 44;
  const width = labelWidth + plotWidth + valueWidth;
  const height = top + bars.length * row + 24;
  const finite = bars.map((bar) => (Number.isFinite(bar.value) ? bar.value : 0));
  const max = Math.max(options.target, 1, ...finite) * 1.1;
  const x = (value: number) => labelWidth + (Math.max(0, value) / max) * plotWidth;
  const meets = (value: number) =>
    options.better === 'lower' ? value <= options.target : value >= options.target;
  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${xmlText(options.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="8" y="18" font-size="13" font-weight="bold">${xmlText(options.title)}</text>`,
  ];
  bars.forEach((bar, i) => {
    const y = top + i * row;
    const value = finite[i] ?? 0;
    lines.push(
      `<text x="${labelWidth - 6}" y="${y + 13}" text-anchor="end">${xmlText(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 2}" width="${(x(value) - labelWidth).toFixed(1)}" height="${row - 6}" fill="${meets(value) ? '#3a8f4b' : '#c0533a'}"/>`,
      `<text x="${(x(value) + 4).toFixed(1)}" y="${y + 13}">${value.toFixed(2)}</text>`,
    );
  });
  const bottom = top + bars.length * row;
  // The floor's label goes above the plot and the target's below, so that close lines never overlap.
  const rule = (value: number, dash: string, label: string, labelY: number) =>
    `<line x1="${x(value).toFixed(1)}" y1="${top - 4}" x2="${x(value).toFixed(1)}" y2="${bottom}" stroke="#333" stroke-dasharray="${dash}"/>` +
    `<text x="${x(value).toFixed(1)}" y="${labelY}" text-anchor="middle" font-size="11">${xmlText(label)}</text>`;
  lines.push(rule(1, '2,3', 'floor 1', top - 7));
  if (options.target !== 1) lines.push(rule(options.target, '', `target ${options.target}`, bottom + 14));
  lines.push('</svg>');
  return `${lines.join('\n')}\n`;
}
