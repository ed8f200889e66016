/**
 * The standard evaluation of the field, AutoAttack's way (Croce & Hein 2020): APGD-CE, then
 * APGD-T (targeted DLR at each of the top other classes), then the gradient-free Square attack,
 * each only on the images every earlier attack failed to fool; an image counts as robust only if
 * it survives all three (as worst-case.ts does for any suite). FAB-T, AutoAttack's fourth attack, is left out (it adds
 * almost nothing to the L∞ figures of the RobustBench models it was run on).
 *
 * Every attacked accuracy is an UPPER BOUND on the true robust accuracy: an attack that fails
 * shows that it failed, not that no perturbation exists. The worst case (the accuracy after the
 * last attack) is the tightest bound the evaluation gives, and the figure to quote.
 *
 * Budget (the cost is the gradient steps and the forward passes on the surviving images):
 *   default   APGD-CE 100 steps, 1 run; APGD-T 100 steps, 9 targets; Square 2,500 queries
 *   full      APGD-CE 100 steps, 5 restarts; APGD-T as default; Square 5,000 queries (AutoAttack's)
 * `steps` and `queries` override the APGD steps and Square's queries (fewer: faster, weaker).
 */
import type { AttackOptions } from '../attacks/attack.ts';
import { describeAttack, sameAttack, type AttackSpec } from '../attacks/spec.ts';
import type { AttackOutcome } from './audit.ts';
import { SQUARE_QUERIES } from '../attacks/square.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Engine } from '../train/engine.ts';
import { standardError } from './stats.ts';
import { evaluateAttack } from './attack-evaluation.ts';
import type { WorstCase, WorstCaseStep } from './worst-case.ts';

/** Square's queries in the default (not full) evaluation: about half of the time budget. */
export const DEFAULT_EVALUATION_QUERIES = 2500;

export interface StandardEvaluationOptions extends Pick<AttackOptions, 'clip' | 'mean' | 'seed'> {
  /** ε as a fraction of the pixel range (default 0.25). */
  eps?: number;
  /** More restarts for APGD-CE and AutoAttack's full 5,000 Square queries. */
  full?: boolean;
  /** APGD steps per run (default 100). */
  steps?: number;
  /** Square's query budget per image (default 2,500; 5,000 with full). */
  queries?: number;
  /** APGD-T's target classes (default 9, all others on ten classes). */
  targets?: number;
  batchSize?: number;
  /**
   * [N] 1 for the images still to attack (default: every image classified correctly). Given the
   * survivors of an earlier suite, the evaluation continues that suite's worst case (an image
   * outside `only` counts as fooled already, as it would after AutoAttack's earlier attacks).
   */
  only?: Uint8Array;
  /**
   * Outcomes [N] of attacks already run on every one of these images through this engine (the
   * audit's APGD-CE and Square, in the experiment): an attack of the suite that is the same run
   * (sameAttack) takes its outcome instead of running again. The result is what running it would
   * give, bit for bit, since each image's example depends only on the spec and its own index.
   */
  known?: readonly AttackOutcome[];
  /** Called after every batch: the attack running, images done, images it runs on. */
  onProgress?: (attack: string, done: number, total: number) => void;
}

/** The three attacks, in order, for these options. */
export function standardSuite(options: StandardEvaluationOptions = {}): AttackSpec[] {
  const { eps = 0.25, clip = false, mean, seed = 0, full = false, steps = 100, targets = 9 } = options;
  const queries = options.queries ?? (full ? SQUARE_QUERIES : DEFAULT_EVALUATION_QUERIES);
  const base = { eps, clip, mean };
  return [
    { attack: 'apgd', ...base, steps, loss: 'ce', restarts: full ? 5 : 1, seed },
    { attack: 'apgd', ...base, steps, targets, seed: seed + 1 },
    { attack: 'square', ...base, queries, seed: seed + 2 },
  ];
}

export interface StandardEvaluation extends WorstCase {
  eps: number;
  /** The suite run, in order (without the mean image). */
  suite: Array<Omit<AttackSpec, 'mean'>>;
  cleanStandardError: number;
  /** Images the gradient-free Square fooled after both gradient attacks had failed on them. */
  squareOnly: number;
  /** Seconds each attack took. */
  seconds: number[];
  /** Per attack: true where its outcome was taken from `known` rather than run (its seconds then ≈ 0). */
  reused: boolean[];
  /** Every attacked accuracy here bounds the true robust accuracy from above. */
  bound: 'upper';
}

/**
 * Runs the standard evaluation of the model behind `engine` on images [N, C, H, W]
 * (mean-subtracted) with labels [N].
 */
export async function standardEvaluation(engine: Engine, images: Tensor, labels: Int32Array, options: StandardEvaluationOptions = {}): Promise<StandardEvaluation> {
  const suite = standardSuite(options);
  const N = images.shape[0];
  const batchSize = options.batchSize ?? 250;
  const clean = await evaluateAttack(engine, images, labels, { attack: 'noise', eps: 0 }, { batchSize, onProgress: (d, t) => options.onProgress?.('clean', d, t) });
  if (options.only !== undefined && options.only.length !== N) throw new RangeError(`standardEvaluation: only must hold one flag per image (${N}), got ${options.only.length}`);
  const correct = clean.correct.map((c, n) => (options.only === undefined ? c : c & options.only[n])); // [N] 1 while every attack so far failed
  const count = (): number => correct.reduce((a, b) => a + b, 0);
  const steps: WorstCaseStep[] = [];
  const seconds: number[] = [];
  const reused: boolean[] = [];
  for (const spec of suite) {
    const name = describeAttack(spec);
    const before = count();
    const started = performance.now();
    const known = options.known?.find((o) => sameAttack(o.spec, spec));
    if (known !== undefined && known.correct.length !== N) throw new RangeError(`standardEvaluation: the known outcome of ${name} holds ${known.correct.length} flags, not one per image (${N})`);
    if (before > 0) {
      const outcome = known?.correct ?? (await evaluateAttack(engine, images, labels, spec, { batchSize, only: correct.slice(), onProgress: (d, t) => options.onProgress?.(name, d, t) })).correct;
      for (let n = 0; n < N; n++) correct[n] &= outcome[n];
    }
    seconds.push((performance.now() - started) / 1000);
    reused.push(known !== undefined);
    const accuracy = count() / N;
    steps.push({ attack: name, accuracy, standardError: standardError(accuracy, N), fooled: before - count() });
  }
  const accuracy = count() / N;
  return {
    eps: options.eps ?? 0.25,
    count: N,
    clean: clean.metrics.accuracy,
    cleanStandardError: standardError(clean.metrics.accuracy, N),
    steps,
    accuracy,
    standardError: standardError(accuracy, N),
    correct,
    suite: suite.map(({ mean: _mean, ...rest }) => rest),
    squareOnly: steps[2].fooled,
    seconds,
    reused,
    bound: 'upper',
  };
}
