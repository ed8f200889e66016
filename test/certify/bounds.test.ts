/**
 * What the bounds promise, checked directly: a hand-computed case; exactness at ε = 0; every
 * sampled point of the box (centre, vertices, interior) has logits and margins inside the bounds;
 * CROWN never looser than IBP; clipping only tightens; IBP bounds grow with ε; the radius found by
 * bisection is certified and ε + tolerance is not; clear errors for what cannot be certified.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { tensor } from '../../src/tensor/create.ts';
import { certifyBatch, logitBounds, specLowerBounds, marginSpec } from '../../src/certify/certify.ts';
import { backLayer } from '../../src/certify/crown.ts';
import { inputBox, propagateBoxes } from '../../src/certify/ibp.ts';
import { boundNetwork } from '../../src/certify/network.ts';
import { certifiedAccuracy, certifiedRadius } from '../../src/certify/radius.ts';
import { loadCheckpoint } from '../../src/io/checkpoint-file.ts';
import { restoreModel } from '../../src/io/checkpoint.ts';
import { Conv2d } from '../../src/layers/conv2d.ts';
import { Linear } from '../../src/layers/linear.ts';
import { MaxPool2d } from '../../src/layers/max-pool2d.ts';
import { Module, Sequential } from '../../src/layers/module.ts';
import { ReLU } from '../../src/layers/relu.ts';
import { createLeNet, type LeNet } from '../../src/models/lenet.ts';
import { createModel } from '../../src/models/registry.ts';
import type { Variable } from '../../src/autograd/variable.ts';
import { randn } from '../../src/tensor/create.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { boxPoints, logitsOf, marginsOf, predictions, randomLeNet, randomMlp } from './helpers.ts';

const METHODS = ['ibp', 'crown'] as const;
const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * (1 + Math.abs(b));

/** Small conv nets with every pooling geometry: [1, 6, 6] → 3 logits (the output [N, 3, 1, 1]). */
function tinyConvNet(seed: number, pool: { size: number; stride: number; pad: number }): Sequential {
  const rng = new Rng(seed);
  const conv = (c: number, oc: number, k: number): Conv2d => new Conv2d(c, oc, k, { rng, dtype: 'float64', init: { kind: 'he' } });
  const body: Module[] = [conv(1, 3, 3), new MaxPool2d(pool), new ReLU()];
  const side = Math.floor((4 + 2 * pool.pad - pool.size) / pool.stride) + 1;
  body.push(conv(3, 4, side), new ReLU(), conv(4, 3, 1));
  const model = new Sequential(body);
  for (const [name, p] of model.namedParameters()) if (name.endsWith('bias')) for (let i = 0; i < p.value.size; i++) p.value.data[i] = rng.normal();
  return model;
}

/** logits [N, K] of a model whose output may be [N, K, 1, 1]. */
function flatLogits(model: Module, x: Tensor): Tensor {
  const z = logitsOf(model, x);
  return z.reshape([z.shape[0], z.size / z.shape[0]]);
}

interface Case {
  name: string;
  model: Module;
  x: Tensor;
}

function cases(): Case[] {
  const out: Case[] = [];
  const pools = [{ size: 2, stride: 2, pad: 0 }, { size: 2, stride: 1, pad: 0 }, { size: 3, stride: 1, pad: 1 }];
  for (let seed = 0; seed < 6; seed++) {
    const pool = pools[seed % 3];
    out.push({ name: `tiny conv net ${seed} pool ${pool.size}/${pool.stride}/${pool.pad}`, model: tinyConvNet(seed, pool), x: randn([3, 1, 6, 6], { rng: 100 + seed, std: 50, dtype: 'float64' }) });
  }
  out.push({ name: 'MLP 10 → 20 → 20 → 5', model: randomMlp(7, [10, 20, 20, 5]), x: randn([3, 10], { rng: 107, std: 50, dtype: 'float64' }) });
  out.push({ name: 'LeNet', model: randomLeNet(3), x: randn([2, 1, 28, 28], { rng: 108, std: 60, dtype: 'float64' }) });
  return out;
}

