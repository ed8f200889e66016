/**
 * Adam (Kingma & Ba 2015), as PyTorch's torch.optim.Adam with its defaults:
 *
 *   g ← g + λ·w                          λ weight decay (default 0: plain Adam)
 *   m ← β₁·m + (1 − β₁)·g                β₁ = 0.9
 *   v ← β₂·v + (1 − β₂)·g²               β₂ = 0.999
 *   w ← w − η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε̂)     ε̂ = 1e-8, t the step count from 1
 *
 * Why it is here: PGD training of this LeNet with the seed's SGD (η = 0.001 on inputs of scale 255)
 * learns slowly at the start; each Adam step moves every weight by about η whatever the gradient's
 * scale, which a PyTorch reference run found to train PGD faster (docs/performance.md).
 *
 * Moments are float64, one pair per parameter in the order of `params`. Checkpoints store SGD's
 * state only (io/checkpoint.ts), so an Adam run is saved without optimizer state and cannot be
 * resumed exactly.
 */
import type { Variable } from '../autograd/variable.ts';
import { formatShape } from '../tensor/shape.ts';

export interface AdamOptions {
  /** η (default 0.001). */
  lr?: number;
  /** β₁ (default 0.9). */
  beta1?: number;
  /** β₂ (default 0.999). */
  beta2?: number;
  /** ε̂ in the denominator (default 1e-8). */
  epsilon?: number;
  /** λ, L2 weight decay added to the gradient (default 0). */
  weightDecay?: number;
}

export class Adam {
  readonly params: readonly Variable[];
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  /** m and v, one per parameter, same size. */
  readonly m: Float64Array[];
  readonly v: Float64Array[];
  /** Steps taken (t). */
  steps = 0;

  constructor(params: readonly Variable[], options: AdamOptions = {}) {
    this.params = params;
    this.lr = options.lr ?? 0.001;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    for (const [name, value] of [['lr', this.lr], ['epsilon', this.epsilon], ['weightDecay', this.weightDecay]] as const) {
      if (!Number.isFinite(value) || value < 0) throw new RangeError(`Adam: ${name} must be a finite number ≥ 0, got ${value}`);
    }
    for (const [name, value] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(value >= 0 && value < 1)) throw new RangeError(`Adam: ${name} must be in [0, 1), got ${value}`);
    }
    this.m = params.map((p) => new Float64Array(p.value.size));
    this.v = params.map((p) => new Float64Array(p.value.size));
  }

  /** One update from `grads` (one array per parameter; default: the parameters' `.grad`, null as 0). */
  step(grads?: ReadonlyArray<ArrayLike<number> | undefined>): void {
    const { lr, beta1, beta2, epsilon, weightDecay } = this;
    if (grads !== undefined && grads.length !== this.params.length) throw new RangeError(`Adam.step: ${this.params.length} parameters but ${grads.length} gradients`);
    this.steps++;
    const correction1 = 1 - beta1 ** this.steps;
    const correction2 = 1 - beta2 ** this.steps;
    this.params.forEach((p, i) => {
      const w = p.value.data;
      const m = this.m[i];
      const v = this.v[i];
      const g = grads !== undefined ? grads[i] : p.grad?.data;
      if (g !== undefined && g.length !== w.length) {
        throw new RangeError(`Adam: parameter ${i} (shape ${formatShape(p.value.shape)}) has ${w.length} elements but its gradient has ${g.length}`);
      }
      for (let j = 0; j < w.length; j++) {
        const gj = (g === undefined ? 0 : g[j]) + weightDecay * w[j];
        m[j] = beta1 * m[j] + (1 - beta1) * gj;
        v[j] = beta2 * v[j] + (1 - beta2) * gj * gj;
        w[j] -= (lr * (m[j] / correction1)) / (Math.sqrt(v[j] / correction2) + epsilon);
      }
    });
  }

  /** Sets every parameter's grad to null. */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }
}
