/**
 * The "How robust, really?" section of the reproduction report, and its chart: for each model the
 * bracket of its robust accuracy, certified (CROWN, a lower bound) ≤ true ≤ the worst case over
 * every attack (an upper bound, the headline), then the single attacks below it (FGSM, PGD
 * unclipped as the paper and clipped), each with its standard error; the accuracy after each
 * attack of the chain; the robustness curves; the audit's verdicts; and, in words made from those
 * numbers, what they mean for the headline FGSM figure, whatever they show. A run saved before the
 * bracket has no certificate ("—") and its headline is the PGD suite's worst case, labelled so.
 */
import type { RobustnessSummary } from '../robustness/summary.ts';
import { exceedsBeyondNoise, formatWithError } from '../robustness/stats.ts';
import type { WorstCaseStep } from '../robustness/worst-case.ts';
import { lineChartSvg, type ChartSeries } from './svg-chart.ts';

/** What a cell shows for a figure the run did not measure (a file saved before the bracket). */
export const ABSENT = '—';

/** The label of the lower bound. */
export const CERTIFIED_LABEL = 'certified by CROWN (lower bound)';

/**
 * The headline robust figure of a model, never a single attack: the worst case over every attack
 * run (the PGD suite, the standard evaluation after it and the audit's attacks), or, in a run saved before the
 * bracket, the worst case over the PGD suite alone; with the label saying which.
 */
export function headline(s: RobustnessSummary): { value: number; label: string } {
  if (s.accuracy.upperBound !== undefined) {
    const attacks = s.bracket?.audit === undefined ? 'APGD-CE, APGD-T and Square' : "APGD-CE, APGD-T, Square and the audit's attacks";
    return { value: s.accuracy.upperBound, label: `worst case of the PGD-${s.steps} suite, ${attacks} (upper bound)` };
  }
  return { value: s.accuracy.worstCase, label: `worst case of the PGD-${s.steps} suite (upper bound; no standard evaluation in this run)` };
}

/** The certified accuracy, or undefined in a run saved before the bracket. */
export function certifiedOf(s: RobustnessSummary): number | undefined {
  return s.accuracy.certified;
}

/** An accuracy ± its standard error, or "—" when not measured. */
export function cellWithError(p: number | undefined, n: number): string {
  return p === undefined ? ABSENT : formatWithError(p, n);
}

/** Every attack of the chain in order: the PGD suite's, then the standard evaluation's on its survivors, then the audit's. */
export function chainOf(s: RobustnessSummary): WorstCaseStep[] {
  return [...s.worstCase.steps, ...(s.bracket?.evaluation.steps ?? []), ...(s.bracket?.audit ? [s.bracket.audit] : [])];
}

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

/**
 * The bracket table, one column per model: clean; certified (lower bound); the headline worst case
 * (upper bound, bold); then the single attacks, each alone. Every figure ± its standard error, "—"
 * where the run did not measure it. Lines of Markdown, ending with a blank one.
 */
export function bracketTable(models: readonly ModelSummary[], n: number, corner = ''): string[] {
  const steps = models[0].summary.steps;
  const out: string[] = [];
  const header = [corner, ...models.map((m) => m.name)];
  const rows: Array<[string, (s: RobustnessSummary) => number | undefined | null]> = [
    ['clean', (s) => s.accuracy.clean],
    [CERTIFIED_LABEL, certifiedOf],
    [`**${headline(models[0].summary).label}**`, (s) => headline(s).value],
    ['single attacks, each alone (upper bounds):', () => null], // a heading row
    ['FGSM', (s) => s.accuracy.fgsm],
    [`PGD-${steps}, unclipped (as the paper)`, (s) => s.accuracy.pgd],
    [`PGD-${steps}, clipped to [0, 255]`, (s) => s.accuracy.pgdClipped],
  ];
  out.push(`| ${header.join(' | ')} |`, `|---|${models.map(() => '---:').join('|')}|`);
  for (const [label, get] of rows) {
    const cells = models.map((m) => {
      const p = get(m.summary);
      if (p === null) return '';
      const text = cellWithError(p, n);
      return label.startsWith('**') ? `**${text}**` : text;
    });
    out.push(`| ${label} | ${cells.join(' | ')} |`);
  }
  out.push('');
  return out;
}