describe('a case computed on paper', () => {
  // z = (relu(x1 + x2) + 1, relu(x1 − x2)), x ∈ [−1, 1]², label 0: margin relu(x1 + x2) − relu(x1 − x2) + 1.
  // IBP with the last layer folded: r1 − r2 + 1 over r ∈ [0, 2]² → −1 (the true minimum, at x = (1, −1)).
  // CROWN, adaptive (u = −l, so slope 1): r1 ≥ h1, r2 ≤ (h2 + 2)/2 → 0.5·x1 + 1.5·x2 ≥ −2.
  // CROWN, slope 0: r1 ≥ 0 → −0.5·(x1 − x2) ≥ −1.
  const hidden = new Linear(2, 2, { rng: new Rng(0), dtype: 'float64' });
  hidden.weight.value.data.set([1, 1, 1, -1]);
  hidden.bias.value.data.set([0, 0]);
  const out = new Linear(2, 2, { rng: new Rng(0), dtype: 'float64' });
  out.weight.value.data.set([1, 0, 0, 1]);
  out.bias.value.data.set([1, 0]);
  const net = boundNetwork(new Sequential([hidden, new ReLU(), out]), [2]);
  const x = tensor([[0, 0]], undefined, 'float64');
  const eps = 1 / 255; // one grey level
  test('IBP −1, CROWN alone −2 (adaptive) and −1 (slope 0), the bound used max(ibp, crown) = −1', () => {
    const adaptive = certifyBatch(net, x, [0], { eps, method: 'crown' });
    expect(adaptive.bounds.ibp[0]).toBeCloseTo(-1, 12);
    expect(adaptive.bounds.crown![0]).toBeCloseTo(-2, 12);
    expect(adaptive.margins[0]).toBeCloseTo(-1, 12);
    expect(certifyBatch(net, x, [0], { eps, method: 'crown', reluSlope: 'zero' }).bounds.crown![0]).toBeCloseTo(-1, 12);
    expect(certifyBatch(net, x, [0], { eps, method: 'ibp' }).bounds.crown).toBeNull();
  });
});

describe('each relaxation lies below its layer on random uneven boxes', () => {
  // For rows (A, c) on a layer's output, backLayer gives (A′, c′) with A′·h + c′ ≤ A·f(h) + c for
  // every h in the layer's input box; boxes of uneven widths (unlike the uniform ε-ball) make
  // the max-pool's argmax of lower bounds differ from the argmax of upper bounds.
  const layers: Array<[string, Module, number[]]> = [
    ['relu', new ReLU(), [2, 4, 4]],
    ['pool 2/2/0', new MaxPool2d({ size: 2, stride: 2 }), [2, 4, 4]],
    ['pool 2/1/0', new MaxPool2d({ size: 2, stride: 1 }), [2, 4, 4]],
    ['pool 3/2/1', new MaxPool2d({ size: 3, stride: 2, pad: 1 }), [2, 5, 5]],
    ['conv 3×3 stride 2 pad 1', new Conv2d(2, 3, 3, { rng: new Rng(1), dtype: 'float64', stride: 2, pad: 1 }), [2, 5, 5]],
  ];
  test.each(layers)('%s, both ReLU slopes, 300 points per box', (_name, module, shape) => {
    const K = shape.reduce((a, b) => a * b, 1);
    // a 1×1 conv after the layer only makes a network that boundNetwork accepts
    const net = boundNetwork(new Sequential([module, new Conv2d(module instanceof Conv2d ? 3 : 2, 1, 1, { rng: new Rng(2), dtype: 'float64' })]), shape);
    const layer = net.layers[0];
    const rng = new Rng(K);
    for (let trial = 0; trial < 20; trial++) {
      const lower = Float64Array.from({ length: K }, () => 3 * rng.normal());
      const upper = Float64Array.from(lower, (l) => l + 4 * rng.uniform() ** 2);
      const M = 4;
      const A = Float64Array.from({ length: M * layer.outSize }, () => rng.normal());
      const c = Float64Array.from({ length: M }, () => rng.normal());
      for (const slope of ['adaptive', 'zero'] as const) {
        const back = backLayer(layer, { A, c, M }, { lower, upper }, slope);
        for (let p = 0; p < 300; p++) {
          const h = Float64Array.from(lower, (l, i) => (p % 2 === 0 ? (rng.uniform() < 0.5 ? l : upper[i]) : l + rng.uniform() * (upper[i] - l)));
          const f = logitsOf(module, new Tensor(h, [1, ...shape])).data; // f(h)
          for (let m = 0; m < M; m++) {
            let exact = c[m];
            for (let o = 0; o < layer.outSize; o++) exact += A[m * layer.outSize + o] * f[o];
            let relaxed = back.c[m];
            for (let i = 0; i < K; i++) relaxed += back.A[m * K + i] * h[i];
            expect(relaxed, `trial ${trial} ${slope} point ${p} row ${m}`).toBeLessThanOrEqual(exact + 1e-9 * (1 + Math.abs(exact)));
          }
        }
      }
    }
  });
});

