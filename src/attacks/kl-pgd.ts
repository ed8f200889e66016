/**
 * TRADES's inner maximisation (Zhang et al. 2019): the point of the L∞ ball around x where the
 * model's prediction moves furthest from its prediction on x, by projected sign ascent on the KL
 * divergence (layers/kl-divergence.ts), with p = softmax(z(x)) held fixed:
 *
 *   x⁰    = x + σ·N(0, 1) per pixel,  σ = 0.001·R (TRADES's small start; R = pixelRange)
 *   xᵗ⁺¹  = Π(xᵗ + α·sign(∇ₓ Σₙ KL(pₙ ‖ softmax(z(xᵗₙ)))))   Π: onto ‖· − x‖∞ ≤ r, then (clip) [0, R]
 *
 * for t = 0 … T−1, returning x^T, the last iterate (as TRADES does; there is no label, so no
 * "fooled" to keep the best by). The start cannot begin at x itself: there KL = 0 and its gradient
 * vanishes. Rows are independent (the objective is a sum of per-row terms, and the start of row n
 * comes from the stream of (seed, its index)), so the examples do not depend on how a batch is cut
 * into shards or workers. The model's parameters and grads are left exactly as they were.
 */
import { backward } from '../autograd/backward.ts';
import { noGrad, Variable } from '../autograd/variable.ts';
import { klDivergencePerExample } from '../layers/kl-divergence.ts';
import type { Module } from '../layers/module.ts';
import { full } from '../tensor/create.ts';
import { recycling } from '../tensor/recycle.ts';
import { Rng } from '../tensor/rng.ts';
import { Tensor } from '../tensor/tensor.ts';
import { checkAttackOptions, clipToPixels, exampleIndex, PIXEL_RANGE, projectedSignStep, streamSeed, withFrozenParameters, type AttackOptions, type ExampleIndex } from './attack.ts';

/** The KL attack's options: ε, clip, mean, pixelRange and seed as every attack's (attack.ts). */
export interface KlPgdOptions extends Pick<AttackOptions, 'eps' | 'pixelRange' | 'clip' | 'mean' | 'seed'> {
  /** Gradient steps T ≥ 1. */
  steps: number;
  /** α as a fraction of the pixel range, > 0. */
  stepSize: number;
}

/** σ/R, the random start's standard deviation as a fraction of the pixel range (TRADES's 0.001). */
export const KL_START_STD = 0.001;

/** The random stream's purpose (beside attack.ts's STREAM and the training streams). */
const KL_START_STREAM = 4;

/** Throws a RangeError naming the option, what was expected and what arrived. */
export function checkKlPgdOptions(options: KlPgdOptions, x?: Tensor): void {
  checkAttackOptions('klPgd', options, x);
  const { steps, stepSize } = options;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`klPgd: steps must be an integer ≥ 1, got ${String(steps)}`);
  if (typeof stepSize !== 'number' || !Number.isFinite(stepSize) || stepSize <= 0) throw new RangeError(`klPgd: stepSize must be a positive fraction of the pixel range, got ${String(stepSize)}`);
}

/**
 * TRADES examples of a batch (see the file header).
 * @param x [N, C, H, W] mean-subtracted inputs
 * @param index the data-set (or batch) index of row 0, or of every row: seeds each row's start
 * @returns x_adv [N, C, H, W]
 */
export function klPgd(model: Module, x: Tensor, options: KlPgdOptions, index: ExampleIndex = 0): Tensor {
  checkKlPgdOptions(options, x);
  const { eps, steps, stepSize, seed = 0 } = options;
  const N = x.shape[0];
  const xt = x.data.slice(); // [N, C, H, W] the iterate
  if (N === 0 || eps === 0) return new Tensor(xt, x.shape);
  const P = x.size / N; // values per example
  const pixelRange = options.pixelRange ?? PIXEL_RANGE;
  const mean = options.clip ? options.mean!.data : null;
  const radius = eps * pixelRange; // in input units
  const alpha = stepSize * pixelRange;
  const sigma = KL_START_STD * pixelRange;
  return withFrozenParameters(model, () => {
    const clean = noGrad(() => model.forward(new Variable(x)).value); // [N, K], the fixed target p's logits
    for (let n = 0; n < N; n++) {
      const rng = new Rng(streamSeed(seed, exampleIndex(index, n), 0, KL_START_STREAM));
      for (let i = n * P; i < (n + 1) * P; i++) {
        const v = xt[i] + sigma * rng.normal();
        xt[i] = v < x.data[i] - radius ? x.data[i] - radius : v > x.data[i] + radius ? x.data[i] + radius : v;
      }
    }
    if (mean !== null) clipToPixels(xt, mean, pixelRange);
    for (let t = 0; t < steps; t++) {
      // the step's arrays die with it (tensor/recycle.ts); xt and clean were made outside
      recycling(() => {
        const xv = new Variable(new Tensor(xt, x.shape), { requiresGrad: true });
        const kl = klDivergencePerExample(new Variable(clean), model.forward(xv)); // [N]
        backward(kl, full(kl.shape, 1, kl.value.dtype)); // ∇ₓ Σₙ KLₙ: rows independent
        projectedSignStep(xt, xv.grad!.data, x.data, alpha, radius, mean, pixelRange);
      });
    }
    return new Tensor(xt, x.shape);
  });
}
