/**
 * The bracket of a model's robust accuracy at ε, what every robustness table reports:
 *
 *   certified (CROWN, a lower bound)  ≤  true robust accuracy  ≤  worst case over every attack (an upper bound)
 *
 * Lower: the share of images whose every logit margin z_y − z_j has a positive lower bound over
 * the whole ε-box (certify/certify.ts): no attack at that ε can fool them. Upper: an image counts
 * as robust only if it survived every attack run on it, so one success anywhere removes it. Here
 * the attacks are an earlier suite (the PGD suite of worst-case.ts, whose survivors are given)
 * followed by the standard evaluation (standard-evaluation.ts) on what remains, AutoAttack's way,
 * and, given the audit's run, every attack the audit made at ε as well (APGD-CE at every step
 * count and restart of its convergence study, FGSM with either label, noise, transfer): an image
 * any of them fooled is not robust, whichever chain the attack belonged to. The audit's APGD-CE
 * and Square are the same runs as the evaluation's, so their outcomes are reused, not recomputed.
 *
 * Every image is certified, fooled or not: an image certified yet fooled by an attack would mean a
 * wrong bound or a wrong attack, and is counted (`contradictions`, 0 on every sound run), so the
 * bracket checks itself on every run rather than holding by construction.
 *
 * The experiment's budget scales with its PGD steps k (standard-evaluation.ts's own default is
 * for `advgrad evaluate`, which runs alone with a budget of its own):
 *   APGD-CE  2.5·k steps (100 for PGD-40), one run
 *   APGD-T   2.5·k steps, the top 3 target classes (the classes the clean logits rank highest after
 *            the true one, the likeliest to be reached; all 9 would triple APGD-T's cost)
 *   Square   25·k queries (1,000 for PGD-40), as the audit's check 9
 * each only on the images every earlier attack failed on, so a model the PGD suite already breaks
 * costs almost nothing, and a robust one pays for its survivors only.
 */
import type { AttackOptions } from '../attacks/attack.ts';
import { certifyBatch } from '../certify/certify.ts';
import { boundNetwork } from '../certify/network.ts';
import type { Module } from '../layers/module.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { Engine } from '../train/engine.ts';
import { standardEvaluation, type StandardEvaluation } from './standard-evaluation.ts';
import { standardError } from './stats.ts';
import type { AuditRun } from './audit.ts';
import type { WorstCaseStep } from './worst-case.ts';

/** The standard evaluation's budget inside the experiment. */
export interface BracketBudget {
  /** APGD steps per run (CE and each target). */
  steps: number;
  /** APGD-T's target classes. */
  targets: number;
  /** Square's queries per image. */
  queries: number;
}

/** The experiment's budget for PGD-k (see the header): 2.5·k APGD steps, 3 targets, 25·k queries. */
export function bracketBudget(pgdSteps: number): BracketBudget {
  if (!Number.isInteger(pgdSteps) || pgdSteps < 1) throw new RangeError(`bracketBudget: PGD steps must be an integer ≥ 1, got ${String(pgdSteps)}`);
  return { steps: Math.max(1, Math.round(2.5 * pgdSteps)), targets: 3, queries: 25 * pgdSteps };
}

/** The certificate half of the bracket. */
export interface Certified {
  method: 'crown';
  accuracy: number;
  standardError: number;
  /** Images certified. */
  certified: number;
  count: number;
  seconds: number;
}

/** Both bounds of one model at ε, as results.json stores them (no per-image arrays). */
export interface Bracket {
  eps: number;
  count: number;
  certified: Certified;
  /** The standard evaluation run after the earlier suite: its attacks, accuracy after each, Square's own catches, seconds per attack. */
  evaluation: Pick<StandardEvaluation, 'suite' | 'steps' | 'squareOnly' | 'seconds'> & Partial<Pick<StandardEvaluation, 'reused'>>;
  /** The audit's attacks after the evaluation: the accuracy left and the images only they fooled (absent in runs saved before). */
  audit?: WorstCaseStep;
  /** The worst case over every attack, the earlier suite's, the evaluation's and the audit's: the upper bound. */
  upper: number;
  upperStandardError: number;
  /** Images certified that some attack fooled: 0 unless a bound or an attack is wrong. */
  contradictions: number;
}