describe('exact at ε = 0', () => {
  test.each(cases().map((c) => [c.name, c] as const))('%s: lower = upper = the logits, margin bounds = the margins', (_name, { model, x }) => {
    const net = boundNetwork(model, x.shape.slice(1));
    const z = flatLogits(model, x);
    const y = predictions(z);
    const margins = marginsOf(z, y);
    for (const method of METHODS) {
      const { lower, upper } = logitBounds(net, x, { eps: 0, method });
      for (let i = 0; i < z.size; i++) {
        expect(close(lower[i], z.data[i]) && close(upper[i], z.data[i]), `${method} logit ${i}: [${lower[i]}, ${upper[i]}] vs ${z.data[i]}`).toBe(true);
      }
      const cert = certifyBatch(net, x, y, { eps: 0, method });
      for (let i = 0; i < margins.length; i++) expect(close(cert.margins[i], margins[i]), `${method} margin ${i}`).toBe(true);
    }
  });
});

describe('the bounds contain the network at 200 sampled points of each box (centre, vertices, interior)', () => {
  test.each(cases().map((c) => [c.name, c] as const))('%s', (_name, { model, x }) => {
    const net = boundNetwork(model, x.shape.slice(1));
    const N = x.shape[0];
    const y = predictions(flatLogits(model, x));
    for (const eps of [0.002, 0.02, 0.1]) {
      const points = boxPoints(x, eps, 200, 11, undefined); // [200·N, …]
      const z = flatLogits(model, points);
      const K = z.shape[1];
      const margins = marginsOf(z, y.flatMap((label) => new Array<number>(200).fill(label)));
      for (const method of METHODS) {
        const { lower, upper } = logitBounds(net, x, { eps, method });
        const cert = certifyBatch(net, x, y, { eps, method });
        const bounds = [cert.margins, ...(cert.bounds.crown ? [cert.bounds.crown] : [])];
        for (let r = 0; r < 200 * N; r++) {
          const n = Math.floor(r / 200);
          for (let k = 0; k < K; k++) {
            const v = z.data[r * K + k];
            expect(v >= lower[n * K + k] - 1e-9 * (1 + Math.abs(v)) && v <= upper[n * K + k] + 1e-9 * (1 + Math.abs(v)), `${method} ε=${eps} point ${r} logit ${k}: ${v} ∉ [${lower[n * K + k]}, ${upper[n * K + k]}]`).toBe(true);
          }
          for (let m = 0; m < K - 1; m++) {
            for (const b of bounds) expect(margins[r * (K - 1) + m], `${method} ε=${eps} point ${r} margin ${m}`).toBeGreaterThanOrEqual(b[n * (K - 1) + m] - 1e-9 * (1 + Math.abs(b[n * (K - 1) + m])));
          }
        }
      }
    }
  });
});

