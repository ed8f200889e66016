/**
 * `reproduce --seeds N`: the spread of the experiment over seeds. Every cell of the comparison
 * tables (standard and adversarial training beside the paper's numbers, and the robust models'
 * when present) and of the robustness table becomes mean ± standard deviation over the runs,
 * beside the paper's value, so that a reader can see whether the paper's number lies inside what
 * the recipe gives.
 *
 * The standard deviation is the sample one, √(Σ(v − mean)² / (N − 1)), the spread of a single
 * run's value (not the standard error of the mean, which is N^½ times smaller). A cell whose value
 * is not finite in some run (a confidence over an empty set) has no mean: NaN, null in JSON.
 */
import { formatDifference, formatValue } from './format.ts';
import { METRIC_ROWS, MODELS, modelName, PAPER_RESULTS, ROBUST_KEYS, type MetricsPair, type ModelKey, type PaperMetrics, type Results } from './results.ts';
import type { RobustnessSummary } from '../robustness/summary.ts';

/** One cell over the seeds. */
export interface Spread {
  mean: number;
  sd: number;
  /** The runs' values, in seed order. */
  values: number[];
}

type MetricField = (typeof METRIC_ROWS)[number][1];
export type SpreadPair = Record<'clean' | 'adversarial', Record<MetricField, Spread>>;
type RobustnessField = keyof RobustnessSummary['accuracy'];

/** What `reproduce --seeds N` writes to its top-level results.json. */
export interface SeedsResults {
  seeds: number[];
  /** The sub-folder of --out holding each seed's run (its report.md, results.json, checkpoints). */
  runs: string[];
  config: Omit<Results['config'], 'seed'>;
  spread: {
    standard: SpreadPair;
    adversarial: SpreadPair;
    pgd?: SpreadPair;
    fgsmRs?: SpreadPair;
    pgdRelu?: SpreadPair;
    robustness?: { count: number; steps: number; models: Partial<Record<ModelKey, Record<RobustnessField, Spread>>> };
  };
  seconds: { total: number };
}

/** Mean and sample standard deviation (NaN for fewer than 2 values or a non-finite value). */
export function spread(values: readonly number[]): Spread {
  const n = values.length;
  const finite = values.every(Number.isFinite);
  const mean = finite && n > 0 ? values.reduce((s, v) => s + v, 0) / n : NaN;
  const sd = finite && n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : NaN;
  return { mean, sd, values: [...values] };
}

function spreadPair(pairs: readonly MetricsPair[]): SpreadPair {
  const side = (column: 'clean' | 'adversarial') =>
    Object.fromEntries(METRIC_ROWS.map(([, field]) => [field, spread(pairs.map((p) => nullToNaN(p[column][field])))])) as Record<MetricField, Spread>;
  return { clean: side('clean'), adversarial: side('adversarial') };
}

/** results.json holds null where a metric was NaN. */
function nullToNaN(value: number | null): number {
  return value === null ? NaN : value;
}

/** The bracket first (lower bound, then the headline upper bound), the single attacks below it. */
const ROBUSTNESS_ROWS: ReadonlyArray<readonly [string, RobustnessField]> = [
  ['clean', 'clean'],
  ['certified by CROWN (lower bound)', 'certified'],
  ['worst case of the PGD suite, APGD-CE, APGD-T and Square (upper bound)', 'upperBound'],
  ['FGSM', 'fgsm'],
  ['PGD, unclipped (as the paper)', 'pgd'],
  ['PGD, clipped to [0, 255]', 'pgdClipped'],
  ['worst case of the PGD suite alone', 'worstCase'],
];

/** The spread of every cell over the runs (one Results per seed, in seed order). */
export function aggregateSeeds(runs: readonly Results[], folders: readonly string[], seconds: number): SeedsResults {
  const { seed: _seed, ...config } = runs[0].config;
  const out: SeedsResults = {
    seeds: runs.map((r) => r.config.seed),
    runs: [...folders],
    config,
    spread: { standard: spreadPair(runs.map((r) => r.standard)), adversarial: spreadPair(runs.map((r) => r.adversarial)) },
    seconds: { total: seconds },
  };
  for (const key of ROBUST_KEYS) {
    if (runs.every((r) => r.robustTraining?.models[key])) out.spread[key] = spreadPair(runs.map((r) => r.robustTraining!.models[key]!.metrics));
  }
  if (runs.every((r) => r.robustness)) {
    const models: Partial<Record<ModelKey, Record<RobustnessField, Spread>>> = {};
    for (const key of MODELS.map((m) => m.key)) {
      if (!runs.every((r) => r.robustness!.models[key])) continue;
      models[key] = Object.fromEntries(ROBUSTNESS_ROWS.map(([, field]) => [field, spread(runs.map((r) => r.robustness!.models[key]!.accuracy[field] ?? NaN))])) as Record<
        RobustnessField,
        Spread
      >;
    }
    out.spread.robustness = { count: runs[0].robustness!.count, steps: runs[0].robustness!.models.standard.steps, models };
  }
  return out;
}

/** "0.9871 ± 0.0012", or "n/a". */
export function formatSpread(s: Spread): string {
  return Number.isFinite(s.mean) ? `${formatValue(s.mean)} ± ${formatValue(s.sd)}` : 'n/a';
}

