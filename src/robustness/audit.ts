/**
 * The audit: the checks a sceptic runs before believing a robustness number (Carlini et al. 2019,
 * "On evaluating adversarial robustness"; Athalye et al. 2018 on obfuscated gradients; Tramèr et
 * al. 2018 and Kurakin et al. 2016 on single-step training; Croce & Hein 2020 on APGD and the
 * gradient-free Square attack). Each check has its measured numbers, its criterion and a verdict,
 * pass or flag. Two attacks run on the same images give paired outcomes, and "beyond noise" there
 * means McNemar's exact test at p < 0.05 (stats.ts); a curve's rise (2) and chance at ε = 0.5 (3)
 * use two standard errors. A flag does not prove masking, and a pass does not prove robustness: a
 * flag says the headline figure is not to be trusted as it is.
 *
 *   1 iterative beats single-step   PGD does not leave more images correct than FGSM (paired)
 *   2 monotone in ε                 accuracy does not rise with ε (FGSM and PGD curves)
 *   3 large ε reaches chance        PGD accuracy at ε = 0.5 ≤ 0.15 (at ε = 0.5 every image can be
 *                                   turned into a uniform grey, so nothing is recognisable)
 *   4 white-box beats black-box     FGSM and PGD made on a surrogate model (best: an independently
 *                                   adversarially trained one) fool no image set larger than this
 *                                   model's own white-box FGSM and PGD do (paired)
 *   5 white-box beats noise         FGSM and PGD leave no more images correct than random ±ε sign
 *                                   noise does, an image counting as fooled by noise if any of
 *                                   `noiseDraws` draws fools it (paired)
 *   6 no label leaking              FGSM with the true label is not more accurate than the clean
 *                                   inputs, nor than FGSM with the model's predicted label (paired)
 *   7 gradients do not vanish       at most 1% of images have a margin gradient whose first-order
 *                                   change over the ε-ball is below 1% of the margin (audit-checks.ts)
 *   8 valid examples                every x_adv within ε of x (and inside [0, 255] with clip), none NaN
 *   9 gradient beats gradient-free  Square (forward passes only) does not fool images APGD-CE could
 *                                   not, beyond noise (paired); skipped with squareQueries = 0
 *  10 the attack has converged      APGD-CE: the last doubling of steps and of restarts does not
 *                                   lower the accuracy beyond noise (paired; convergence.ts);
 *                                   skipped with convergence = false
 */
import type { Surrogate } from './shifted-surrogate.ts';
import { PIXEL_RANGE, type AttackOptions } from '../attacks/attack.ts';
import type { AttackSpec } from '../attacks/spec.ts';
import type { Module } from '../layers/module.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { InProcessEngine, type Engine } from '../train/engine.ts';
import { evaluateAttack, ROUNDING_TOLERANCE, type AttackEvaluation } from './attack-evaluation.ts';
import { checkEpsilons, DEFAULT_EPSILONS, robustnessCurve, type Curve, type CurvePoint } from './curve.ts';
import { gradientScale, noiseSurvivors, shareOf, transferSurvivors, VANISHING_RATIO, type GradientScale } from './audit-checks.ts';
import { convergence, CONVERGENCE_RESTARTS, CONVERGENCE_STEPS, type Convergence, type LastDoubling } from './convergence.ts';
import { exceedsBeyondNoise, mcnemar, pairedExceeds, standardError } from './stats.ts';

export type Verdict = 'pass' | 'flag' | 'skipped';

export interface AuditCheck {
  id: number;
  name: string;
  criterion: string;
  /** The numbers compared, in words. */
  measured: string;
  verdict: Verdict;
  /** What a flag means for the headline figure (empty on a pass). */
  meaning: string;
}