describe('CROWN is never looser than IBP', () => {
  test.each(cases().map((c) => [c.name, c] as const))('%s: with slope 0 CROWN alone ≥ IBP (provably); the bound used ≥ IBP', (_name, { model, x }) => {
    const net = boundNetwork(model, x.shape.slice(1));
    const y = predictions(flatLogits(model, x));
    for (const eps of [0.001, 0.01, 0.05, 0.25]) {
      const zero = certifyBatch(net, x, y, { eps, method: 'crown', reluSlope: 'zero' }).bounds;
      const adaptive = certifyBatch(net, x, y, { eps, method: 'crown' }).bounds;
      for (let i = 0; i < zero.ibp.length; i++) {
        expect(zero.crown![i]).toBeGreaterThanOrEqual(zero.ibp[i] - 1e-9 * (1 + Math.abs(zero.ibp[i])));
        expect(adaptive.lower[i]).toBeGreaterThanOrEqual(adaptive.ibp[i]);
      }
    }
  });

  test('the shipped LeNets (float64), 10 test images: CROWN alone (adaptive) ≥ IBP on every margin at every ε tried', async () => {
    const { defaultMnistDir, loadIdxDataset } = await import('../../src/io/mnist.ts');
    const { subtractMean, take } = await import('../../src/data/dataset.ts');
    const dir = defaultMnistDir();
    const raw = take(loadIdxDataset(join(dir, 't10k-images-idx3-ubyte'), join(dir, 't10k-labels-idx1-ubyte')), 10);
    for (const name of ['standard', 'pgd-trained']) {
      const checkpoint = loadCheckpoint(join(import.meta.dirname, `../../web/models/${name}.ckpt`));
      const model = createModel(checkpoint.architecture, { dtype: 'float64' }) as LeNet; // the seed's LeNet or the ReLU variant
      restoreModel(model, checkpoint);
      const x = subtractMean(raw.images.clone('float64'), checkpoint.meanImage!.clone('float64')); // [10, 1, 28, 28]
      const net = boundNetwork(model, [1, 28, 28]);
      for (const eps of [0.001, 0.01, 0.25]) {
        const { ibp, crown } = certifyBatch(net, x, raw.labels, { eps, method: 'crown' }).bounds;
        for (let i = 0; i < ibp.length; i++) expect(crown![i], `${name} ε=${eps} row ${i}`).toBeGreaterThanOrEqual(ibp[i]);
      }
    }
  });
});

describe('monotone in the box', () => {
  test('IBP boxes at ε = 0.01 lie inside those at ε = 0.02; clipping to the pixels only shrinks them', () => {
    const model = randomLeNet(5);
    const net = boundNetwork(model, [1, 28, 28]);
    const x = randn([2, 1, 28, 28], { rng: 9, std: 60, dtype: 'float64' });
    const mean = new Tensor(Float64Array.from({ length: 784 }, (_, i) => 60 + (i % 50)), [1, 1, 28, 28]);
    const small = propagateBoxes(net, inputBox(x, { eps: 0.01 }), 2);
    const big = propagateBoxes(net, inputBox(x, { eps: 0.02 }), 2);
    const clipped = propagateBoxes(net, inputBox(x, { eps: 0.02, clip: true, mean }), 2);
    for (let k = 0; k < small.length; k++)
      for (let i = 0; i < small[k].lower.length; i++) {
        expect(small[k].lower[i]).toBeGreaterThanOrEqual(big[k].lower[i] - 1e-9 * (1 + Math.abs(big[k].lower[i])));
        expect(small[k].upper[i]).toBeLessThanOrEqual(big[k].upper[i] + 1e-9 * (1 + Math.abs(big[k].upper[i])));
        expect(clipped[k].lower[i]).toBeGreaterThanOrEqual(big[k].lower[i] - 1e-9 * (1 + Math.abs(big[k].lower[i])));
        expect(clipped[k].upper[i]).toBeLessThanOrEqual(big[k].upper[i] + 1e-9 * (1 + Math.abs(big[k].upper[i])));
      }
  });
});

