/**
 * `report.md` of a `reproduce` run: our metrics beside the paper's, with the difference, plus the
 * configuration (every value as the run used it, experiment/config.ts), "How robust, really?"
 * (robustness-evaluation-section.ts), robust training when the preset has it
 * (robust-training-section.ts), timing, the per-epoch log and the examples picture. A quick run
 * (`--preset quick`) says so in its title and beside its tables.
 */
import { formatCount, formatPercent, formatSeconds, formatValue, greyLevels, markdownCell as cell } from './format.ts';
import { formatMetricsTable } from './metrics-table.ts';
import { MODELS, modelName, PAPER_EPOCHS, PAPER_RESULTS, ROBUST_KEYS, surrogateOf, type ModelKey, type Results } from './results.ts';
import { ABSENT, certifiedOf, headline, renderRobustnessSection, type ModelSummary } from './robustness-evaluation-section.ts';
import { renderRobustTraining } from './robust-training-section.ts';

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

const SCHEDULE_TEXT: Record<Results['config']['schedule'], string> = {
  batch:
    'FGSM examples are regenerated for every minibatch from the current model, and each step ' +
    'minimises Goodfellow\'s J̃ = ½·J(x) + ½·J(x_adv) over the batch\'s clean images and their ' +
    'FGSM examples, so the examples always attack the model being trained. This is the schedule ' +
    'that reproduces the paper\'s table.',
  epoch:
    'the paper\'s literal reading: all adversarial examples of the training set are made once at ' +
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
  return [
    ...introduction(results),
    ...configuration(results),
    ...comparison(results),
    ...robustness(results),
    ...(results.robustTraining ? [renderRobustTraining(results)] : []),
    ...timing(results),
    ...epochLog(results),
    ...examples(results),
  ].join('\n');
}

/** Whether the run is the quick preset's: a subset, labelled so wherever its numbers appear. */
export function isQuickRun(results: Pick<Results, 'config'>): boolean {
  return results.config.preset === 'quick';
}

/** The quick preset's caveat, shown beside its tables. */
export function quickRunNote(results: Results): string {
  return (
    `This is a quick run (\`--preset quick\`): ${formatCount(results.config.trainCount)} training and ${formatCount(results.config.testCount)} test images, ` +
    `${results.config.epochs.standard} + ${results.config.epochs.adversarial} epochs, to show the effect in about a minute; its figures are noisier than ` +
    "the default run's and are not the paper's setting."
  );
}

function introduction(results: Results): string[] {
  const { config } = results;
  const grey = greyLevels(config.eps);
  return [
    `# Adversarial examples and adversarial training on MNIST: reproduction report${isQuickRun(results) ? ' (quick run)' : ''}`,
    '',
    ...(isQuickRun(results) ? [quickRunNote(results), ''] : []),
    `A LeNet (MatConvNet's \`cnn_mnist\`, 431,080 parameters) is trained on ` +
      `${formatCount(config.trainCount)} MNIST training images for ${config.epochs.standard} ` +
      `epoch${config.epochs.standard === 1 ? '' : 's'} of SGD with momentum ("standard training"), then ` +
      `evaluated on ${formatCount(config.testCount)} clean test images and on their fast-gradient-sign ` +
      `(FGSM) adversarial examples x_adv = x + ε·sign(∇ₓJ(θ, x, y)) at ε = ${config.eps} ` +
      `(${grey} grey levels). A second model, from the same initialisation, is trained for ` +
      `${config.epochs.adversarial} epoch${config.epochs.adversarial === 1 ? '' : 's'} on clean and ` +
      `FGSM examples together ("adversarial training") and evaluated the same way. The paper reports ` +
      `that FGSM fools the standard model with high confidence (${formatPercent(PAPER_RESULTS.standard.adversarial.accuracy)} ` +
      `accuracy, mean confidence ${formatValue(PAPER_RESULTS.standard.adversarial.confidence)}) and that ` +
      `adversarial training makes the model largely robust (${formatPercent(PAPER_RESULTS.adversarial.adversarial.accuracy)} ` +
      `on FGSM examples). Here the standard model keeps ${formatPercent(results.standard.adversarial.accuracy)} ` +
      `on FGSM examples (mean confidence ${formatValue(results.standard.adversarial.confidence)}), the ` +
      `adversarially trained one ${formatPercent(results.adversarial.adversarial.accuracy)}; on clean ` +
      `images they reach ${formatPercent(results.standard.clean.accuracy)} and ` +
      `${formatPercent(results.adversarial.clean.accuracy)}.`,
    '',
  ];
}

