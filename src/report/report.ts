/**
 * `report.md` and the terminal tables of `reproduce`: our metrics beside the seed's, with the
 * difference, plus the configuration, timing and per-epoch log.
 *
 * The metrics, the seed's five, over the test images: accuracy ("correctly predicted"),
 * error = 1 − accuracy, and the softmax probability of the predicted class averaged over all
 * images ("confidence"), over the correctly predicted ones and over the misclassified ones. The
 * last two are NaN when their set is empty; JSON has no NaN, so `results.json` holds `null` there,
 * and the tables show "n/a".
 */

import type { Metrics } from '../train/metrics.ts';
import type { RobustnessSummary } from '../robustness/summary.ts';
import { renderRobustnessSection, type ModelSummary } from './robustness-section.ts';
import { renderRobustTraining } from './robust-section.ts';

export type { Metrics };

/** Metrics as the seed states them (it gives no counts; they are over the 10,000 test images). */
export type SeedMetrics = Omit<Metrics, 'count'>;

/** One model's evaluation on the clean test images and on their FGSM examples. */
export interface MetricsPair<M = Metrics> {
  clean: M;
  adversarial: M;
}

/** What `reproduce` writes to `results.json` (README: "What `npm run reproduce` does and prints"). */
export interface Results {
  config: {
    /** ε as a fraction of the pixel range (0.25 → 63.75 grey levels). */
    eps: number;
    clip: boolean;
    schedule: 'batch' | 'epoch';
    seed: number;
    epochs: { standard: number; adversarial: number };
    trainCount: number;
    testCount: number;
    preset: string;
    workers?: number;
    [k: string]: unknown;
  };
  standard: MetricsPair;
  adversarial: MetricsPair;
  seconds: { standard: number; adversarial: number; pgd?: number; fgsmRs?: number; robustness?: number; total?: number };
  epochLog?: Array<{ phase: 'standard' | 'adversarial' | 'pgd' | 'fgsm-rs'; epoch: number; loss: number; seconds: number; [k: string]: unknown }>;
  machine?: { node: string; cpus: string; platform: string; date: string };
  /**
   * "How robust, really?": PGD, worst case, curves and audit of every model on a test subset
   * (pgd and fgsmRs: the robust preset's models, audited with the standard model as surrogate).
   */
  robustness?: {
    count: number;
    chart: string;
    models: { standard: RobustnessSummary; adversarial: RobustnessSummary; pgd?: RobustnessSummary; fgsmRs?: RobustnessSummary };
  };
  /** The robust preset: the recipe and the PGD- and FGSM-RS-trained models (robust-section.ts). */
  robustTraining?: { recipe: RobustRecipe; chart: string; models: { pgd: RobustRun; fgsmRs: RobustRun } };
}

/** How the robust preset's models are trained (both schedules share it but for the epochs). */
export interface RobustRecipe {
  optimizer: 'adam';
  lr: number;
  batch: number;
  /** PGD steps k of the 'pgd' schedule (step 2.5·ε/k, random start). */
  steps: number;
  /** ε grows linearly from 0 over the first epsRamp epochs. */
  epsRamp: number;
  epochs: { pgd: number; fgsmRs: number };
  /** Training images of each robust model (the first ones, after the validation subset is removed). */
  images: number;
  /** The last validationCount training images, never trained on. */
  validationCount: number;
  /** "PGD-10 at ε = 0.25 (63.75 grey levels)". */
  validationAttack: string;
}

/** One robust model: the best epoch by validation PGD, its test metrics, and the validation curve. */
export interface RobustRun {
  schedule: 'pgd' | 'fgsm-rs';
  /** Epochs run (fewer than asked when a collapse stopped the run). */
  epochs: number;
  bestEpoch: number;
  seconds: number;
  /** The best epoch's model on the clean test images and their FGSM examples. */
  metrics: MetricsPair;
  validation: Array<{ epoch: number; clean: number; robust: number }>;
  collapse?: string;
}