describe('certified radius and accuracy', () => {
  test.each(METHODS)('%s: certified at the radius, not at radius + tolerance; 0 for a misclassified image', (method) => {
    const model = randomMlp(3, [10, 20, 20, 5]);
    const net = boundNetwork(model, [10]);
    const x = randn([6, 10], { rng: 33, std: 50, dtype: 'float64' });
    const y = predictions(flatLogits(model, x));
    y[5] = (y[5] + 1) % 5; // misclassified
    const tolerance = 1e-4;
    const { radius, certifiedAtZero } = certifiedRadius(net, x, y, { method, tolerance });
    expect(certifiedAtZero).toEqual([true, true, true, true, true, false]);
    expect(radius[5]).toBe(0);
    for (let n = 0; n < 5; n++) {
      expect(radius[n]).toBeGreaterThan(0);
      expect(certifyBatch(net, x, y, { eps: Array.from(radius), method }).certified[n]).toBe(true);
    }
    const beyond = certifyBatch(net, x, y, { eps: Array.from(radius, (r) => Math.min(1, r + tolerance)), method }).certified;
    expect(beyond.slice(0, 5)).toEqual([false, false, false, false, false]);
  });

  test('certified accuracy and its standard error', () => {
    expect(certifiedAccuracy([true, false, true, true])).toEqual({ accuracy: 0.75, standardError: Math.sqrt(0.75 * 0.25 / 4), certified: 3, count: 4 });
  });
});

describe('clear errors', () => {
  class Doubler extends Module {
    forward(x: Variable): Variable {
      return x;
    }
  }
  test('an unsupported layer is named', () => {
    const model = new Sequential([['fc', new Linear(4, 3, { rng: new Rng(0) })], ['twice', new Doubler()]]);
    expect(() => boundNetwork(model, [4])).toThrow("certify: layer 'twice' is a Doubler, which bound propagation does not support (supported: Conv2d, Linear, MaxPool2d, ReLU, Sequential, LeNet)");
    expect(() => boundNetwork(new Sequential([new Linear(4, 3, { rng: new Rng(0) }), new ReLU()]), [4])).toThrow("certify: the model must end with a Conv2d or Linear layer (its logits), but ends with '1' (relu)");
    expect(() => boundNetwork(new Sequential([new Linear(4, 3, { rng: new Rng(0) })]), [5])).toThrow("certify: layer '0' expects 4 inputs but receives shape [5] (5 values)");
  });
  test('bad ε, labels, clip and inputs', () => {
    const net = boundNetwork(randomMlp(0, [4, 3]), [4]);
    const x = randn([2, 4], { dtype: 'float64' });
    expect(() => certifyBatch(net, x, [0, 1], { eps: -0.1 })).toThrow('certify: eps must be a fraction of the pixel range in [0, 1] (0.25 = 63.75 grey levels), got -0.1');
    expect(() => certifyBatch(net, x, [0, 1], { eps: 1.5 })).toThrow('got 1.5');
    expect(() => certifyBatch(net, x, [0, 1], { eps: [0.1, Number.NaN] })).toThrow('got NaN for image 1');
    expect(() => certifyBatch(net, x, [0, 1], { eps: [0.1] })).toThrow('certify: 2 images but 1 values of eps');
    expect(() => certifyBatch(net, x, [0, 3], { eps: 0.1 })).toThrow('certify: label 3 of image 1 is not a class in 0..2');
    expect(() => certifyBatch(net, x, [0], { eps: 0.1 })).toThrow('certify: 2 images but 1 labels');
    expect(() => certifyBatch(net, x, [0, 1], { eps: 0.1, clip: true })).toThrow('certify: clip needs the mean image');
    expect(() => certifyBatch(net, x, [0, 1], { eps: 0.1, method: 'lp' as 'ibp' })).toThrow("certify: method must be one of ibp, crown, got 'lp'");
    expect(() => certifyBatch(net, randn([2, 5], { dtype: 'float64' }), [0, 1], { eps: 0.1 })).toThrow('certify: each image must hold 4 values');
    expect(() => specLowerBounds(net, x, marginSpec([0], 3), 2, { eps: 0.1 })).toThrow('certify: spec must hold 2 images × 2 rows × 3 logits = 12 values, got 6');
    expect(() => certifiedRadius(net, x, [0, 1], { maxEps: 2 })).toThrow('certify: maxEps must be in (0, 1], got 2');
  });
});