export interface AuditOptions extends Pick<AttackOptions, 'clip' | 'mean' | 'seed'> {
  /** The ε of the headline figure (default 0.25). */
  eps?: number;
  /** The curves' ε grid (default 0, 0.05, …, 0.5); 0 (clean), `eps` and 0.5 are always added. */
  epsilons?: readonly number[];
  /** PGD steps (default 40). */
  steps?: number;
  /** Engine of a second, independently trained model, best adversarially trained (check 4; skipped without it). */
  surrogate?: Surrogate;
  /** Random sign patterns per image for check 5 (default 20). */
  noiseDraws?: number;
  /** Square's queries for check 9 (default 25 × steps: 1,000 for 40 steps; 0 skips the check). */
  squareQueries?: number;
  /** APGD steps for checks 9 and 10 (default 2.5 × steps: 100 for 40 steps). */
  apgdSteps?: number;
  /**
   * Run check 10 (default true), with these grids (default ⌈steps/4⌉, steps, 2.5 × steps, 5 × steps:
   * 10, 40, 100, 200 for 40 steps; restarts 1, 2, 4). The budgets scale with `steps` so that a quick
   * audit (few PGD steps) stays quick.
   */
  convergence?: boolean;
  convergenceSteps?: readonly number[];
  convergenceRestarts?: readonly number[];
  /** Where to compute (default: this thread). */
  engine?: Engine;
  batchSize?: number;
  /** Called as the audit moves on: a stage name, images done, images in all. */
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface AuditResult {
  eps: number;
  count: number;
  accuracy: {
    clean: number;
    fgsm: number;
    fgsmPredictedLabel: number;
    pgd: number;
    /** Under the worst of `noiseDraws` random sign patterns per image. */
    noise: number;
    /** The surrogate's FGSM and PGD examples on this model (null without a surrogate). */
    transfer: number | null;
    // the fields below are optional so that results saved before checks 9 and 10 still read
    transferPgd?: number | null;
    apgd?: number;
    /** null when check 9 is skipped. */
    square?: number | null;
    /**
     * The worst case per image over every attack the audit ran at ε (FGSM with either label, PGD,
     * noise, transfer, APGD-CE at every budget of check 10, Square): an upper bound.
     */
    worstCase?: number;
  };
  /** Share of the inputs whose ∂L/∂x is exactly zero. */
  zeroGradientShare: number;
  gradientScale?: GradientScale;
  curves: { fgsm: Curve; pgd: Curve };
  /** APGD-CE against steps and restarts (null when check 10 is skipped). */
  convergence?: Omit<Convergence, 'steps' | 'restarts'> & { steps: ConvergenceSummary[]; restarts: ConvergenceSummary[] } | null;
  checks: AuditCheck[];
}

/** A convergence point without its per-image outcomes. */
export interface ConvergenceSummary {
  budget: number;
  accuracy: number;
  standardError: number;
}

/** An attack the audit ran on every image, and its outcome [N] (1 where the image survived). */
export interface AttackOutcome {
  spec: AttackSpec;
  correct: Uint8Array;
}

/** The audit with what it leaves per image, for the bracket to build on (summary.ts). */
export interface AuditRun {
  result: AuditResult;
  /** The APGD-CE runs of check 10 and Square of check 9, each on every image. */
  outcomes: AttackOutcome[];
  /** [N] 1 where the image survived every attack the audit ran at ε (its worstCase, per image). */
  survivors: Uint8Array;
}

/**
 * Audits the robustness of `model` on images [N, C, H, W] (mean-subtracted) with labels [N].
 */
export async function audit(model: Module, images: Tensor, labels: Int32Array, options: AuditOptions = {}): Promise<AuditResult> {
  return (await auditRun(model, images, labels, options)).result;
}

/** The audit (audit()), keeping its per-image outcomes. */
export async function auditRun(model: Module, images: Tensor, labels: Int32Array, options: AuditOptions = {}): Promise<AuditRun> {
  const eps = options.eps ?? 0.25;
  checkEpsilons('audit', [eps, ...(options.epsilons ?? DEFAULT_EPSILONS)]);
  const engine = options.engine ?? new InProcessEngine(model);
  const N = images.shape[0];
  if (N === 0) throw new RangeError('audit: no images to audit');
  const base = { clip: options.clip ?? false, mean: options.mean, seed: options.seed ?? 0 };
  const steps = options.steps ?? 40;
  const epsilons = [...new Set([0, ...(options.epsilons ?? DEFAULT_EPSILONS), eps, 0.5])].sort((a, b) => a - b);
  const progress = (stage: string) => (done: number, total: number) => options.onProgress?.(stage, done, total);
  const evaluations: Array<{ eps: number; evaluation: AttackEvaluation }> = [];
  const run = async (stage: string, spec: AttackSpec): Promise<Uint8Array> => {
    const evaluation = await evaluateAttack(engine, images, labels, spec, { batchSize: options.batchSize, onProgress: progress(stage) });
    evaluations.push({ eps: spec.eps, evaluation });
    return evaluation.correct;
  };
  const curveOutcomes = new Map<string, Uint8Array>(); // "attack ε" → [N] correct
  const curve = (attack: AttackSpec): Promise<Curve> =>
    robustnessCurve(engine, images, labels, attack, epsilons, {
      batchSize: options.batchSize,
      onProgress: (e, done, total) => options.onProgress?.(`${attack.attack} curve, ε = ${e}`, done, total),
      onEvaluation: (e, evaluation) => {
        evaluations.push({ eps: e, evaluation });
        curveOutcomes.set(`${attack.attack} ${e}`, evaluation.correct);
      },
    });

  const fgsmCurve = await curve({ attack: 'fgsm', eps, ...base });
  const pgdCurve = await curve({ attack: 'pgd', eps, ...base, steps });
  const at = (c: Curve, e: number): number => c.points.find((p) => p.eps === e)!.accuracy;
  const outcome = (attack: string, e: number): Uint8Array => curveOutcomes.get(`${attack} ${e}`)!;
  const clean = at(fgsmCurve, 0);
  const fgsm = at(fgsmCurve, eps);
  const pgd = at(pgdCurve, eps);
  const pgdHalf = at(pgdCurve, 0.5);
  const [cleanC, fgsmC, pgdC] = [outcome('fgsm', 0), outcome('fgsm', eps), outcome('pgd', eps)];
  const fgsmPredictedC = await run('FGSM, predicted labels', { attack: 'fgsm', eps, ...base, labelMode: 'predicted' });
  const noiseC = await noiseSurvivors(engine, images, labels, { eps, ...base }, options.noiseDraws ?? 20, options.batchSize, progress(`noise, ${options.noiseDraws ?? 20} draws`));
  let transferC: [Uint8Array, Uint8Array] | null = null;
  if (options.surrogate !== undefined) {
    transferC = [
      await transferSurvivors(options.surrogate, engine, images, labels, { attack: 'fgsm', eps, ...base }, options.batchSize),
      await transferSurvivors(options.surrogate, engine, images, labels, { attack: 'pgd', eps, ...base, steps }, options.batchSize),
    ];
  }
  const scale = gradientScale(model, images, labels, eps, options.batchSize);
  const apgdSteps = options.apgdSteps ?? Math.round(2.5 * steps);
  const apgdSpec = { eps, ...base, steps: apgdSteps, loss: 'ce' as const };
  const study = options.convergence === false ? null : await convergence(engine, images, labels, apgdSpec, {
    steps: options.convergenceSteps ?? scaledGrid(steps, apgdSteps), restarts: options.convergenceRestarts ?? CONVERGENCE_RESTARTS, batchSize: options.batchSize, onProgress: options.onProgress,
  });
  const outcomes: AttackOutcome[] = (study?.steps ?? []).map((p) => ({ spec: { attack: 'apgd', ...apgdSpec, steps: p.budget }, correct: p.correct }));
  const apgdC = study?.steps.find((p) => p.budget === apgdSteps)?.correct ?? (await run(`APGD-CE ${apgdSteps} steps`, { attack: 'apgd', ...apgdSpec }));
  if (study === null) outcomes.push({ spec: { attack: 'apgd', ...apgdSpec }, correct: apgdC });
  const squareQueries = options.squareQueries ?? 25 * steps;
  const squareSpec: AttackSpec = { attack: 'square', eps, ...base, queries: squareQueries, seed: base.seed + 2 };
  const squareC = squareQueries === 0 ? null : await run(`Square ${squareQueries} queries`, squareSpec);
  if (squareC !== null) outcomes.push({ spec: squareSpec, correct: squareC });

  const f = (p: number): string => `${p.toFixed(4)} ± ${standardError(p, N).toFixed(4)}`;
  const paired = (a: Uint8Array, aName: string, b: Uint8Array, bName: string): string => {
    const t = mcnemar(a, b);
    return `${t.b} images survive ${aName} but not ${bName}, ${t.c} the reverse (McNemar p = ${formatP(t.pValue)})`;
  };
  const checks: AuditCheck[] = [];
  const add = (id: number, name: string, criterion: string, measured: string, flagged: boolean | null, meaning: string): void => {
    checks.push({ id, name, criterion, measured, verdict: flagged === null ? 'skipped' : flagged ? 'flag' : 'pass', meaning: flagged ? meaning : '' });
  };
  const pairedRule = 'more images survive A than B, beyond noise (McNemar p < 0.05)';

  add(1, 'iterative beats single-step', `PGD-${steps} leaves no more images correct than FGSM at ε = ${eps} (${pairedRule}: flag)`,
    `PGD-${steps} ${f(pgd)}, FGSM ${f(fgsm)}; ${paired(pgdC, 'PGD', fgsmC, 'FGSM')}`, pairedExceeds(pgdC, fgsmC),
    'many steps in the gradient direction do worse than one: the gradient does not point where the loss rises (gradient masking), so neither figure measures robustness.');

  const rises = [fgsmCurve, pgdCurve].flatMap((c) => curveRise(c, N) ?? []);
  add(2, 'accuracy does not rise with ε', 'each curve (FGSM, PGD) falls or stays level as ε grows', rises.length === 0 ? `no rise beyond noise over ε ∈ {${epsilons.join(', ')}}` : rises.join('; '), rises.length > 0,
    'a bigger perturbation budget cannot make the model safer: the attack is failing, not the model succeeding (masking).');

  add(3, 'large ε reaches chance', `PGD-${steps} accuracy at ε = 0.5 ≤ 0.15`, `PGD-${steps} at ε = 0.5: ${f(pgdHalf)}`, pgdHalf - 0.15 > 2 * standardError(pgdHalf, N),
    'at ε = 0.5 any digit can be turned into a uniform grey, so accuracy above chance means the attack cannot find examples that exist: robustness figures at smaller ε are upper bounds at best.');

  add(4, 'white-box beats black-box', 'FGSM and PGD made on a surrogate fool no more images than the same attacks white-box (paired)',
    transferC === null ? 'no surrogate model given (give an independently adversarially trained one: the strongest transfer source)'
      : `transfer FGSM ${f(shareOf(transferC[0]))}, white-box FGSM ${f(fgsm)}; transfer PGD ${f(shareOf(transferC[1]))}, white-box PGD ${f(pgd)}; ${paired(pgdC, 'white-box PGD', transferC[1], 'transfer PGD')}`,
    transferC === null ? null : pairedExceeds(fgsmC, transferC[0]) || pairedExceeds(pgdC, transferC[1]),
    "examples made on another model fool this one more often than its own gradient does: the model's gradient is useless to an attacker (masking), not the model robust.");

  const noise = shareOf(noiseC);
  add(5, 'white-box beats random noise', `FGSM and PGD-${steps} leave no more images correct than random ±ε noise, worst of ${options.noiseDraws ?? 20} draws per image (paired)`,
    `noise ${f(noise)}, FGSM ${f(fgsm)}, PGD-${steps} ${f(pgd)}; ${paired(pgdC, 'PGD', noiseC, 'noise')}`,
    pairedExceeds(fgsmC, noiseC) || pairedExceeds(pgdC, noiseC),
    'a gradient attack does worse than random noise of the same size: the gradient carries no information about the loss (masking).');

  const fgsmPredicted = shareOf(fgsmPredictedC);
  add(6, 'no label leaking', 'FGSM (true label) leaves no more images correct than the clean inputs, nor than FGSM with the predicted label (paired)', `FGSM true label ${f(fgsm)}, predicted label ${f(fgsmPredicted)}, clean ${f(clean)}`,
    pairedExceeds(fgsmC, cleanC) || pairedExceeds(fgsmC, fgsmPredictedC),
    'the perturbation made from the true label tells the model the answer (label leaking, Kurakin et al. 2016): FGSM accuracy overstates robustness.');

  add(7, 'gradients do not vanish', `at most 1% of images have r·‖∇ₓm‖₁ < ${VANISHING_RATIO}·max(|m|, 1) (m the logit margin, r = 255·ε)`,
    `${(scale.vanishingShare * 100).toFixed(2)}% of ${N} images vanishing (${(scale.zeroShare * 100).toFixed(2)}% exactly zero); median r·‖∇ₓm‖₁ / max(|m|, 1) = ${scale.medianRatio.toPrecision(3)}`,
    scale.vanishingShare > 0.01,
    'where the gradient vanishes a gradient attack cannot move, whatever the model would do under a real perturbation (a flat, quantised or saturated input path): trust only gradient-free attacks (check 9) on such a model.');

  const excess = Math.max(...evaluations.map(({ eps: e, evaluation }) => evaluation.maxPerturbation - e * PIXEL_RANGE));
  const nonFinite = evaluations.reduce((a, { evaluation }) => a + evaluation.nonFinite, 0);
  const outOfRange = evaluations.reduce((a, { evaluation }) => a + evaluation.outOfRange, 0);
  add(8, 'valid examples', `every ‖x_adv − x‖∞ ≤ 255·ε (+${ROUNDING_TOLERANCE} for rounding)${base.clip ? ', x_adv inside [0, 255]' : ''}, no NaN`,
    `${evaluations.length} attack runs: largest ‖x_adv − x‖∞ − 255·ε = ${excess.toExponential(2)} grey levels, ${nonFinite} non-finite values${base.clip ? `, ${outOfRange} values outside [0, 255]` : ''}`,
    excess > ROUNDING_TOLERANCE || nonFinite > 0 || outOfRange > 0,
    'the attack left its threat model or produced NaN: its accuracies are not measurements of robustness at this ε.');

  add(9, 'gradient beats gradient-free', `Square (${squareQueries} queries, forward passes only) fools no more images than APGD-CE (${apgdSteps} steps) (paired)`,
    squareC === null ? 'skipped (squareQueries = 0)' : `APGD-CE ${f(shareOf(apgdC))}, Square ${f(shareOf(squareC))}; ${paired(apgdC, 'APGD-CE', squareC, 'Square')}`,
    squareC === null ? null : pairedExceeds(apgdC, squareC),
    'a random search that never sees the gradient fools images the gradient attack could not: the gradient is hiding the way to the adversarial examples (masking); quote the worst case over both.');

  const stillFalling = (d: LastDoubling | null, what: string): string => (d === null ? '' : `${what} ${d.from} → ${d.to}: ${d.b} more fooled, ${d.c} fewer (p = ${formatP(d.pValue)})`);
  add(10, 'the attack has converged', 'APGD-CE: doubling the steps or the restarts last time lowers the accuracy by no more than noise (paired)',
    study === null ? 'skipped (convergence off)' : [`steps ${study.steps.map((p) => `${p.budget}: ${p.accuracy.toFixed(4)}`).join(', ')}`, `restarts ${study.restarts.map((p) => `${p.budget}: ${p.accuracy.toFixed(4)}`).join(', ')}`, stillFalling(study.lastSteps, 'steps'), stillFalling(study.lastRestarts, 'restarts')].filter((t) => t !== '').join('; '),
    study === null ? null : Boolean(study.lastSteps?.stillFalling || study.lastRestarts?.stillFalling),
    'the attack was still finding adversarial examples at its largest budget: the accuracy is a loose upper bound; spend more steps or restarts (or quote a bigger budget) until it stops falling.');

  const atEps = [fgsmC, pgdC, fgsmPredictedC, noiseC, ...(transferC ?? []), apgdC, ...(squareC ? [squareC] : []), ...(study ? [...study.steps, ...study.restarts].map((p) => p.correct) : [])];
  const worst = atEps.reduce((a, c) => a.map((v, n) => v & c[n]), cleanC.slice()); // [N] 1 where every attack failed
  const summarise = (points: Convergence['steps']): ConvergenceSummary[] => points.map(({ budget, accuracy, standardError: se }) => ({ budget, accuracy, standardError: se }));
  const result: AuditResult = {
    eps, count: N,
    accuracy: {
      clean, fgsm, fgsmPredictedLabel: fgsmPredicted, pgd, noise,
      transfer: transferC === null ? null : shareOf(transferC[0]), transferPgd: transferC === null ? null : shareOf(transferC[1]),
      apgd: shareOf(apgdC), square: squareC === null ? null : shareOf(squareC), worstCase: shareOf(worst),
    },
    zeroGradientShare: scale.zeroShare,
    gradientScale: scale,
    curves: { fgsm: fgsmCurve, pgd: pgdCurve },
    convergence: study === null ? null : { ...study, steps: summarise(study.steps), restarts: summarise(study.restarts) },
    checks,
  };
  return { result, outcomes, survivors: worst };
}

/** The default step grid of check 10: CONVERGENCE_STEPS (10, 40, 100, 200) scaled by steps/40, with apgdSteps in it. */
function scaledGrid(steps: number, apgdSteps: number): number[] {
  const grid = CONVERGENCE_STEPS.map((s) => Math.max(1, Math.round((s * steps) / 40)));
  return [...new Set([...grid, apgdSteps])].sort((a, b) => a - b);
}

/** "0.0215", "< 0.0001". */
function formatP(p: number): string {
  return p < 1e-4 ? '< 0.0001' : p.toFixed(4);
}

/**
 * Check 2's test: the largest rise beyond noise of a curve, or null. Every later point is compared
 * with the lowest earlier one, not only with its neighbour: a curve that creeps up by less than
 * the noise per step (as the 30-epoch FGSM-trained LeNet's FGSM curve does, docs/results/seed)
 * still rises beyond noise over the range.
 */
export function curveRise(c: Curve, n: number): string | null {
  let low = c.points[0];
  let worst: { from: CurvePoint; to: CurvePoint } | null = null;
  for (const p of c.points.slice(1)) {
    const rise = p.accuracy - low.accuracy;
    if (exceedsBeyondNoise(p.accuracy, low.accuracy, n) && (worst === null || rise > worst.to.accuracy - worst.from.accuracy)) worst = { from: low, to: p };
    if (p.accuracy < low.accuracy) low = p;
  }
  if (worst === null) return null;
  return `${c.attack.toUpperCase()} rises from ${worst.from.accuracy.toFixed(4)} at ε = ${worst.from.eps} to ${worst.to.accuracy.toFixed(4)} at ε = ${worst.to.eps}`;
}

/** The share of inputs whose cross-entropy gradient ∂L/∂x is zero in every pixel. */
export function zeroGradientShare(model: Module, images: Tensor, labels: Int32Array, batchSize = 500): number {
  return gradientScale(model, images, labels, 0, batchSize).zeroShare;
}
