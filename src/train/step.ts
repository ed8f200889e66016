/**
 * The gradient of one shard of a batch: the unit of work that every engine (in-process or worker
 * threads) computes in exactly the same way, so results do not depend on where it runs.
 *
 * A batch of B samples is cut into a fixed number of shards. Shard s contributes
 *
 *   standard:     g_s = ∇θ Σ_{n∈s} J(θ, xₙ, yₙ) / B
 *   adversarial:  g_s = ∇θ Σ_{n∈s} 2·[(1 − a)·J(θ, xₙ, yₙ) + a·J(θ, xₙ + ε·sign(∇ₓJ(θ, xₙ, yₙ)), yₙ)] / B
 *   attack:       g_s = ∇θ Σ_{n∈s} [(1 − a)·J(θ, xₙ, yₙ) + a·J(θ, attack(xₙ), yₙ)] / B
 *   trades:       g_s = ∇θ Σ_{n∈s} [J(θ, xₙ, yₙ) + β·KL(p(θ, xₙ) ‖ p(θ, x̃ₙ))] / B,  x̃ₙ = klPgd(xₙ)
 *
 * and the batch gradient is Σ_s g_s, summed in shard order (a = advRatio, train/schedules.ts). In
 * the adversarial step B counts both halves (50 clean + 50 adversarial = 100), so a = ½ is
 * Goodfellow's J̃ = ½J(x) + ½J(x_adv) on the 50 clean images, with the weights 2·½/B = 1/B exactly
 * as before advRatio existed (bit for bit). Its clean forward/backward yields ∂J/∂θ and ∂J/∂x
 * together: FGSM reuses that pass instead of running its own (sign(∇ₓ(J/B)) = sign(∇ₓJ), so the
 * 1/B does not matter). In the attack step ('pgd', 'fgsm-rs') B counts images, each bringing its
 * adversarial example (made with the model frozen, attacks/pgd.ts) and, when a < 1, its clean self.
 * In the trades step B counts images; x̃ is made with the model frozen (attacks/kl-pgd.ts), then the
 * KL's gradient flows through both predictions, p(x) and p(x̃), as in Zhang et al.'s code.
 */
import { add, scale } from '../autograd/arithmetic.ts';
import { mean } from '../autograd/reduce.ts';
import { backward } from '../autograd/backward.ts';
import { Variable } from '../autograd/variable.ts';
import { fgsm, fgsmFromGradient, type FgsmOptions } from '../attacks/fgsm.ts';
import { klPgd, type KlPgdOptions } from '../attacks/kl-pgd.ts';
import { runAttack, type AttackSpec } from '../attacks/spec.ts';
import { klDivergencePerExample } from '../layers/kl-divergence.ts';
import type { Module } from '../layers/module.ts';
import { softmaxCrossEntropy } from '../layers/softmax-cross-entropy.ts';
import { pooledArray, recycling } from '../tensor/recycle.ts';
import type { Tensor } from '../tensor/tensor.ts';

