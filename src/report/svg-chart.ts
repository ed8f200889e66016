/**
 * A line chart as a standalone SVG document, with no dependency: axes with ticks and grid lines,
 * one polyline per series (solid or dashed) with a marker and a ±1 standard-error bar at every
 * point, optional horizontal reference lines (chance accuracy), and a legend. Written for the
 * robustness curves (accuracy against ε) but it knows nothing about them.
 *
 * Coordinates: data (x, y) ↦ pixels (left + x/xMax·plotWidth, top + (1 − y/yMax)·plotHeight).
 */

export interface ChartPoint {
  x: number;
  y: number;
  /** Half-length of the error bar (one standard error), in y units. */
  error?: number;
}

export interface ChartSeries {
  label: string;
  color: string;
  dashed?: boolean;
  points: readonly ChartPoint[];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** Axis ranges start at 0 and end at these (default: the largest x; 1 for y). */
  xMax?: number;
  yMax?: number;
  xTicks?: readonly number[];
  yTicks?: readonly number[];
  /** Horizontal reference lines, e.g. chance accuracy. */
  references?: ReadonlyArray<{ y: number; label: string }>;
  width?: number;
  height?: number;
}

/** Escapes text for an SVG text node or attribute. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Up to 3 decimals, no trailing zeros. */
function tickText(v: number): string {
  return String(Number(v.toFixed(3)));
}

/** The chart as SVG text. Throws on a series with a non-finite coordinate (it would draw nothing). */
export function lineChartSvg(chart: LineChart): string {
  // The legend sits right of the plot, as wide as its longest label (about 7 px a character at 12 px).
  const legendWidth = 48 + 7 * Math.max(8, ...chart.series.map((s) => s.label.length));
  const width = chart.width ?? 474 + legendWidth;
  const height = chart.height ?? 440;
  const margin = { left: 64, right: legendWidth, top: 40, bottom: 52 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  for (const s of chart.series) {
    for (const p of s.points) {
      if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) throw new RangeError(`lineChartSvg: series '${s.label}' has a point (${p.x}, ${p.y}) that is not finite`);
    }
  }
  const xMax = chart.xMax ?? Math.max(1e-9, ...chart.series.flatMap((s) => s.points.map((p) => p.x)));
  const yMax = chart.yMax ?? 1;
  const px = (x: number): number => margin.left + (x / xMax) * plotW;
  const py = (y: number): number => margin.top + (1 - Math.min(Math.max(y, 0), yMax) / yMax) * plotH;
  const f = (v: number): string => v.toFixed(1);
  const xTicks = chart.xTicks ?? Array.from({ length: 6 }, (_, i) => (i * xMax) / 5);
  const yTicks = chart.yTicks ?? Array.from({ length: 6 }, (_, i) => (i * yMax) / 5);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${f(margin.left + plotW / 2)}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escape(chart.title)}</text>`);
  for (const t of yTicks) {
    out.push(`<line x1="${f(margin.left)}" y1="${f(py(t))}" x2="${f(margin.left + plotW)}" y2="${f(py(t))}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${f(margin.left - 6)}" y="${f(py(t) + 4)}" text-anchor="end">${tickText(t)}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${f(px(t))}" y1="${f(margin.top)}" x2="${f(px(t))}" y2="${f(margin.top + plotH)}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${f(px(t))}" y="${f(margin.top + plotH + 16)}" text-anchor="middle">${tickText(t)}</text>`);
  }
  out.push(`<rect x="${f(margin.left)}" y="${f(margin.top)}" width="${f(plotW)}" height="${f(plotH)}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${f(margin.left + plotW / 2)}" y="${f(height - 12)}" text-anchor="middle">${escape(chart.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${f(margin.top + plotH / 2)}) rotate(-90)" text-anchor="middle">${escape(chart.yLabel)}</text>`);
  for (const r of chart.references ?? []) {
    out.push(`<line x1="${f(margin.left)}" y1="${f(py(r.y))}" x2="${f(margin.left + plotW)}" y2="${f(py(r.y))}" stroke="#888" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${f(margin.left + plotW - 4)}" y="${f(py(r.y) - 4)}" text-anchor="end" fill="#666">${escape(r.label)}</text>`);
  }
  for (const s of chart.series) {
    const dash = s.dashed ? ' stroke-dasharray="7 4"' : '';
    const path = s.points.map((p) => `${f(px(p.x))},${f(py(p.y))}`).join(' ');
    out.push(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    for (const p of s.points) {
      if (p.error !== undefined && p.error > 0) {
        out.push(`<line x1="${f(px(p.x))}" y1="${f(py(p.y - p.error))}" x2="${f(px(p.x))}" y2="${f(py(p.y + p.error))}" stroke="${s.color}"/>`);
      }
      out.push(`<circle cx="${f(px(p.x))}" cy="${f(py(p.y))}" r="3" fill="${s.color}"/>`);
    }
  }
  const lx = width - legendWidth + 16;
  chart.series.forEach((s, i) => {
    const y = margin.top + 8 + i * 20;
    const dash = s.dashed ? ' stroke-dasharray="7 4"' : '';
    out.push(`<line x1="${lx}" y1="${y}" x2="${lx + 28}" y2="${y}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${lx + 34}" y="${y + 4}">${escape(s.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