/** The seed's tables (its report's two tables), over the 10,000 MNIST test images at ε = 0.25. */
export const SEED_RESULTS: { standard: MetricsPair<SeedMetrics>; adversarial: MetricsPair<SeedMetrics> } = {
  standard: {
    clean: { accuracy: 0.9858, error: 0.0142, confidence: 0.9858, confidenceCorrect: 0.9899, confidenceError: 0.7029 },
    adversarial: { accuracy: 0.0496, error: 0.9504, confidence: 0.9305, confidenceCorrect: 0.8869, confidenceError: 0.9328 },
  },
  adversarial: {
    clean: { accuracy: 0.984, error: 0.016, confidence: 0.9721, confidenceCorrect: 0.9761, confidenceError: 0.6734 },
    adversarial: { accuracy: 0.8328, error: 0.1672, confidence: 0.8458, confidenceCorrect: 0.8761, confidenceError: 0.6947 },
  },
};

/** The seed's row names, in the seed's order, with the field each shows. */
export const METRIC_ROWS: ReadonlyArray<readonly [string, keyof SeedMetrics]> = [
  ['correctly predicted', 'accuracy'],
  ['error', 'error'],
  ['confidence', 'confidence'],
  ['confidence, correctly predicted', 'confidenceCorrect'],
  ['confidence, error', 'confidenceError'],
];

const METRIC_FIELDS: ReadonlyArray<keyof Metrics> = [
  'accuracy',
  'error',
  'confidence',
  'confidenceCorrect',
  'confidenceError',
  'count',
];

/** A metric with 4 decimals, or "n/a" when it is NaN (or otherwise not finite). */
export function formatValue(value: number): string {
  return Number.isFinite(value) ? value.toFixed(4) : 'n/a';
}

/** ours − seed, signed, 4 decimals ("+0.0012", "-0.0300", "+0.0000"), or "n/a". */
export function formatDifference(ours: number, seed: number): string {
  const difference = ours - seed;
  if (!Number.isFinite(difference)) return 'n/a';
  const text = Math.abs(difference).toFixed(4);
  // A difference that rounds to zero gets '+', so "-0.0000" never appears.
  return (difference < 0 && Number(text) !== 0 ? '-' : '+') + text;
}

/** The cells of a metrics table: header row, then one row per metric. */
function metricsCells(title: string, ours: MetricsPair, seed: MetricsPair<SeedMetrics> | null): string[][] {
  const header = seed
    ? [title, 'clean', 'seed', 'ours − seed', 'adversarial', 'seed', 'ours − seed']
    : [title, 'clean', 'adversarial'];
  const rows = METRIC_ROWS.map(([name, field]) => {
    const row = [name];
    for (const column of ['clean', 'adversarial'] as const) {
      row.push(formatValue(ours[column][field]));
      if (seed) row.push(formatValue(seed[column][field]), formatDifference(ours[column][field], seed[column][field]));
    }
    return row;
  });
  return [header, ...rows];
}

/**
 * A Markdown table shaped like the seed's (rows: correctly predicted, error, confidence,
 * confidence correctly predicted, confidence error; columns: clean and adversarial), with the
 * seed's value and the difference beside each of ours when `seed` is given.
 * @param title the top-left cell, e.g. "standard training"
 * @param ours our metrics
 * @param seed the seed's metrics to compare with, or null for our numbers only
 */
