/**
 * Stochastic gradient descent with momentum and weight decay, exactly as MatConvNet's cnn_train
 * (the seed's recipe):
 *
 *   v ← μ·v − (g + λ·w)        μ = 0.9 momentum, λ = 5e-4 weight decay (on biases too)
 *   w ← w + η·v                η = 0.001 learning rate; g the gradient of the batch-mean loss
 *
 * Velocities are float64 (so a float32 model and a float64 one follow the same arithmetic), one per
 * parameter in the order of `params`, and are part of a checkpoint so training can resume.
 *
 * `sgdStepOnShards` is the same update with the gradient summed on the fly from shard gradients:
 * the worker engine's threads take the step with it, each on its own range of the weights
 * (train/workers/worker-engine.ts).
 */
import type { Variable } from '../autograd/variable.ts';
import { formatShape } from '../tensor/shape.ts';
import type { FloatArray } from '../tensor/tensor.ts';

export interface SGDOptions {
  /** η (default 0.001). */
  lr?: number;
  /** μ (default 0.9). */
  momentum?: number;
  /** λ (default 5e-4). */
  weightDecay?: number;
}

export class SGD {
  readonly params: readonly Variable[];
  lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  /** v, one per parameter, same size (see relocate: hold this array, not its elements). */
  readonly velocity: Float64Array[];
  /** Steps taken. */
  steps = 0;

  constructor(params: readonly Variable[], options: SGDOptions = {}) {
    this.params = params;
    this.lr = options.lr ?? 0.001;
    this.momentum = options.momentum ?? 0.9;
    this.weightDecay = options.weightDecay ?? 5e-4;
    for (const [name, v] of [['lr', this.lr], ['momentum', this.momentum], ['weightDecay', this.weightDecay]] as const) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`SGD: ${name} must be a finite number ≥ 0, got ${v}`);
    }
    this.velocity = params.map((p) => new Float64Array(p.value.size));
  }

  /**
   * One update. `grads` (one array per parameter, e.g. from an engine) defaults to the parameters'
   * `.grad`; a parameter with no gradient is treated as g = 0.
   */
  step(grads?: ReadonlyArray<ArrayLike<number> | undefined>): void {
    const { lr, momentum, weightDecay } = this;
    if (grads !== undefined && grads.length !== this.params.length) {
      throw new RangeError(`SGD.step: ${this.params.length} parameters but ${grads.length} gradients`);
    }
    this.params.forEach((p, i) => {
      const w = p.value.data;
      const v = this.velocity[i];
      const g = grads !== undefined ? grads[i] : p.grad?.data;
      if (g !== undefined && g.length !== w.length) {
        throw new RangeError(`SGD: parameter ${i} (shape ${formatShape(p.value.shape)}) has ${w.length} elements but its gradient has ${g.length}`);
      }
      for (let j = 0; j < w.length; j++) {
        v[j] = momentum * v[j] - ((g === undefined ? 0 : g[j]) + weightDecay * w[j]);
        w[j] += lr * v[j];
      }
    });
    this.steps++;
  }

  /**
   * Moves the velocities into `storage` (Σ sizes elements; parameter i's after those of the
   * parameters before it), keeping their values: `velocity` then holds views of `storage`. The
   * worker engine passes shared memory, so that its threads can take the step (train/workers/worker-engine.ts).
   */
  relocate(storage: Float64Array): void {
    const total = this.velocity.reduce((sum, v) => sum + v.length, 0);
    if (storage.length !== total) throw new RangeError(`SGD.relocate: the velocities have ${total} elements, the storage ${storage.length}`);
    let offset = 0;
    this.velocity.forEach((v, i) => {
      const view = storage.subarray(offset, offset + v.length);
      view.set(v);
      this.velocity[i] = view;
      offset += v.length;
    });
  }

  /** Sets every parameter's grad to null. */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** Velocities and step count, for checkpoints. */
  state(): { steps: number; velocity: Float64Array[] } {
    return { steps: this.steps, velocity: this.velocity.map((v) => Float64Array.from(v)) };
  }

  /** Restores what `state()` returned; sizes must match. */
  loadState(state: { steps: number; velocity: ArrayLike<number>[] }): void {
    if (state.velocity.length !== this.velocity.length) {
      throw new RangeError(`SGD.loadState: expected ${this.velocity.length} velocity tensors, got ${state.velocity.length}`);
    }
    state.velocity.forEach((v, i) => {
      if (v.length !== this.velocity[i].length) throw new RangeError(`SGD.loadState: velocity ${i} has ${v.length} elements, expected ${this.velocity[i].length}`);
      this.velocity[i].set(v);
    });
    this.steps = state.steps;
  }
}

/**
 * SGD's update of the weights j ∈ [from, to) of a flat parameter vector w with velocities v (same
 * indexing), the gradient being the sum of shard gradients read in place, G[o + j] for each
 * offset o of `terms` (at most 4 of them, in shard order):
 *
 *   g = ((0 + G[o₀ + j]) + G[o₁ + j]) + …,   v[j] ← μ·v[j] − (g + λ·w[j]),   w[j] ← w[j] + η·v[j]
 *
 * These are the float operations of summing the shards into float64 accumulators (sumShards,
 * train/step.ts) and then calling SGD.step with them, in the same order: the sum waits in a
 * register instead of an array, which changes no bit. Reading each shard gradient once and writing
 * no sum is what makes it cheaper than the two passes.
 */
export function sgdStepOnShards(
  w: FloatArray, v: Float64Array, G: FloatArray, terms: readonly number[], from: number, to: number,
  lr: number, momentum: number, weightDecay: number,
): void {
  if (terms.length > 4) throw new RangeError(`sgdStepOnShards: at most 4 gradient terms, got ${terms.length}`);
  const [o0, o1, o2, o3] = terms;
  if (terms.length === 4) {
    for (let j = from; j < to; j++) {
      const g = 0 + G[o0 + j] + G[o1 + j] + G[o2 + j] + G[o3 + j];
      const vj = momentum * v[j] - (g + weightDecay * w[j]);
      v[j] = vj;
      w[j] += lr * vj;
    }
    return;
  }
  for (let j = from; j < to; j++) {
    let g = 0;
    for (let t = 0; t < terms.length; t++) g += G[terms[t] + j];
    const vj = momentum * v[j] - (g + weightDecay * w[j]);
    v[j] = vj;
    w[j] += lr * vj;
  }
}
