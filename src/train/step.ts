/**
 * The gradient of one shard of a batch: the unit of work that every engine (in-process or worker
 * threads) computes in exactly the same way, so results do not depend on where it runs.
 *
 * A batch of B samples is cut into a fixed number of shards. Shard s contributes
 *
 *   standard:     g_s = ∇θ Σ_{n∈s} J(θ, xₙ, yₙ) / B
 *   adversarial:  g_s = ∇θ Σ_{n∈s} [J(θ, xₙ, yₙ) + J(θ, xₙ + ε·sign(∇ₓJ(θ, xₙ, yₙ)), yₙ)] / B
 *
 * and the batch gradient is Σ_s g_s, summed in shard order. In the adversarial step B counts both
 * halves (50 clean + 50 adversarial = 100), which is Goodfellow's J̃ = ½J(x) + ½J(x_adv) on the
 * 50 clean images. Its clean forward/backward yields ∂J/∂θ and ∂J/∂x together: FGSM reuses that
 * pass instead of running its own (sign(∇ₓ(J/B)) = sign(∇ₓJ), so the 1/B does not matter).
 */
import { scale } from '../autograd/arithmetic.ts';
import { backward } from '../autograd/backward.ts';
import { Variable } from '../autograd/variable.ts';
import { fgsmFromGradient, type FgsmOptions } from '../attacks/fgsm.ts';
import type { Module } from '../layers/module.ts';
import { softmaxCrossEntropy } from '../layers/softmax-cross-entropy.ts';
import type { Tensor } from '../tensor/tensor.ts';

export type StepKind = { kind: 'standard' } | { kind: 'adversarial'; fgsm: FgsmOptions };

/** Number of shards a batch is cut into, whatever the number of workers (for determinism). */
export const SHARDS = 4;

/** [start, end) of shard s of n samples: sizes differ by at most one. */
export function shardRange(n: number, s: number, shards = SHARDS): [number, number] {
  return [Math.floor((s * n) / shards), Math.floor(((s + 1) * n) / shards)];
}

/**
 * The batch gradient from its shards: Σ_s over the non-empty shards of n samples, in shard order
 * 0..SHARDS−1, into float64 accumulators, skipping parameters that got no gradient. Both engines
 * sum through this one loop, so their sums are the same float additions in the same order.
 * @param sizes elements of each parameter, in model.parameters() order
 * @param shard computes shard s (rows shardRange(n, s)) and returns its Σ J and its gradient per
 *   parameter (null: none); called in shard order, each result added before the next call
 */
export function sumShards(
  n: number,
  sizes: readonly number[],
  shard: (s: number) => { loss: number; grads: ReadonlyArray<ArrayLike<number> | null> },
): { lossSum: number; grads: Float64Array[] } {
  const grads = sizes.map((size) => new Float64Array(size));
  let lossSum = 0;
  for (let s = 0; s < SHARDS; s++) {
    const [start, end] = shardRange(n, s);
    if (end === start) continue;
    const result = shard(s);
    lossSum += result.loss;
    result.grads.forEach((g, i) => {
      if (g === null) return;
      const acc = grads[i];
      for (let j = 0; j < acc.length; j++) acc[j] += g[j];
    });
  }
  return { lossSum, grads };
}

/**
 * Accumulates this shard's gradient into the parameters' `.grad` (the caller zeroes them first)
 * and returns the shard's summed loss Σ J (both halves for the adversarial step).
 * @param x [n, C, H, W] the shard's (clean) images   @param labels [n]
 * @param batchTotal B, the number of samples the whole batch's mean loss is over
 */
export function shardGradients(model: Module, x: Tensor, labels: ArrayLike<number>, batchTotal: number, step: StepKind): number {
  const n = x.shape[0];
  if (n === 0) return 0;
  const w = n / batchTotal; // mean over the shard × n/B = sum over the shard / B
  if (step.kind === 'standard') {
    const loss = softmaxCrossEntropy(model.forward(new Variable(x)), labels);
    backward(scale(loss, w));
    return loss.value.data[0] * n;
  }
  const xv = new Variable(x, { requiresGrad: true });
  const clean = softmaxCrossEntropy(model.forward(xv), labels);
  backward(scale(clean, w)); // ∂θ of the clean half, and ∂x for FGSM, from one pass
  const xAdv = fgsmFromGradient(x, xv.grad!, step.fgsm);
  const adv = softmaxCrossEntropy(model.forward(new Variable(xAdv)), labels);
  backward(scale(adv, w));
  return (clean.value.data[0] + adv.value.data[0]) * n;
}