export type StepKind =
  | { kind: 'standard' }
  /** The 'batch' schedule: FGSM from the clean pass's ∂x; advRatio a defaults to ½. */
  | { kind: 'adversarial'; fgsm: FgsmOptions; advRatio?: number }
  /** The 'pgd' and 'fgsm-rs' schedules: examples from `spec` (ε = 0 trains on x itself). */
  | { kind: 'attack'; spec: AttackSpec; advRatio: number }
  /** The 'trades' schedule: CE(x) + β·KL(p(x) ‖ p(x̃)), x̃ from the KL attack `attack` (ε = 0: x̃ = x). */
  | { kind: 'trades'; attack: KlPgdOptions; beta: number };

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
 *   parameter (null: none); called in shard order, each result added before the next call. What
 *   it allocates is recycled once its gradient is added (tensor/recycle.ts): nothing it made may
 *   be used afterwards (the model's .grad is reset by the next call or by the caller).
 */
export function sumShards(
  n: number,
  sizes: readonly number[],
  shard: (s: number) => { loss: number; grads: ReadonlyArray<ArrayLike<number> | null> },
): { lossSum: number; grads: Float64Array[] } {
  const grads = sizes.map((size) => pooledArray(Float64Array, size)); // zeroed; trainStep releases them after its step (stepOnGradients)
  let lossSum = 0;
  for (let s = 0; s < SHARDS; s++) {
    const [start, end] = shardRange(n, s);
    if (end === start) continue;
    // a shard's arrays (activations, gradients) die once its gradient is summed: the next shard
    // reuses them (tensor/recycle.ts)
    lossSum += recycling(() => {
      const result = shard(s);
      result.grads.forEach((g, i) => {
        if (g === null) return;
        const acc = grads[i];
        for (let j = 0; j < acc.length; j++) acc[j] += g[j];
      });
      return result.loss;
    });
  }
  return { lossSum, grads };
}

/** The shards of n samples that hold any, in shard order. */
export function liveShards(n: number): number[] {
  return Array.from({ length: SHARDS }, (_, s) => s).filter((s) => {
    const [start, end] = shardRange(n, s);
    return end > start;
  });
}

/** Σ J of a batch of n samples from its shards' (losses[s] for shard s): sumShards' additions, in its order. */
export function shardLossSum(n: number, losses: ArrayLike<number>): number {
  let lossSum = 0;
  for (const s of liveShards(n)) lossSum += losses[s];
  return lossSum;
}

/**
 * sumShards for shards whose gradients are all computed already (the worker engine's, waiting in
 * shared memory): for every element the same float64 additions in the same order (0, then shard
 * 0, 1, … of those that are non-empty and have a gradient), hence the same bits, but in one pass
 * that reads each shard's gradient once and writes the sum once, where sumShards, which must add
 * each shard before the next one exists, reads and writes its accumulators SHARDS times: the sum
 * is bound by memory traffic, and it runs on the main thread while the workers wait.
 * @param shards shard s's Σ J and its gradient per parameter (null: none), for s = 0..SHARDS−1
 */
export function sumComputedShards(
  n: number,
  sizes: readonly number[],
  shards: ReadonlyArray<{ loss: number; grads: ReadonlyArray<Float32Array | Float64Array | null> }>,
): { lossSum: number; grads: Float64Array[] } {
  const live = liveShards(n).map((s) => shards[s]);
  const lossSum = shardLossSum(n, shards.map((shard) => shard.loss));
  const grads = sizes.map((size, i) => {
    const acc = pooledArray(Float64Array, size); // trainStep releases it after its step (stepOnGradients)
    const terms = live.map((shard) => shard.grads[i]).filter((g): g is Float32Array | Float64Array => g !== null);
    addInOrder(acc, terms);
    return acc;
  });
  return { lossSum, grads };
}

/** acc[j] = ((0 + g₀[j]) + g₁[j]) + … in float64, the g in the order given (at most SHARDS of them). */
function addInOrder(acc: Float64Array, g: ReadonlyArray<Float32Array | Float64Array>): void {
  const [g0, g1, g2, g3] = g;
  if (g.length === 4) {
    for (let j = 0; j < acc.length; j++) acc[j] = 0 + g0[j] + g1[j] + g2[j] + g3[j];
  } else {
    for (let j = 0; j < acc.length; j++) {
      let s = 0;
      for (let k = 0; k < g.length; k++) s += g[k][j];
      acc[j] = s;
    }
  }
}

/**
 * Accumulates this shard's gradient into the parameters' `.grad` (the caller zeroes them first)
 * and returns the shard's summed loss Σ J (both halves for the adversarial step).
 * @param x [n, C, H, W] the shard's (clean) images   @param labels [n]
 * @param batchTotal B, the number of samples the whole batch's mean loss is over
 * @param firstIndex the batch row of the shard's first image (seeds the attack's random streams)
 */
export function shardGradients(model: Module, x: Tensor, labels: ArrayLike<number>, batchTotal: number, step: StepKind, firstIndex = 0): number {
  const n = x.shape[0];
  if (n === 0) return 0;
  const w = n / batchTotal; // mean over the shard × n/B = sum over the shard / B
  if (step.kind === 'standard') {
    const loss = softmaxCrossEntropy(model.forward(new Variable(x)), labels);
    backward(scale(loss, w));
    return loss.value.data[0] * n;
  }
  if (step.kind === 'trades') {
    const xAdv = klPgd(model, x, step.attack, firstIndex); // [n, C, H, W]
    const clean = model.forward(new Variable(x)); // [n, K]
    const kl = mean(klDivergencePerExample(clean, model.forward(new Variable(xAdv)))); // []
    const loss = add(softmaxCrossEntropy(clean, labels), scale(kl, step.beta)); // []
    backward(scale(loss, w));
    return loss.value.data[0] * n;
  }
  if (step.kind === 'attack') {
    const a = step.advRatio;
    let lossSum = 0;
    if (a < 1) {
      const clean = softmaxCrossEntropy(model.forward(new Variable(x)), labels);
      backward(scale(clean, (1 - a) * w));
      lossSum += (1 - a) * clean.value.data[0] * n;
    }
    const xAdv = step.spec.eps === 0 ? x : runAttack(model, x, labels, step.spec, firstIndex); // [n, C, H, W]
    const adv = softmaxCrossEntropy(model.forward(new Variable(xAdv)), labels);
    backward(scale(adv, a * w));
    return lossSum + a * adv.value.data[0] * n;
  }
  const a = step.advRatio ?? 0.5;
  // The clean pass's ∂x is ∇ₓJ(x, y) for the true y, and it vanishes when a = 1 scales it by 0: a
  // predicted-label FGSM or a = 1 needs FGSM's own pass (with the model frozen) instead.
  const reuse = a < 1 && (step.fgsm.labelMode ?? 'true') === 'true';
  let cleanLoss = 0;
  let xAdv: Tensor | null = null; // [n, C, H, W]
  if (a < 1) {
    const xv = new Variable(x, { requiresGrad: reuse });
    const clean = softmaxCrossEntropy(model.forward(xv), labels);
    backward(scale(clean, 2 * (1 - a) * w)); // ∂θ of the clean half, and ∂x for FGSM, from one pass
    cleanLoss = clean.value.data[0];
    if (reuse) xAdv = fgsmFromGradient(x, xv.grad!, step.fgsm);
  }
  xAdv ??= fgsm(model, x, labels, step.fgsm);
  const adv = softmaxCrossEntropy(model.forward(new Variable(xAdv)), labels);
  backward(scale(adv, 2 * a * w));
  return 2 * ((1 - a) * cleanLoss + a * adv.value.data[0]) * n;
}