function configuration(results: Results): string[] {
  const { config } = results;
  const out = ['## Configuration', '', '| setting | value |', '|---|---|'];
  out.push(`| ε | ${config.eps} of the pixel range = ${greyLevels(config.eps)} grey levels (the network's input units: 0..255 minus the mean image) |`);
  out.push(
    `| clipping | ${
      config.clip
        ? 'on: x_adv is clipped to the valid range [0, 255] before the mean image is subtracted'
        : 'off: x_adv may leave [0, 255], as in the paper'
    } |`,
  );
  out.push(`| adversarial-training schedule | \`${config.schedule}\` (see below) |`);
  out.push(`| epochs | standard ${config.epochs.standard}, adversarial ${config.epochs.adversarial} (the paper: ${PAPER_EPOCHS.standard} and ${PAPER_EPOCHS.adversarial}) |`);
  out.push(`| random seed | ${config.seed} |`);
  out.push(`| training images | ${formatCount(config.trainCount)} |`);
  out.push(`| test images | ${formatCount(config.testCount)} |`);
  out.push(`| preset | \`${cell(config.preset)}\` |`);
  if (config.workers !== undefined) out.push(`| workers | ${config.workers} |`);
  for (const [key, value] of Object.entries(config)) {
    if (!KNOWN_CONFIG_KEYS.has(key)) out.push(`| ${cell(key)} | ${cell(formatLogCell(value))} |`);
  }
  out.push('', `Schedule \`${config.schedule}\`: ${SCHEDULE_TEXT[config.schedule]}${scheduleOutcome(results)}`, '');
  return out;
}

/** Both tables beside the paper's, with the caveats that apply to this run. */
function comparison(results: Results): string[] {
  const { config } = results;
  const out = ['## Results', ''];
  out.push(
    `Each cell shows our value, the paper's, and the difference (ours − paper). "Confidence" is the ` +
      'softmax probability of the predicted class, averaged over all test images, over the ' +
      'correctly predicted ones and over the misclassified ones; "n/a" marks an average over an ' +
      'empty set.',
  );
  const counts = [results.standard.clean, results.standard.adversarial, results.adversarial.clean, results.adversarial.adversarial].map((m) => m.count);
  if (counts.some((count) => count !== 10000)) {
    out.push('', `Our metrics are over ${[...new Set(counts)].map(formatCount).join(' / ')} test images, the paper's over 10,000: compare with care.`);
  }
  if (config.eps !== 0.25) out.push('', `The paper's numbers are for ε = 0.25; this run used ε = ${config.eps}.`);
  if (isQuickRun(results)) out.push('', quickRunNote(results));
  out.push('');
  out.push('### Standard training', '', formatMetricsTable('standard training', results.standard, PAPER_RESULTS.standard));
  out.push('### Adversarial training', '', formatMetricsTable('adversarial training', results.adversarial, PAPER_RESULTS.adversarial));
  return out;
}

/** The pointer from the FGSM column to "How robust, really?", and the section itself. */
function robustness(results: Results): string[] {
  if (!results.robustness) return [];
  const r = results.robustness.models;
  const adv = headline(r.adversarial);
  const std = headline(r.standard);
  const out = [
    `The adversarial column is FGSM, the attack this model was trained on; it is not a robustness figure by itself. Its robust accuracy at the same ε ` +
      `is bracketed: at least ${certifiedOf(r.adversarial) === undefined ? ABSENT : formatValue(certifiedOf(r.adversarial)!)} (certified by CROWN, the lower bound) and at most ` +
      `${formatValue(adv.value)}, the ${adv.label}; the standard model's bracket is ${certifiedOf(r.standard) === undefined ? ABSENT : formatValue(certifiedOf(r.standard)!)} to ${formatValue(std.value)}. ` +
      `Under PGD-${r.adversarial.steps} alone the adversarially trained model keeps ${formatValue(r.adversarial.accuracy.pgd)}, a looser upper bound. On the first ${formatCount(results.robustness.count)} test images: see "How robust, really?" below.`,
    '',
  ];
  const present = MODELS.filter((m) => r[m.key]);
  // With two models each audits the other (the section says so); with more, each names its surrogate (results.ts, MODELS).
  const models: ModelSummary[] = present.map((m) => ({
    name: m.name,
    summary: r[m.key]!,
    ...(present.length > 2 ? { surrogate: surrogateName(surrogateOf(results.robustness!, m.key)) } : {}),
  }));
  out.push(renderRobustnessSection(models, results.robustness.chart));
  return out;
}

