/**
 * The measurements behind the audit's stronger checks (audit.ts), each per image so that the
 * verdicts can pair their outcomes (McNemar, stats.ts):
 *
 *   noise, many draws   an image survives random ±ε sign noise only if it survives every one of
 *                       `draws` independent sign patterns (one pattern almost never fools anything:
 *                       the check could not flag)
 *   gradient scale      the first-order change of the logit margin m = max_{j≠y} z_j − z_y that the
 *                       gradient promises over the whole ε-ball, Δ₁ = r·‖∇ₓm‖₁ (r = ε·255, the
 *                       maximum of the linearised change over the L∞ ball), against the margin to
 *                       overcome; a gradient is vanishing when Δ₁ < 1% of max(|m|, 1 logit). This
 *                       judges the gradient on the input's scale, where counting exactly-zero
 *                       gradients misses the tiny float32 gradients of a saturated or flattened model
 *   transfer            the target's outcome on examples made on a surrogate (any attack)
 */
import type { Surrogate } from './shifted-surrogate.ts';
import { objectiveGradient, PIXEL_RANGE, withFrozenParameters, type AttackOptions } from '../attacks/attack.ts';
import type { AttackSpec } from '../attacks/spec.ts';
import type { Module } from '../layers/module.ts';
import { argmaxRows } from '../tensor/reduce.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { sliceBatch, type Engine } from '../train/engine.ts';
import { evaluateAttack } from './attack-evaluation.ts';

/** Below this share of max(|m|, 1) the linearised margin change over the ball counts as vanishing. */
export const VANISHING_RATIO = 0.01;

/**
 * [N] 1 where the model classifies the image correctly under every one of `draws` random ±ε sign
 * patterns (draw d uses seed + d: independent streams per image and draw).
 */
export async function noiseSurvivors(engine: Engine, images: Tensor, labels: Int32Array, options: Pick<AttackOptions, 'eps' | 'clip' | 'mean' | 'seed'>, draws: number, batchSize?: number, onProgress?: (done: number, total: number) => void): Promise<Uint8Array> {
  if (!Number.isInteger(draws) || draws < 1) throw new RangeError(`audit: noiseDraws must be an integer ≥ 1, got ${String(draws)}`);
  const { eps, clip, mean, seed = 0 } = options;
  let correct: Uint8Array | null = null;
  for (let d = 0; d < draws; d++) {
    const only = correct ?? undefined; // later draws only on the images no earlier draw fooled
    const result = await evaluateAttack(engine, images, labels, { attack: 'noise', eps, clip, mean, seed: seed + d }, { batchSize, only });
    correct = result.correct;
    onProgress?.(d + 1, draws);
  }
  return correct!;
}

export interface GradientScale {
  /** Share of images whose ∂L/∂x (cross-entropy) is exactly zero in every pixel. */
  zeroShare: number;
  /** Share of images whose margin gradient is vanishing at this ε (header). */
  vanishingShare: number;
  /** The median over images of Δ₁ / max(|m|, 1). */
  medianRatio: number;
}

/** The gradient scale of images [N, C, H, W] with labels [N] at ε (see the header). */
export function gradientScale(model: Module, images: Tensor, labels: Int32Array, eps: number, batchSize = 500): GradientScale {
  const N = images.shape[0];
  const P = images.size / N;
  const radius = eps * PIXEL_RANGE;
  const ratios = new Float64Array(N); // [N]
  let zero = 0;
  withFrozenParameters(model, () => {
    for (let start = 0; start < N; start += batchSize) {
      const end = Math.min(N, start + batchSize);
      const x = sliceBatch(images, start, end); // [n, C, H, W]
      const classes = labels.slice(start, end);
      const ce = objectiveGradient(model, x, { classes, sign: 1 }, 'ce').grad.data;
      const { grad, value } = objectiveGradient(model, x, { classes, sign: 1 }, 'margin');
      for (let i = 0; i < end - start; i++) {
        let l1 = 0;
        let allZero = true;
        for (let p = 0; p < P; p++) {
          l1 += Math.abs(grad.data[i * P + p]);
          if (ce[i * P + p] !== 0) allZero = false;
        }
        if (allZero) zero++;
        ratios[start + i] = (radius * l1) / Math.max(Math.abs(value[i]), 1);
      }
    }
  });
  const sorted = Float64Array.from(ratios).sort();
  const vanishing = ratios.reduce((a, r) => a + (r < VANISHING_RATIO ? 1 : 0), 0);
  return { zeroShare: zero / N, vanishingShare: vanishing / N, medianRatio: sorted[Math.floor((N - 1) / 2)] };
}

/** [N] 1 where the target classifies correctly the examples `spec` made on the surrogate (a black-box transfer attack). */
export async function transferSurvivors(surrogate: Surrogate, target: Engine, images: Tensor, labels: Int32Array, spec: AttackSpec, batchSize = 500): Promise<Uint8Array> {
  const N = images.shape[0];
  const correct = new Uint8Array(N);
  for (let start = 0; start < N; start += batchSize) {
    const end = Math.min(N, start + batchSize);
    const y = labels.subarray(start, end);
    const xAdv = await surrogate.attack(sliceBatch(images, start, end), y, spec, start); // [n, C, H, W]
    argmaxRows(await target.logits(xAdv)).forEach((k, i) => (correct[start + i] = k === y[i] ? 1 : 0));
  }
  return correct;
}

/** The share of ones. */
export function shareOf(correct: Uint8Array): number {
  return correct.length === 0 ? NaN : correct.reduce((a, b) => a + b, 0) / correct.length;
}
