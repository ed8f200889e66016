/**
 * Small float64 models and helpers shared by the certification tests.
 */
import { noGrad, Variable } from '../../src/autograd/variable.ts';
import { PIXEL_RANGE } from '../../src/attacks/fgsm.ts';
import { Linear } from '../../src/layers/linear.ts';
import { Module, Sequential } from '../../src/layers/module.ts';
import { ReLU } from '../../src/layers/relu.ts';
import { createLeNet, type LeNet } from '../../src/models/lenet.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

/** Gives every bias of `model` N(0, scale²) values, so the bounds' bias terms are exercised. */
function randomBiases(model: Module, rng: Rng, scale: number): void {
  for (const [name, p] of model.namedParameters()) if (name.endsWith('bias')) for (let i = 0; i < p.value.size; i++) p.value.data[i] = scale * rng.normal();
}

/** Linear → ReLU → … → Linear, float64, He weights and random biases: dims[0] inputs, dims[last] logits. */
export function randomMlp(seed: number, dims: readonly number[]): Sequential {
  const rng = new Rng(seed);
  const layers: Module[] = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    layers.push(new Linear(dims[i], dims[i + 1], { rng, dtype: 'float64', init: { kind: 'he' } }));
    if (i + 2 < dims.length) layers.push(new ReLU());
  }
  const model = new Sequential(layers);
  randomBiases(model, rng, 1);
  return model;
}

/** The seed's LeNet in float64 with He weights and random biases (realistic activation scales). */
export function randomLeNet(seed: number): LeNet {
  const model = createLeNet({ seed, dtype: 'float64', init: { kind: 'he' } });
  randomBiases(model, new Rng(seed + 1000), 0.1);
  return model;
}

/** logits [N, K] of a float64 model. */
export function logitsOf(model: Module, x: Tensor): Tensor {
  return noGrad(() => model.forward(new Variable(x)).value);
}

/** z_y − z_j for j ≠ y in order of j, per row: [N, K − 1]. */
export function marginsOf(logits: Tensor, labels: ArrayLike<number>): Float64Array {
  const [N, K] = logits.shape;
  const out = new Float64Array(N * (K - 1));
  for (let n = 0; n < N; n++) {
    let row = 0;
    for (let j = 0; j < K; j++) if (j !== labels[n]) out[n * (K - 1) + row++] = logits.data[n * K + labels[n]] - logits.data[n * K + j];
  }
  return out;
}

/** Each row's argmax. */
export function predictions(logits: Tensor): number[] {
  const [N, K] = logits.shape;
  const out: number[] = [];
  for (let n = 0; n < N; n++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (logits.data[n * K + k] > logits.data[n * K + best]) best = k;
    out.push(best);
  }
  return out;
}

/**
 * `count` points of each image's box x ± 255·ε (intersected with [lo, hi] when given), as
 * [count·N, …] with image n's points in rows n·count … : the centre, then vertices (random signs)
 * for the first half, uniform interior points for the rest.
 */
export function boxPoints(x: Tensor, eps: number, count: number, seed: number, pixels?: { lo: Float64Array; hi: Float64Array }): Tensor {
  const N = x.shape[0];
  const S = x.size / N;
  const rng = new Rng(seed);
  const r = eps * PIXEL_RANGE;
  const out = new Float64Array(N * count * S);
  for (let n = 0; n < N; n++)
    for (let p = 0; p < count; p++)
      for (let i = 0; i < S; i++) {
        const v = x.data[n * S + i];
        const lo = pixels ? Math.max(v - r, pixels.lo[i]) : v - r;
        const hi = pixels ? Math.min(v + r, pixels.hi[i]) : v + r;
        const t = p === 0 ? 0.5 : p < count / 2 ? (rng.uniform() < 0.5 ? 0 : 1) : rng.uniform();
        out[(n * count + p) * S + i] = lo + t * (hi - lo);
      }
  return new Tensor(out, [N * count, ...x.shape.slice(1)]);
}

/** Image rows [start, start + count) of x. */
export function rowsOf(x: Tensor, start: number, count: number): Tensor {
  const S = x.size / x.shape[0];
  return new Tensor(x.data.slice(start * S, (start + count) * S), [count, ...x.shape.slice(1)]);
}
