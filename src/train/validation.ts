/**
 * Robust validation during training: after every epoch, clean accuracy and accuracy under an
 * attack (PGD-10 by default) on a fixed validation subset carved from the training set, never
 * from the test set, so that choosing the best epoch does not peek at the figures it reports.
 * The subset is the last `count` training images (data/dataset.ts splitValidation), removed from
 * training. The attack's seed is fixed, so every epoch is measured with the same random starts.
 */
import { PIXEL_RANGE } from '../attacks/attack.ts';
import type { AttackSpec } from '../attacks/spec.ts';
import type { Dataset } from '../data/dataset.ts';
import { argmaxRows } from '../tensor/reduce.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { sliceBatch, type Engine } from './engine.ts';

/** Steps of the validation PGD when none are given. */
export const VALIDATION_PGD_STEPS = 10;

export interface Validation {
  /** Images [V, 1, 28, 28] (mean-subtracted) and labels [V], disjoint from the training images. */
  data: Dataset;
  /** The attack robust accuracy is measured under (validationAttack builds the default). */
  attack: AttackSpec;
  /** Stop when robust accuracy falls below (1 − this) × its best (default 0.5, guards.ts). */
  collapseRatio?: number;
}

export interface ValidationFigures {
  clean: number;
  robust: number;
  count: number;
}

/**
 * PGD-k (default 10 steps, α = 2.5·ε/k, random start) at the full ε of training, on the
 * cross-entropy (default) or the logit margin: the figure that picks the best epoch and detects a
 * collapse. The robust preset asks for the test's own steps on the margin (experiment/robust-phase.ts).
 */
export function validationAttack(eps: number, options: { clip?: boolean; mean?: Tensor; seed?: number; steps?: number; loss?: 'ce' | 'margin' } = {}): AttackSpec {
  const steps = options.steps ?? VALIDATION_PGD_STEPS;
  return { attack: 'pgd', eps, clip: options.clip, mean: options.mean, steps, seed: options.seed ?? 0, ...(options.loss === undefined ? {} : { loss: options.loss }) };
}

/**
 * Clean and robust accuracy of the engine's model on `data`, in batches of `batchSize` (the result
 * does not depend on it: attacks seed each row by its index in `data`).
 */
export async function validate(engine: Engine, data: Dataset, attack: AttackSpec, batchSize = 500): Promise<ValidationFigures> {
  const N = data.labels.length;
  let clean = 0;
  let robust = 0;
  for (let start = 0; start < N; start += batchSize) {
    const end = Math.min(N, start + batchSize);
    const x = sliceBatch(data.images, start, end); // [b, 1, 28, 28]
    const y = data.labels.subarray(start, end);
    clean += correct(await engine.logits(x), y);
    robust += correct(await engine.logits(await engine.attack(x, y, attack, start)), y);
  }
  return { clean: clean / N, robust: robust / N, count: N };
}

/** "PGD-10 at ε = 0.25", "PGD-40 on the margin at ε = 0.25": how a validation figure was measured, for logs. */
export function describeValidation(attack: AttackSpec): string {
  const steps = 'steps' in attack ? (attack.steps ?? 40) : 1;
  const margin = 'loss' in attack && attack.loss === 'margin' ? ' on the margin' : '';
  return `${attack.attack.toUpperCase()}-${steps}${margin} at ε = ${attack.eps} (${(attack.eps * PIXEL_RANGE).toFixed(2)} grey levels)`;
}

/** Rows of logits [b, K] whose argmax is the label. */
function correct(logits: Tensor, labels: ArrayLike<number>): number {
  const predicted = argmaxRows(logits); // [b]
  let count = 0;
  for (let n = 0; n < predicted.length; n++) if (predicted[n] === labels[n]) count++;
  return count;
}