/** The section as Markdown. @param chartFile the chart's file name beside report.md */
export function renderRobustnessSection(models: readonly ModelSummary[], chartFile: string): string {
  if (models.length === 0) return '';
  const { eps, count, steps } = models[0].summary;
  const n = count;
  const out: string[] = ['## How robust, really?', ''];
  out.push(
    `FGSM accuracy alone is not evidence of robustness: a model trained on FGSM examples can learn to make FGSM's single linear step useless ` +
      `(gradient masking) while staying weak against an iterative attack at the same ε. And no attack proves robustness: an attack that fails ` +
      `shows only that it failed, so every attacked accuracy is an **upper bound** on the true robust accuracy, and the tightest one, the worst ` +
      `case per image over every attack, is the headline. A certificate gives the **lower bound**: an image whose every logit margin provably ` +
      `stays positive over the whole ε-box (CROWN, linear relaxations of the network) cannot be fooled by any attack. The true robust accuracy ` +
      `lies in the bracket certified ≤ true ≤ worst case.`,
    '',
    `The attacks: FGSM; PGD-${steps} (${steps} projected sign steps of 2.5·ε/${steps}, random start), with and without clipping to the valid ` +
      `pixels; and a chain in which each attack runs only on the images every earlier one failed to fool: the PGD suite (FGSM, PGD-${steps} on ` +
      `the cross-entropy, PGD-${steps} on the logit margin, the margin again from 4 random starts), then, where the run has it, the standard ` +
      `evaluation of the field (Croce & Hein 2020): APGD-CE, APGD-T and the gradient-free Square attack. These figures are over the first ` +
      `${n.toLocaleString('en-US')} test images at ε = ${eps}, each with its standard error √(p(1−p)/n).`,
    '',
  );
  out.push(...bracketTable(models, n));
  out.push(...bracketNotes(models, n));

  out.push(
    'Accuracy after each attack of the chain (each on the images that survived every one before it; the last row is the upper bound above' +
      `${models.some((m) => m.summary.bracket) ? ', the standard evaluation running on the PGD suite\'s survivors' : ''}):`,
    '',
  );
  out.push(`| attack | ${models.map((m) => m.name).join(' | ')} |`, `|---|${models.map(() => '---:').join('|')}|`);
  const longest = models.reduce((a, m) => (chainOf(m.summary).length > chainOf(a.summary).length ? m : a), models[0]);
  chainOf(longest.summary).forEach((step, i) => {
    const cells = models.map((m) => {
      const own = chainOf(m.summary)[i];
      return own === undefined ? ABSENT : `${formatWithError(own.accuracy, n)} (${own.fooled} fooled here)`;
    });
    out.push(`| after ${step.attack} | ${cells.join(' | ')} |`);
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
    `${countInWords(models[0].summary.audit.checks.length)} checks that expose gradient masking or an attack that has not converged (after Carlini et al. 2019, "On evaluating ` +
      'adversarial robustness", and Croce & Hein 2020). "Beyond noise" means, for two attacks on the same images, McNemar\'s exact test on the paired outcomes ' +
      `at p < 0.05, and for a curve's rise or a figure against a fixed level, more than two standard errors. ${surrogateText(models)} A flag does ` +
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

/** How the bracket was measured, and what it found beyond the table: budgets, contradictions, Square's own catches. */
function bracketNotes(models: readonly ModelSummary[], n: number): string[] {
  const b = models.find((m) => m.summary.bracket)?.summary.bracket;
  if (b === undefined) return [`This run was saved before the bracket: no certificate (${ABSENT}) and no standard evaluation; its upper bound is the PGD suite's worst case.`, ''];
  const [ce, t, sq] = b.evaluation.suite as Array<{ steps?: number; targets?: number; queries?: number; clip?: boolean }>;
  const out = [
    `The standard evaluation here runs at the experiment's budget, on the PGD suite's survivors only: APGD-CE ${ce.steps} steps, APGD-T ${t.steps} steps ` +
      `towards the top ${t.targets} other classes, Square ${sq.queries} queries (\`advgrad evaluate\` runs the full one)` +
      `${b.audit ? "; APGD-CE and Square are the audit's own runs of them (checks 9 and 10), reused, and the upper bound counts every attack the audit made at ε too" : ''}. The certificate is CROWN at the same ε` +
      `${ce.clip ? ', on the box clipped to the valid pixels' : ''}, on every image.`,
    '',
  ];
  for (const m of models) {
    const own = m.summary.bracket;
    if (own === undefined) continue;
    const lowered = m.summary.accuracy.worstCase - own.upper;
    const facts = [
      `the standard evaluation${own.audit ? " and the audit's attacks" : ''} lowered the worst case by ${(100 * lowered).toFixed(1)} points (${own.evaluation.steps.reduce((a, st) => a + st.fooled, 0)} images` +
        `${own.audit ? `, then ${own.audit.fooled} more by the audit's` : ''})`,
      own.evaluation.squareOnly > 0 ? `Square fooled ${own.evaluation.squareOnly} image${own.evaluation.squareOnly === 1 ? '' : 's'} that every gradient attack had failed on (a sign of gradient masking)` : 'Square fooled no image the gradient attacks had failed on',
      own.contradictions === 0 ? 'no certified image was fooled' : `**${own.contradictions} certified image${own.contradictions === 1 ? ' was' : 's were'} fooled: a bound or an attack is wrong**`,
    ];
    out.push(`- ${m.name}: ${facts.join('; ')}; certified ${own.certified.certified} of ${n} images in ${own.certified.seconds.toFixed(1)} s.`);
  }
  out.push('');
  return out;
}

/** One model's figures in plain words, from the numbers alone. */
export function verdictInWords({ name, summary: s }: ModelSummary, n: number): string {
  const a = s.accuracy;
  const top = headline(s);
  const worst = top.value;
  const parts: string[] = [];
  const certified = certifiedOf(s);
  parts.push(
    `**${name}**: ${formatWithError(a.clean, n)} clean; robust accuracy between ${certified === undefined ? `${ABSENT} (not certified in this run)` : `${formatWithError(certified, n)} certified`} ` +
      `and ${formatWithError(worst, n)}, the ${top.label}. Single attacks: ${formatWithError(a.fgsm, n)} under FGSM, ${formatWithError(a.pgd, n)} under PGD-${s.steps}.`,
  );
  if (exceedsBeyondNoise(a.fgsm, worst, n)) {
    parts.push(
      `Its FGSM accuracy overstates its robustness by ${(100 * (a.fgsm - worst)).toFixed(1)} points: on ${(100 * (a.fgsm - worst)).toFixed(1)}% ` +
        `of the images FGSM fails where a stronger attack at the same ε succeeds, so the FGSM figure is not a robustness figure for this model.`,
    );
  } else {
    parts.push('FGSM and the strongest attacks agree within noise.');
  }
  if (worst <= 0.15) parts.push(`Against the worst case it keeps ${(100 * worst).toFixed(1)}% of the images (chance is 10%): it is not robust at ε = ${s.eps}.`);
  const flags = s.audit.checks.filter((c) => c.verdict === 'flag');
  if (flags.length === 0) parts.push('The audit flags none of its checks (which rules out these failure modes, not every one).');
  else parts.push(`The audit flags ${flags.map((c) => `${c.id} (${c.name})`).join(', ')}: ${flags.map((c) => c.meaning).join(' ')}`);
  return parts.join(' ');
}

/** "Ten", or the digits above ten: a count that opens a sentence. */
function countInWords(n: number): string {
  return ['No', 'One', 'Two', 'Three', 'Four', 'Five', 'Six', 'Seven', 'Eight', 'Nine', 'Ten'][n] ?? String(n);
}
