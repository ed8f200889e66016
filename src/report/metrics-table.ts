/**
 * The paper's table, ours beside it: rows correctly predicted, error, confidence, confidence
 * correctly predicted, confidence error; columns clean and adversarial; beside each of our values
 * the paper's and the difference (ours − paper) when the paper's are given. As Markdown for
 * report.md and as aligned plain text for the terminal.
 */
import { formatDifference, formatValue } from './format.ts';
import { METRIC_ROWS, type MetricsPair, type PaperMetrics } from './results.ts';

/** The cells of a metrics table: header row, then one row per metric. */
function metricsCells(title: string, ours: MetricsPair, paper: MetricsPair<PaperMetrics> | null): string[][] {
  const header = paper
    ? [title, 'clean', 'paper', 'ours − paper', 'adversarial', 'paper', 'ours − paper']
    : [title, 'clean', 'adversarial'];
  const rows = METRIC_ROWS.map(([name, field]) => {
    const row = [name];
    for (const column of ['clean', 'adversarial'] as const) {
      row.push(formatValue(ours[column][field]));
      if (paper) row.push(formatValue(paper[column][field]), formatDifference(ours[column][field], paper[column][field]));
    }
    return row;
  });
  return [header, ...rows];
}

/**
 * A Markdown table shaped like the paper's, with the paper's value and the difference beside each
 * of ours when `paper` is given.
 * @param title the top-left cell, e.g. "standard training"
 * @param ours our metrics
 * @param paper the paper's metrics to compare with, or null for our numbers only
 */
export function formatMetricsTable(title: string, ours: MetricsPair, paper: MetricsPair<PaperMetrics> | null): string {
  const [header, ...rows] = metricsCells(title, ours, paper);
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const rule = `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n') + '\n';
}

/**
 * The same table as {@link formatMetricsTable} as aligned plain text, for the terminal.
 * @param title the top-left cell, e.g. "standard training"
 * @param ours our metrics
 * @param paper the paper's metrics to compare with, or null for our numbers only
 */
export function formatMetricsText(title: string, ours: MetricsPair, paper: MetricsPair<PaperMetrics> | null): string {
  const cells = metricsCells(title, ours, paper);
  const widths = cells[0].map((_, c) => Math.max(...cells.map((row) => [...row[c]].length)));
  const pad = (text: string, width: number, left: boolean): string => {
    const fill = ' '.repeat(width - [...text].length);
    return left ? text + fill : fill + text;
  };
  // Two spaces between columns, three before each clean/adversarial group when the paper is shown.
  const lines = cells.map((row) =>
    row
      .map((cell, c) => {
        const text = pad(cell, widths[c], c === 0);
        return c === 0 ? text : (paper && (c === 1 || c === 4) ? '   ' : '  ') + text;
      })
      .join('')
      .trimEnd(),
  );
  return lines.join('\n') + '\n';
}