/** The cells of one comparison table: rows of the paper's metrics, mean ± sd beside the paper's value. */
function metricsSpreadCells(title: string, ours: SpreadPair, paper: MetricsPair<PaperMetrics> | null): string[][] {
  const header = paper ? [title, 'clean, mean ± sd', 'paper', 'mean − paper', 'adversarial, mean ± sd', 'paper', 'mean − paper'] : [title, 'clean, mean ± sd', 'adversarial, mean ± sd'];
  const rows = METRIC_ROWS.map(([name, field]) => {
    const row = [name];
    for (const column of ['clean', 'adversarial'] as const) {
      row.push(formatSpread(ours[column][field]));
      if (paper) row.push(formatValue(paper[column][field]), formatDifference(ours[column][field].mean, paper[column][field]));
    }
    return row;
  });
  return [header, ...rows];
}

function robustnessSpreadCells(r: NonNullable<SeedsResults['spread']['robustness']>): string[][] {
  const keys = MODELS.map((m) => m.key).filter((k) => r.models[k]);
  const header = [`first ${r.count} test images`, ...keys.map((k) => `${modelName(k)}, mean ± sd`)];
  const rows = ROBUSTNESS_ROWS.map(([label, field]) => [label.replace('PGD', `PGD-${r.steps}`), ...keys.map((k) => (r.models[k]![field] === undefined || r.models[k]![field].values.every(Number.isNaN) ? '—' : formatSpread(r.models[k]![field])))]);
  return [header, ...rows];
}

/** The tables of a seeds run, each as its cells (header first), with a title. */
function spreadTables(results: SeedsResults): Array<{ title: string; cells: string[][] }> {
  const s = results.spread;
  const tables = [
    { title: 'Standard training', cells: metricsSpreadCells('standard training', s.standard, PAPER_RESULTS.standard) },
    { title: 'Adversarial training', cells: metricsSpreadCells('adversarial training', s.adversarial, PAPER_RESULTS.adversarial) },
  ];
  for (const key of ROBUST_KEYS) {
    const pair = s[key];
    if (pair) tables.push({ title: `${modelName(key)} (best epoch)`, cells: metricsSpreadCells(modelName(key), pair, null) });
  }
  if (s.robustness) tables.push({ title: 'How robust, really?', cells: robustnessSpreadCells(s.robustness) });
  return tables;
}

/** How many of the paper's table cells lie within mean ± 2 sd of ours. */
function paperInside(results: SeedsResults): { inside: number; total: number } {
  let inside = 0;
  let total = 0;
  for (const key of ['standard', 'adversarial'] as const) {
    for (const column of ['clean', 'adversarial'] as const) {
      for (const [, field] of METRIC_ROWS) {
        const s = results.spread[key][column][field];
        if (!Number.isFinite(s.mean) || !Number.isFinite(s.sd)) continue;
        total++;
        if (Math.abs(PAPER_RESULTS[key][column][field] - s.mean) <= 2 * s.sd) inside++;
      }
    }
  }
  return { inside, total };
}

/** The top-level report.md of a seeds run. */
export function renderSeedsReport(results: SeedsResults): string {
  const out: string[] = ['# Adversarial examples and adversarial training on MNIST: the spread over seeds', ''];
  const n = results.seeds.length;
  out.push(
    `The experiment (preset \`${results.config.preset}\`) was run ${n} times, with seeds ${results.seeds.join(', ')} (each seeds the initialisation and ` +
      `the shuffles). Every cell is the mean ± the sample standard deviation over the ${n} runs (the spread of one run's value), beside the paper's ` +
      "value where the paper reports one. Each run's own report, results.json and checkpoints are in its sub-folder: " +
      results.runs.map((f) => `[${f}](${f}/report.md)`).join(', ') +
      '.',
    '',
  );
  const { inside, total } = paperInside(results);
  if (total > 0) out.push(`${inside} of the paper's ${total} table cells lie within mean ± 2 sd of ours.`, '');
  for (const { title, cells } of spreadTables(results)) {
    out.push(`## ${title}`, '');
    const [header, ...rows] = cells;
    out.push(`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`), '');
  }
  out.push('## Per-seed values', '');
  out.push('| seed | standard: clean | standard: FGSM | adversarial: clean | adversarial: FGSM |', '|---:|---:|---:|---:|---:|');
  const s = results.spread;
  results.seeds.forEach((seed, i) => {
    const v = [s.standard.clean.accuracy, s.standard.adversarial.accuracy, s.adversarial.clean.accuracy, s.adversarial.adversarial.accuracy].map((c) => formatValue(c.values[i]));
    out.push(`| ${seed} | ${v.join(' | ')} |`);
  });
  out.push('', `Total wall time: ${Math.round(results.seconds.total)} s.`, '');
  return out.join('\n');
}

/** The same tables as aligned plain text, for the terminal. */
export function formatSeedsText(results: SeedsResults): string {
  const lines: string[] = [`spread over seeds ${results.seeds.join(', ')} (mean ± sample sd)`, ''];
  for (const { cells } of spreadTables(results)) {
    const widths = cells[0].map((_, c) => Math.max(...cells.map((row) => [...row[c]].length)));
    for (const row of cells) lines.push(row.map((text, c) => (c === 0 ? text.padEnd(widths[c]) : text.padStart(widths[c]))).join('  ').trimEnd());
    lines.push('');
  }
  return lines.join('\n');
}