/** "the standard model", or "none" for a model audited without a surrogate. */
function surrogateName(key: ModelKey | null): string {
  return key === null ? 'none' : `the ${modelName(key)} model`;
}

function timing(results: Results): string[] {
  const s = results.seconds;
  const total = s.total ?? s.standard + s.adversarial;
  const out = ['## Timing', '', '| phase | seconds |', '|---|---:|'];
  out.push(`| standard training | ${formatSeconds(s.standard)} |`);
  out.push(`| adversarial training | ${formatSeconds(s.adversarial)} |`);
  for (const key of ROBUST_KEYS) if (s[key] !== undefined) out.push(`| ${modelName(key)} training (with validation) | ${formatSeconds(s[key]!)} |`);
  if (s.robustness !== undefined) out.push(`| robustness (PGD, worst case, curves, audit, standard evaluation, certificates) | ${formatSeconds(s.robustness)} |`);
  out.push(`| total${s.total === undefined ? ' (the two phases)' : ''} | ${formatSeconds(total)} |`, '');
  if (results.machine) {
    const m = results.machine;
    out.push(`Machine: ${m.cpus}, ${m.platform}, Node ${m.node}, ${m.date}.`, '');
  }
  return out;
}

function epochLog(results: Results): string[] {
  if (!results.epochLog || results.epochLog.length === 0) return [];
  const out = ['## Per-epoch log', ''];
  const base = ['phase', 'epoch', 'loss', 'seconds'];
  const rows = results.epochLog.map(flattenLogEntry);
  const extra: string[] = [];
  for (const row of rows) {
    for (const key of Object.keys(row)) if (!base.includes(key) && !extra.includes(key)) extra.push(key);
  }
  const columns = [...base, ...extra];
  out.push(`| ${columns.map(cell).join(' | ')} |`);
  out.push(`|${columns.map((c) => (c === 'phase' ? '---' : '---:')).join('|')}|`);
  for (const row of rows) out.push(`| ${columns.map((c) => cell(formatLogCell(row[c]))).join(' | ')} |`);
  out.push('');
  return out;
}

function examples(results: Results): string[] {
  return [
    '## Examples',
    '',
    '[examples.png](examples.png): for the standard and the adversarially trained model, a test ' +
      'image, its FGSM perturbation η = ε·sign(∇ₓJ) (blue negative, red positive) and the adversarial ' +
      'image, with the predicted label and confidence (green when right, red when wrong)' +
      (results.robustness
        ? `; then the adversarially trained model's PGD-${results.robustness.models.adversarial.steps} examples of the same images` +
          `${ROBUST_KEYS.filter((key) => key !== 'fgsmRs' && results.robustness!.models[key]).map((key) => `, and the ${modelName(key)} model's`).join('')}. ` +
          "Where FGSM's perturbation of the adversarially trained model looks like scattered salt-and-pepper noise rather than strokes, its " +
          'gradient no longer points at the digit (a sign of masking); PGD, taking many small steps, finds perturbations FGSM cannot.'
        : '.'),
    '',
    `![clean, perturbation and adversarial images: FGSM on the standard and the adversarially trained model${
      results.robustness ? `, PGD-${results.robustness.models.adversarial.steps} on the adversarially trained${ROBUST_KEYS.some((key) => key !== 'fgsmRs' && results.robustness!.models[key]) ? ' and the PGD-trained ones' : ' one'}` : ''
    }](examples.png)`,
    '',
  ];
}