export function formatMetricsTable(title: string, ours: MetricsPair, seed: MetricsPair<SeedMetrics> | null): string {
  const [header, ...rows] = metricsCells(title, ours, seed);
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const rule = `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n') + '\n';
}

/**
 * The same table as {@link formatMetricsTable} as aligned plain text, for the terminal.
 * @param title the top-left cell, e.g. "standard training"
 * @param ours our metrics
 * @param seed the seed's metrics to compare with, or null for our numbers only
 */
export function formatMetricsText(title: string, ours: MetricsPair, seed: MetricsPair<SeedMetrics> | null): string {
  const cells = metricsCells(title, ours, seed);
  const widths = cells[0].map((_, c) => Math.max(...cells.map((row) => [...row[c]].length)));
  const pad = (text: string, width: number, left: boolean): string => {
    const fill = ' '.repeat(width - [...text].length);
    return left ? text + fill : fill + text;
  };
  // Two spaces between columns, three before each clean/adversarial group when the seed is shown.
  const lines = cells.map((row) =>
    row
      .map((cell, c) => {
        const text = pad(cell, widths[c], c === 0);
        return c === 0 ? text : (seed && (c === 1 || c === 4) ? '   ' : '  ') + text;
      })
      .join('')
      .trimEnd(),
  );
  return lines.join('\n') + '\n';
}

/** A number for prose: integers with thousands separators, others as given. */
function formatCount(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
}

/** ε in grey levels, without trailing zeros: 0.25 → "63.75", 0.1 → "25.5", 0.3 → "76.5". */
function greyLevels(eps: number): string {
  return String(Number((eps * 255).toFixed(6)));
}

function formatPercent(value: number): string {
  return Number.isFinite(value) ? `${(100 * value).toFixed(2)}%` : 'n/a';
}

/** Seconds with one decimal, and as "h min s" from a minute up: 600.25 → "600.3 (10 min 0 s)". */
function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'n/a';
  const whole = Math.round(seconds);
  if (whole < 60) return seconds.toFixed(1);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  return `${seconds.toFixed(1)} (${hours > 0 ? `${hours} h ` : ''}${minutes} min ${whole % 60} s)`;
}

/** A cell of the per-epoch log: numbers with up to 4 decimals, other values as JSON. */
function formatLogCell(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : formatValue(value);
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * One log entry as table cells: a nested record (the robust phases' `validation`: clean, robust,
 * count, best) becomes one column per field, `validation clean`, `validation robust`, …, so the
 * table shows numbers, not JSON.
 */
const LOG_COLUMN_NAMES: Record<string, string> = {
  // the flag is set when the epoch is the best up to then, not the best of the whole run
  'validation best': 'validation best so far',
  'validation robust': 'validation PGD',
};

function flattenLogEntry(entry: Record<string, unknown>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [field, inner] of Object.entries(value)) row[LOG_COLUMN_NAMES[`${key} ${field}`] ?? `${key} ${field}`] = inner;
    } else row[key] = value;
  }
  return row;
}

/** Escapes the characters that would break a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

const SCHEDULE_TEXT: Record<Results['config']['schedule'], string> = {
  batch:
    'FGSM examples are regenerated for every minibatch from the current model, and each step ' +
    'minimises Goodfellow\'s J̃ = ½·J(x) + ½·J(x_adv) over the batch\'s clean images and their ' +
    'FGSM examples, so the examples always attack the model being trained. This is the schedule ' +
    'that reproduces the seed\'s table.',
  epoch:
    'the seed\'s literal reading: all adversarial examples of the training set are made once at ' +
    'the start of each epoch from the model of that moment, then mixed with the clean images. ' +
    'They go stale while the model moves during the epoch: the model learns the old perturbations, ' +
    'yet fresh FGSM examples of the model it has become still fool it.',
};

/** What this run measured about its schedule: FGSM accuracy of both models on fresh examples. */
function scheduleOutcome(results: Results): string {
  const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
  return ` In this run, on fresh FGSM examples of each model, the adversarially trained model keeps ` +
    `${pct(results.adversarial.adversarial.accuracy)} accuracy, against ${pct(results.standard.adversarial.accuracy)} for the standard model.`;
}

const KNOWN_CONFIG_KEYS = new Set(['eps', 'clip', 'schedule', 'seed', 'epochs', 'trainCount', 'testCount', 'preset', 'workers']);

/**
 * The `report.md` of a `reproduce` run.
 * @param results the run's results (as written to `results.json`)
 * @returns Markdown text
 */
export function renderReport(results: Results): string {
  const { config } = results;
  const out: string[] = [];
  const grey = greyLevels(config.eps);

  out.push('# Adversarial examples and adversarial training on MNIST: reproduction report', '');
  out.push(
    `A LeNet (MatConvNet's \`cnn_mnist\`, 431,080 parameters) is trained on ` +
      `${formatCount(config.trainCount)} MNIST training images for ${config.epochs.standard} ` +
      `epoch${config.epochs.standard === 1 ? '' : 's'} of SGD with momentum ("standard training"), then ` +
      `evaluated on ${formatCount(config.testCount)} clean test images and on their fast-gradient-sign ` +
      `(FGSM) adversarial examples x_adv = x + ε·sign(∇ₓJ(θ, x, y)) at ε = ${config.eps} ` +
      `(${grey} grey levels). A second model, from the same initialisation, is trained for ` +
      `${config.epochs.adversarial} epoch${config.epochs.adversarial === 1 ? '' : 's'} on clean and ` +
      `FGSM examples together ("adversarial training") and evaluated the same way. The seed reports ` +
      `that FGSM fools the standard model with high confidence (${formatPercent(SEED_RESULTS.standard.adversarial.accuracy)} ` +
      `accuracy, mean confidence ${formatValue(SEED_RESULTS.standard.adversarial.confidence)}) and that ` +
      `adversarial training makes the model largely robust (${formatPercent(SEED_RESULTS.adversarial.adversarial.accuracy)} ` +
      `on FGSM examples). Here the standard model keeps ${formatPercent(results.standard.adversarial.accuracy)} ` +
      `on FGSM examples (mean confidence ${formatValue(results.standard.adversarial.confidence)}), the ` +
      `adversarially trained one ${formatPercent(results.adversarial.adversarial.accuracy)}; on clean ` +
      `images they reach ${formatPercent(results.standard.clean.accuracy)} and ` +
      `${formatPercent(results.adversarial.clean.accuracy)}.`,
    '',
  );

  out.push('## Configuration', '');
  out.push('| setting | value |', '|---|---|');
  out.push(`| ε | ${config.eps} of the pixel range = ${grey} grey levels (the network's input units: 0..255 minus the mean image) |`);
  out.push(
    `| clipping | ${
      config.clip
        ? 'on: x_adv is clipped to the valid range [0, 255] before the mean image is subtracted'
        : 'off: x_adv may leave [0, 255], as in the paper'
    } |`,
  );
  out.push(`| adversarial-training schedule | \`${config.schedule}\` (see below) |`);
  out.push(`| epochs | standard ${config.epochs.standard}, adversarial ${config.epochs.adversarial} (the seed: 30 and 30) |`);
  out.push(`| random seed | ${config.seed} |`);
  out.push(`| training images | ${formatCount(config.trainCount)} |`);
  out.push(`| test images | ${formatCount(config.testCount)} |`);
  out.push(`| preset | \`${cell(config.preset)}\` |`);
  if (config.workers !== undefined) out.push(`| workers | ${config.workers} |`);
  for (const [key, value] of Object.entries(config)) {
    if (!KNOWN_CONFIG_KEYS.has(key)) out.push(`| ${cell(key)} | ${cell(formatLogCell(value))} |`);
  }
  out.push('');
  out.push(`Schedule \`${config.schedule}\`: ${SCHEDULE_TEXT[config.schedule]}${scheduleOutcome(results)}`, '');

  out.push('## Results', '');
  out.push(
    `Each cell shows our value, the seed's, and the difference (ours − seed). "Confidence" is the ` +
      'softmax probability of the predicted class, averaged over all test images, over the ' +
      'correctly predicted ones and over the misclassified ones; "n/a" marks an average over an ' +
      'empty set.',
  );
  const counts = [results.standard.clean, results.standard.adversarial, results.adversarial.clean, results.adversarial.adversarial].map(
    (m) => m.count,
  );
  if (counts.some((count) => count !== 10000)) {
    out.push(
      '',
      `Our metrics are over ${[...new Set(counts)].map(formatCount).join(' / ')} test images, the ` +
        "seed's over 10,000: compare with care.",
    );
  }
  if (config.eps !== 0.25) {
    out.push('', `The seed's numbers are for ε = 0.25; this run used ε = ${config.eps}.`);
  }
  out.push('');
  out.push('### Standard training', '', formatMetricsTable('standard training', results.standard, SEED_RESULTS.standard));
  out.push('### Adversarial training', '', formatMetricsTable('adversarial training', results.adversarial, SEED_RESULTS.adversarial));
  if (results.robustness) {
    const r = results.robustness.models;
    out.push(
      `The adversarial column is FGSM, the attack this model was trained on; it is not a robustness figure by itself. Under PGD-${r.adversarial.steps} ` +
        `at the same ε the adversarially trained model keeps ${formatValue(r.adversarial.accuracy.pgd)} and ${formatValue(r.adversarial.accuracy.worstCase)} ` +
        `in the worst case over the attack suite (the standard model: ${formatValue(r.standard.accuracy.pgd)} and ${formatValue(r.standard.accuracy.worstCase)}), ` +
        `on the first ${formatCount(results.robustness.count)} test images: see "How robust, really?" below.`,
      '',
    );
    const models: ModelSummary[] = [
      { name: 'standard', summary: r.standard },
      { name: 'adversarially trained (FGSM)', summary: r.adversarial },
    ];
    // The robust preset's models, each audited with the standard model as surrogate (reproduce-command.ts says why).
    if (r.pgd) models.push({ name: 'PGD-trained', summary: r.pgd, surrogate: 'the standard model' });
    if (r.fgsmRs) models.push({ name: 'FGSM-RS-trained', summary: r.fgsmRs, surrogate: 'the standard model' });
    if (models.length > 2) {
      models[0].surrogate = 'the adversarially trained (FGSM) model';
      models[1].surrogate = 'the standard model';
    }
    out.push(renderRobustnessSection(models, results.robustness.chart));
  }
  if (results.robustTraining) out.push(renderRobustTraining(results));

  out.push('## Timing', '');
  const total = results.seconds.total ?? results.seconds.standard + results.seconds.adversarial;
  out.push('| phase | seconds |', '|---|---:|');
  out.push(`| standard training | ${formatSeconds(results.seconds.standard)} |`);
  out.push(`| adversarial training | ${formatSeconds(results.seconds.adversarial)} |`);
  if (results.seconds.pgd !== undefined) out.push(`| PGD training (with validation) | ${formatSeconds(results.seconds.pgd)} |`);
  if (results.seconds.fgsmRs !== undefined) out.push(`| FGSM-RS training (with validation) | ${formatSeconds(results.seconds.fgsmRs)} |`);
  if (results.seconds.robustness !== undefined) out.push(`| robustness (PGD, worst case, curves, audit) | ${formatSeconds(results.seconds.robustness)} |`);
  out.push(`| total${results.seconds.total === undefined ? ' (the two phases)' : ''} | ${formatSeconds(total)} |`);
  out.push('');
  if (results.machine) {
    const m = results.machine;
    out.push(`Machine: ${m.cpus}, ${m.platform}, Node ${m.node}, ${m.date}.`, '');
  }

  if (results.epochLog && results.epochLog.length > 0) {
    out.push('## Per-epoch log', '');
    const base = ['phase', 'epoch', 'loss', 'seconds'];
    const rows = results.epochLog.map(flattenLogEntry);
    const extra: string[] = [];
    for (const row of rows) {
      for (const key of Object.keys(row)) if (!base.includes(key) && !extra.includes(key)) extra.push(key);
    }
    const columns = [...base, ...extra];
    out.push(`| ${columns.map(cell).join(' | ')} |`);
    out.push(`|${columns.map((c) => (c === 'phase' ? '---' : '---:')).join('|')}|`);
    for (const row of rows) {
      out.push(`| ${columns.map((c) => cell(formatLogCell(row[c]))).join(' | ')} |`);
    }
    out.push('');
  }

  out.push('## Examples', '');
  out.push(
    '[examples.png](examples.png): for the standard and the adversarially trained model, a test ' +
      'image, its FGSM perturbation η = ε·sign(∇ₓJ) (blue negative, red positive) and the adversarial ' +
      'image, with the predicted label and confidence (green when right, red when wrong)' +
      (results.robustness
        ? `; then the adversarially trained model's PGD-${results.robustness.models.adversarial.steps} examples of the same images` +
          (results.robustness.models.pgd ? ", and the PGD-trained model's. " : '. ') +
          "Where FGSM's perturbation of the adversarially trained model looks like scattered salt-and-pepper noise rather than strokes, its " +
          'gradient no longer points at the digit (a sign of masking); PGD, taking many small steps, finds perturbations FGSM cannot.'
        : '.'),
    '',
    '![clean, perturbation and adversarial images for both models](examples.png)',
    '',
  );
  return out.join('\n');
}