export interface BracketOptions extends Pick<AttackOptions, 'clip' | 'mean' | 'seed'> {
  eps: number;
  budget: BracketBudget;
  /** The audit's run on the same images through the same engine: its outcomes are reused and its survivors bound the upper figure too. */
  audit?: Pick<AuditRun, 'outcomes' | 'survivors'>;
  /** Images per CROWN call (memory grows with it; default 50). */
  certifyBatch?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/**
 * CROWN certificates of images [N, C, H, W] (mean-subtracted) with labels [N] at ε: [N] 1 where certified.
 * @param onProgress called after every batch with the images done
 */
export function certifyImages(model: Module, images: Tensor, labels: Int32Array, options: Pick<BracketOptions, 'eps' | 'clip' | 'mean' | 'certifyBatch'> & { onProgress?: (done: number, total: number) => void }): Uint8Array {
  const N = images.shape[0];
  const net = boundNetwork(model, images.shape.slice(1));
  const batch = options.certifyBatch ?? 50;
  const S = N === 0 ? 0 : images.size / N;
  const certified = new Uint8Array(N); // [N]
  for (let start = 0; start < N; start += batch) {
    const end = Math.min(N, start + batch);
    const x = new Tensor(images.data.subarray(start * S, end * S), [end - start, ...images.shape.slice(1)]); // [b, C, H, W]
    const result = certifyBatch(net, x, labels.subarray(start, end), { method: 'crown', eps: options.eps, clip: options.clip, mean: options.mean });
    result.certified.forEach((c, i) => (certified[start + i] = c ? 1 : 0));
    options.onProgress?.(end, N);
  }
  return certified;
}

/** Certified accuracy with its standard error, from per-image certificates [N]. */
export function certifiedFigure(certified: Uint8Array, seconds: number): Certified {
  const count = certified.length;
  const k = certified.reduce((a, b) => a + b, 0);
  const accuracy = count === 0 ? NaN : k / count;
  return { method: 'crown', accuracy, standardError: standardError(accuracy, count), certified: k, count, seconds };
}

/** The CROWN certificates of the images (certifyImages) and their figure, timed over the whole set. */
export function certifiedTimed(model: Module, images: Tensor, labels: Int32Array, options: Parameters<typeof certifyImages>[3]): { perImage: Uint8Array; figure: Certified } {
  const started = performance.now();
  const perImage = certifyImages(model, images, labels, options);
  return { perImage, figure: certifiedFigure(perImage, (performance.now() - started) / 1000) };
}

/** Images certified (1 in `certified`) yet fooled (0 in `survived`). */
export function countContradictions(certified: Uint8Array, survived: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < certified.length; i++) if (certified[i] && !survived[i]) n++;
  return n;
}

/**
 * The bracket of the model behind `engine` (and `model`, which CROWN reads) on images [N, C, H, W]
 * with labels [N], continuing a suite whose survivors [N] are given.
 */
export async function robustnessBracket(model: Module, engine: Engine, images: Tensor, labels: Int32Array, survivors: Uint8Array, options: BracketOptions): Promise<Bracket> {
  const { eps, clip, mean, seed = 0, budget } = options;
  const evaluation = await standardEvaluation(engine, images, labels, {
    eps, clip, mean, seed, steps: budget.steps, targets: budget.targets, queries: budget.queries, only: survivors, known: options.audit?.outcomes,
    onProgress: (attack, done, total) => options.onProgress?.(attack, done, total),
  });
  const N = images.shape[0];
  const upper = options.audit === undefined ? evaluation.correct : evaluation.correct.map((c, n) => c & options.audit!.survivors[n]); // [N]
  const left = upper.reduce((a, b) => a + b, 0);
  const auditStep: WorstCaseStep | undefined = options.audit && {
    attack: "the audit's attacks at ε (APGD-CE at every step count and restart, FGSM with either label, noise, transfer)",
    accuracy: left / N, standardError: standardError(left / N, N), fooled: evaluation.correct.reduce((a, b) => a + b, 0) - left,
  };
  const started = performance.now();
  const certified = certifyImages(model, images, labels, { eps, clip, mean, certifyBatch: options.certifyBatch, onProgress: (done, total) => options.onProgress?.('CROWN certificates', done, total) });
  const seconds = (performance.now() - started) / 1000;
  return {
    eps, count: N,
    certified: certifiedFigure(certified, seconds),
    evaluation: { suite: evaluation.suite, steps: evaluation.steps, squareOnly: evaluation.squareOnly, seconds: evaluation.seconds, reused: evaluation.reused },
    ...(auditStep ? { audit: auditStep } : {}),
    upper: left / N,
    upperStandardError: standardError(left / N, N),
    contradictions: countContradictions(certified, upper),
  };
}
