/**
 * The "How robust, really?" section of the reproduction report, and its chart: for each model,
 * clean, FGSM, PGD (unclipped as the paper, and clipped) and the worst case over the attack suite,
 * each with its standard error; the robustness curves; the audit's verdicts; and, in words made
 * from those numbers, what they mean for the headline FGSM figure, whatever they show.
 */
import type { RobustnessSummary } from '../robustness/summary.ts';
import { exceedsBeyondNoise, formatWithError } from '../robustness/stats.ts';
import { lineChartSvg, type ChartSeries } from './svg-chart.ts';

export interface ModelSummary {
  /** "standard", "adversarially trained (FGSM)", … */
  name: string;
  summary: RobustnessSummary;
  /** The model whose examples the black-box check transfers (said in the audit's text when given). */
  surrogate?: string;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

/** Accuracy against ε, FGSM dashed and PGD solid, one colour per model, ±1 standard error bars. */
export function robustnessChartSvg(models: readonly ModelSummary[]): string {
  const series: ChartSeries[] = models.flatMap(({ name, summary }, i) => {
    const { fgsm, pgd } = summary.audit.curves;
    const points = (c: typeof fgsm) => c.points.map((p) => ({ x: p.eps, y: p.accuracy, error: p.standardError }));
    return [
      { label: `${name}: FGSM`, color: COLORS[i % COLORS.length], dashed: true, points: points(fgsm) },
      { label: `${name}: PGD-${summary.steps}`, color: COLORS[i % COLORS.length], points: points(pgd) },
    ];
  });
  const xMax = Math.max(...models.flatMap(({ summary }) => summary.audit.curves.pgd.points.map((p) => p.eps)));
  return lineChartSvg({
    title: `Accuracy under attack (${models[0]?.summary.count ?? 0} test images)`,
    xLabel: 'ε (fraction of the pixel range; 0.25 = 63.75 grey levels)',
    yLabel: 'accuracy',
    series,
    xMax,
    xTicks: [0, 0.1, 0.2, 0.3, 0.4, 0.5].filter((t) => t <= xMax + 1e-9),
    references: [{ y: 0.1, label: 'chance (0.1)' }],
  });
}

/** The section as Markdown. @param chartFile the chart's file name beside report.md */
export function renderRobustnessSection(models: readonly ModelSummary[], chartFile: string): string {
  if (models.length === 0) return '';
  const { eps, count, steps } = models[0].summary;
  const n = count;
  const out: string[] = ['## How robust, really?', ''];
  out.push(
    `FGSM accuracy alone is not evidence of robustness: a model trained on FGSM examples can learn to make FGSM's single linear step useless ` +
      `(gradient masking) while staying weak against an iterative attack at the same ε. So every model is also attacked with PGD-${steps} ` +
      `(${steps} projected sign steps of 2.5·ε/${steps}, random start), with and without clipping to the valid pixels, and with the worst case ` +
      `per image over a suite (FGSM, PGD-${steps} on the cross-entropy, PGD-${steps} on the logit margin, and the margin again from 4 random ` +
      `starts; each attack runs only on the images every earlier one failed to fool). These figures are over the first ${n.toLocaleString('en-US')} ` +
      `test images at ε = ${eps}, each with its standard error √(p(1−p)/n).`,
    '',
  );
  const header = ['', ...models.map((m) => m.name)];
  const rows: Array<[string, (s: RobustnessSummary) => number]> = [
    ['clean', (s) => s.accuracy.clean],
    ['FGSM', (s) => s.accuracy.fgsm],
    [`PGD-${steps}, unclipped (as the paper)`, (s) => s.accuracy.pgd],
    [`PGD-${steps}, clipped to [0, 255]`, (s) => s.accuracy.pgdClipped],
    ['worst case over the suite', (s) => s.accuracy.worstCase],
  ];
  out.push(`| ${header.join(' | ')} |`, `|---|${models.map(() => '---:').join('|')}|`);
  for (const [label, get] of rows) out.push(`| ${label} | ${models.map((m) => formatWithError(get(m.summary), n)).join(' | ')} |`);
  out.push('');

  out.push('Accuracy after each attack of the suite (each on the images that survived the ones before):', '');
  out.push(`| attack | ${models.map((m) => m.name).join(' | ')} |`, `|---|${models.map(() => '---:').join('|')}|`);
  const stepNames = models[0].summary.worstCase.steps.map((s) => s.attack);
  stepNames.forEach((name, i) => {
    out.push(`| ${name} | ${models.map((m) => `${formatWithError(m.summary.worstCase.steps[i].accuracy, n)} (${m.summary.worstCase.steps[i].fooled} fooled here)`).join(' | ')} |`);
  });
  out.push('');

  out.push(`![accuracy against ε for FGSM and PGD, every model](${chartFile})`, '');
  out.push(`[${chartFile}](${chartFile}): accuracy against ε, FGSM dashed and PGD-${steps} solid, ±1 standard error. The numbers:`, '');
  const epsilons = models[0].summary.audit.curves.pgd.points.map((p) => p.eps);
  out.push(`| ε | ${models.flatMap((m) => [`${m.name}: FGSM`, `${m.name}: PGD-${steps}`]).join(' | ')} |`);
  out.push(`|---:|${models.flatMap(() => ['---:', '---:']).join('|')}|`);
  epsilons.forEach((e, i) => {
    const cells = models.flatMap((m) => [m.summary.audit.curves.fgsm.points[i].accuracy, m.summary.audit.curves.pgd.points[i].accuracy].map((a) => a.toFixed(4)));
    out.push(`| ${e} | ${cells.join(' | ')} |`);
  });
  out.push('');

  out.push('### The audit', '');
  out.push(
    `Eight checks that expose gradient masking (after Carlini et al. 2019, "On evaluating adversarial robustness"). "Beyond noise" means by more than ` +
      `two standard errors of the difference. ${surrogateText(models)} A flag does ` +
      'not prove masking and a pass does not prove robustness; a flag says the figure it concerns cannot be taken as it stands.',
    '',
  );
  out.push(`| check | criterion | ${models.map((m) => m.name).join(' | ')} |`, `|---|---|${models.map(() => '---').join('|')}|`);
  models[0].summary.audit.checks.forEach((c, i) => {
    const cells = models.map((m) => {
      const mc = m.summary.audit.checks[i];
      return `**${mc.verdict}**: ${mc.measured}`;
    });
    out.push(`| ${c.id}. ${c.name} | ${c.criterion} | ${cells.join(' | ')} |`);
  });
  out.push('');

  out.push('### What the measurements say', '');
  for (const m of models) out.push(`- ${verdictInWords(m, n)}`);
  out.push('');
  return out.join('\n');
}

/** Which model served as each one's surrogate in the black-box check. */
function surrogateText(models: readonly ModelSummary[]): string {
  if (models.every((m) => m.surrogate === undefined)) return 'Each model is audited with the other as the independent surrogate of the black-box check.';
  return `The surrogate of the black-box check (an independently trained model whose examples are transferred): ${models
    .map((m) => `${m.surrogate ?? 'none'} for ${m.name}`)
    .join('; ')}.`;
}

/** One model's figures in plain words, from the numbers alone. */
export function verdictInWords({ name, summary: s }: ModelSummary, n: number): string {
  const a = s.accuracy;
  const parts: string[] = [];
  parts.push(
    `**${name}**: ${formatWithError(a.clean, n)} clean, ${formatWithError(a.fgsm, n)} under FGSM, ${formatWithError(a.pgd, n)} under PGD-${s.steps}, ` +
      `${formatWithError(a.worstCase, n)} in the worst case.`,
  );
  if (exceedsBeyondNoise(a.fgsm, a.worstCase, n)) {
    parts.push(
      `Its FGSM accuracy overstates its robustness by ${(100 * (a.fgsm - a.worstCase)).toFixed(1)} points: on ${(100 * (a.fgsm - a.worstCase)).toFixed(1)}% ` +
        `of the images FGSM fails where a stronger attack at the same ε succeeds, so the FGSM figure is not a robustness figure for this model.`,
    );
  } else {
    parts.push('FGSM and the strongest attacks agree within noise.');
  }
  if (a.worstCase <= 0.15) parts.push(`Against the worst case it keeps ${(100 * a.worstCase).toFixed(1)}% of the images (chance is 10%): it is not robust at ε = ${s.eps}.`);
  const flags = s.audit.checks.filter((c) => c.verdict === 'flag');
  if (flags.length === 0) parts.push('The audit flags none of its checks (which rules out these failure modes, not every one).');
  else parts.push(`The audit flags ${flags.map((c) => `${c.id} (${c.name})`).join(', ')}: ${flags.map((c) => c.meaning).join(' ')}`);
  return parts.join(' ');
}
