import { describe, expect, test } from 'vitest';
import { backward } from '../../src/autograd/backward.ts';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import { mul } from '../../src/autograd/arithmetic.ts';
import { sum } from '../../src/autograd/reduce.ts';
import { parameter, type Variable } from '../../src/autograd/variable.ts';
import { constant, noGrad } from '../../src/autograd/variable.ts';
import { meanImage, subtractMean, take } from '../../src/data/dataset.ts';
import { join } from 'node:path';
import { defaultMnistDir, loadIdxDataset, MNIST_FILES } from '../../src/io/mnist.ts';
import {
  conv2d, Conv2d, conv2dBackward, conv2dBackwardDirect, conv2dBackwardWinograd, conv2dForward, conv2dForwardDirect, conv2dForwardWinograd,
  conv2dGeometry, conv2dPlan,
} from '../../src/layers/conv2d.ts';
import { createLeNet } from '../../src/models/lenet.ts';
import { randn, tensor, zeros } from '../../src/tensor/create.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { WINOGRAD_TILES } from '../../src/kernels/winograd/cost.ts';

const r64 = (shape: number[], seed: number): Tensor => randn(shape, { rng: seed, dtype: 'float64' });

function expectClose(a: Tensor, b: Tensor, rel: number): void {
  expect(a.shape).toEqual(b.shape);
  let scale = 0;
  for (const v of b.data) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < a.size; i++) worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
  expect(worst).toBeLessThanOrEqual(rel * Math.max(scale, 1e-300));
}

describe('conv2d by hand', () => {
  test('a 3×3 input, 2×2 kernel, bias 1: each output is its window·kernel + 1', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const w = tensor([1, 0, 0, -1], [1, 1, 2, 2]); // y = x[i,j] − x[i+1,j+1] + 1
    const y = conv2dForward(x, w, tensor([1], [1]), {}).y;
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(y.toArray()).toEqual([1 - 5 + 1, 2 - 6 + 1, 4 - 8 + 1, 5 - 9 + 1]);
  });

  test('pad 1 sees zeros outside; stride 2 skips every other position', () => {
    const x = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    const w = tensor([1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 3, 3]);
    const y = conv2dForward(x, w, null, { pad: 1 }).y; // every 3×3 window covers all of x
    expect(y.toArray()).toEqual([10, 10, 10, 10]);
    const y2 = conv2dForward(x, w, null, { pad: 1, stride: 2 }).y; // OH = ⌊(2+2−3)/2⌋+1 = 1
    expect(y2.shape).toEqual([1, 1, 1, 1]);
    expect(y2.toArray()).toEqual([10]);
  });

  test('backward by hand: ones cotangent on a 1×1 kernel gives dWeight = Σx, dBias = count', () => {
    const x = parameter(tensor([1, 2, 3, 4], [1, 1, 2, 2], 'float64'));
    const w = parameter(tensor([3], [1, 1, 1, 1], 'float64'));
    const b = parameter(tensor([0], [1], 'float64'));
    backward(sum(conv2d(x, w, b)));
    expect(w.grad!.toArray()).toEqual([10]);
    expect(b.grad!.toArray()).toEqual([4]);
    expect(x.grad!.toArray()).toEqual([3, 3, 3, 3]);
  });
});

type Grads = { dx: Tensor | null; dWeight: Tensor | null; dBias: Tensor | null };

/** A fast path's y, dx, dWeight and dBias on seeded float64 inputs equal the direct reference's to `rel`. */
function expectMatchesDirect(
  xShape: number[], wShape: number[], options: { stride?: number; pad?: number }, rel: number,
  fast: (x: Tensor, w: Tensor, b: Tensor) => { y: Tensor; backward: (dy: Tensor) => Grads },
): void {
  const x = r64(xShape, 1);
  const w = r64(wShape, 2);
  const b = r64([wShape[0]], 3);
  const { y, backward: fastBackward } = fast(x, w, b);
  expectClose(y, conv2dForwardDirect(x, w, b, options), rel);
  const dy = r64(y.shape as number[], 4);
  const got = fastBackward(dy);
  const ref = conv2dBackwardDirect(dy, x, w, options);
  expectClose(got.dx!, ref.dx, rel);
  expectClose(got.dWeight!, ref.dWeight, rel);
  expectClose(got.dBias!, ref.dBias, rel);
}

const configs: Array<{ x: number[]; w: number[]; stride: number; pad: number }> = [
  { x: [1, 1, 5, 5], w: [1, 1, 3, 3], stride: 1, pad: 0 },
  { x: [2, 3, 5, 5], w: [4, 3, 3, 3], stride: 2, pad: 1 },
  { x: [2, 2, 6, 5], w: [3, 2, 2, 3], stride: 1, pad: 2 },
  { x: [1, 3, 7, 6], w: [2, 3, 3, 2], stride: 2, pad: 0 },
  { x: [3, 1, 4, 4], w: [2, 1, 4, 4], stride: 1, pad: 0 },
  { x: [2, 2, 3, 3], w: [2, 2, 1, 1], stride: 1, pad: 1 },
  { x: [1, 2, 8, 8], w: [3, 2, 5, 5], stride: 3, pad: 2 },
];
const label = (c: (typeof configs)[number]): string => `x=[${c.x}] w=[${c.w}] s=${c.stride} p=${c.pad}`;

describe('conv2d: the im2col kernel equals the direct reference', () => {
  test.each(configs.map((c) => ({ ...c, name: label(c) })))('forward and backward $name', (c) => {
    expectMatchesDirect(c.x, c.w, c, 1e-12, (x, w, b) => {
      const { y, lowered } = conv2dForward(x, w, b, c);
      return { y, backward: (dy) => conv2dBackward(dy, x, w, lowered, c, { dx: true, dWeight: true, dBias: true }) };
    });
  });

  test('dx over several dcols blocks (LeNet conv2 shape, 10 images: blocks of 4, 4 and 2) equals the reference', () => {
    const x = r64([10, 20, 12, 12], 12);
    const w = r64([50, 20, 5, 5], 13);
    const { y, lowered } = conv2dForward(x, w, null);
    const dy = r64(y.shape as number[], 14);
    const fast = conv2dBackward(dy, x, w, lowered, {}, { dx: true, dWeight: true, dBias: false });
    const ref = conv2dBackwardDirect(dy, x, w);
    expectClose(fast.dx!, ref.dx, 1e-12);
    expectClose(fast.dWeight!, ref.dWeight, 1e-12);
  });

  test('float32 im2col path agrees with the float64 reference to 1e-6 relative (LeNet conv2 shape)', () => {
    const x64 = r64([4, 20, 12, 12], 5);
    const w64 = r64([50, 20, 5, 5], 6);
    const ref = conv2dForwardDirect(x64, w64, null);
    const y32 = conv2dForward(x64.clone('float32'), w64.clone('float32'), null).y;
    expectClose(y32.clone('float64'), ref, 1e-6);
  });
});

describe('conv2d float64 gradcheck (every element of x, weight, bias)', () => {
  test.each(configs.map((c) => ({ ...c, name: label(c) })))('gradcheck $name', (c) => {
    const f = (x: Variable, w: Variable, b: Variable): Variable => conv2d(x, w, b, { stride: c.stride, pad: c.pad });
    expect(gradcheck(f, [r64(c.x, 7), r64(c.w, 8), r64([c.w[0]], 9)], { name: `conv2d ${label(c)}` }).ok).toBe(true);
  });
  test('gradcheck without bias', () => {
    expect(gradcheck((x, w) => conv2d(x, w, null, { pad: 1 }), [r64([2, 2, 4, 4], 10), r64([3, 2, 3, 3], 11)]).ok).toBe(true);
  });
});

describe('conv2d bad input', () => {
  test('channel mismatch names both shapes', () => {
    expect(() => conv2dForward(zeros([1, 3, 5, 5]), zeros([6, 1, 5, 5]), null)).toThrow(
      'conv2d: x has C=3 channels but weight expects C=1 (x shape [1,3,5,5], weight shape [6,1,5,5])',
    );
  });
  test('a kernel larger than the padded input', () => {
    expect(() => conv2dForward(zeros([1, 1, 3, 3]), zeros([1, 1, 5, 5]), null)).toThrow(
      /conv2d: the 5×5 window is larger than the padded input 3×3 \(x \[1,1,3,3\], pad 0\)/,
    );
  });
  test('wrong bias length, 3-D x, zero stride', () => {
    expect(() => conv2dForward(zeros([1, 1, 5, 5]), zeros([2, 1, 3, 3]), zeros([3]))).toThrow(/bias must have shape \[2\]/);
    expect(() => conv2dForward(zeros([1, 5, 5]), zeros([2, 1, 3, 3]), null)).toThrow(/x must be 4-D \[N, C, H, W\], got shape \[1,5,5\]/);
    expect(() => conv2dForward(zeros([1, 1, 5, 5]), zeros([2, 1, 3, 3]), null, { stride: 0 })).toThrow(/stride must be a positive integer, got 0/);
  });
  test('mixed dtypes are refused', () => {
    expect(() => conv2dForward(zeros([1, 1, 5, 5]), zeros([2, 1, 3, 3], 'float64'), null)).toThrow(/x is float32, weight is float64/);
  });
});

// Winograd (kernels/winograd/): every LeNet shape (conv3 and conv4 forced; auto keeps them on
// GEMM) and odd ones: non-square, C = 1, OC = 1, sizes that leave partial tiles, padding.
const winogradConfigs: Array<{ x: number[]; w: number[]; pad: number; m: number }> = [
  { x: [3, 1, 28, 28], w: [20, 1, 5, 5], pad: 0, m: 8 }, // conv1
  { x: [3, 20, 12, 12], w: [50, 20, 5, 5], pad: 0, m: 8 }, // conv2 (auto's choice)
  { x: [3, 20, 12, 12], w: [50, 20, 5, 5], pad: 0, m: 4 },
  { x: [3, 20, 12, 12], w: [50, 20, 5, 5], pad: 0, m: 3 }, // 8 = 3 + 3 + 2: partial tiles
  { x: [2, 50, 4, 4], w: [500, 50, 4, 4], pad: 0, m: 2 }, // conv3
  { x: [2, 500, 1, 1], w: [10, 500, 1, 1], pad: 0, m: 2 }, // conv4
  { x: [2, 3, 11, 6], w: [4, 3, 5, 5], pad: 2, m: 4 },
  { x: [1, 1, 7, 9], w: [1, 1, 3, 3], pad: 1, m: 6 },
  { x: [2, 2, 9, 13], w: [3, 2, 5, 5], pad: 0, m: 5 },
  { x: [2, 3, 6, 6], w: [2, 3, 3, 3], pad: 0, m: 2 },
];
const winogradLabel = (c: (typeof winogradConfigs)[number]): string => `x=[${c.x}] w=[${c.w}] p=${c.pad} m=${c.m}`;

describe('conv2d: the Winograd path equals the direct reference (float64)', () => {
  test.each(winogradConfigs.map((c) => ({ ...c, name: winogradLabel(c) })))('forward and backward $name', (c) => {
    expectMatchesDirect(c.x, c.w, { pad: c.pad }, 1e-11, (x, w, b) => {
      const { y, saved } = conv2dForwardWinograd(x, w, b, { pad: c.pad }, c.m);
      return { y, backward: (dy) => conv2dBackwardWinograd(dy, x, w, saved, { dx: true, dWeight: true, dBias: true }) };
    });
  });

  test('only what is asked for is computed', () => {
    const x = r64([2, 2, 6, 6], 25);
    const w = r64([3, 2, 3, 3], 26);
    const { y, saved } = conv2dForwardWinograd(x, w, null, {}, 2);
    const g = conv2dBackwardWinograd(r64(y.shape as number[], 27), x, w, saved, { dx: true, dWeight: false, dBias: false });
    expect(g.dx).not.toBeNull();
    expect(g.dWeight).toBeNull();
    expect(g.dBias).toBeNull();
  });
});

describe('conv2d Winograd float64 gradcheck (every element of x, weight, bias)', () => {
  const small: Array<{ x: number[]; w: number[]; pad: number; m: number }> = [
    { x: [2, 2, 6, 6], w: [3, 2, 3, 3], pad: 0, m: 2 },
    { x: [1, 2, 7, 5], w: [2, 2, 3, 3], pad: 1, m: 4 }, // non-square, partial tiles, padding
    { x: [2, 1, 8, 8], w: [2, 1, 5, 5], pad: 0, m: 4 }, // C = 1, 5×5
    { x: [1, 2, 9, 9], w: [1, 2, 5, 5], pad: 2, m: 8 }, // OC = 1, one 12×12 tile... and a bit
  ];
  test.each(small.map((c) => ({ ...c, name: winogradLabel(c) })))('gradcheck $name', (c) => {
    const f = (x: Variable, w: Variable, b: Variable): Variable => conv2d(x, w, b, { pad: c.pad, algorithm: 'winograd', winogradTile: c.m });
    expect(gradcheck(f, [r64(c.x, 31), r64(c.w, 32), r64([c.w[0]], 33)], { name: `conv2d winograd ${winogradLabel(c)}` }).ok).toBe(true);
  });
});

describe('conv2d Winograd in float32 on the LeNet\'s real conv2 inputs', () => {
  test('y, dx and dWeight are within 1.2e-7 of the largest float64 value (the output rounding), for every m', () => {
    // conv2's inputs: 8 MNIST test images (minus the test set's mean image; only the smaller file
    // is read) through conv1 and pool1 of the LeNet
    const dir = defaultMnistDir();
    const test = loadIdxDataset(join(dir, MNIST_FILES.testImages), join(dir, MNIST_FILES.testLabels));
    const images = take({ images: subtractMean(test.images, meanImage(test.images)), labels: test.labels }, 8).images;
    const model = createLeNet({ seed: 0 });
    const [[, conv1], [, pool1], [, conv2]] = model.body.layers;
    const x = noGrad(() => pool1.forward(conv1.forward(constant(images)))).value; // [8, 20, 12, 12]
    const { weight, bias } = conv2 as Conv2d;
    const ref = conv2dForwardDirect(x.clone('float64'), weight.value.clone('float64'), bias.value.clone('float64'));
    const dy = randn(ref.shape as number[], { rng: 41 });
    const refGrad = conv2dBackwardDirect(dy.clone('float64'), x.clone('float64'), weight.value.clone('float64'));
    for (const m of WINOGRAD_TILES) {
      const { y, saved } = conv2dForwardWinograd(x, weight.value, bias.value, {}, m);
      expect(y.dtype).toBe('float32');
      expectClose(y.clone('float64'), ref, 1.2e-7);
      const g = conv2dBackwardWinograd(dy, x, weight.value, saved, { dx: true, dWeight: true, dBias: false });
      expectClose(g.dx!.clone('float64'), refGrad.dx, 1.2e-7);
      expectClose(g.dWeight!.clone('float64'), refGrad.dWeight, 1.2e-7);
    }
  });
});

describe('conv2d Winograd: a row does not depend on the rest of the batch', () => {
  test('rows 3..4 of a 6-row batch equal the same two rows alone, bit for bit (y and dx, float32, conv2 shape)', () => {
    const x = randn([6, 20, 12, 12], { rng: 51 });
    const w = randn([50, 20, 5, 5], { rng: 52, std: 0.05 });
    const dy = randn([6, 50, 8, 8], { rng: 53 });
    const whole = conv2dForwardWinograd(x, w, null, {}, 8);
    const dxWhole = conv2dBackwardWinograd(dy, x, w, whole.saved, { dx: true, dWeight: false, dBias: false }).dx!;
    const per = 20 * 12 * 12;
    const x2 = new Tensor(x.data.slice(3 * per, 5 * per), [2, 20, 12, 12]);
    const dy2 = new Tensor(dy.data.slice(3 * 3200, 5 * 3200), [2, 50, 8, 8]);
    const part = conv2dForwardWinograd(x2, w, null, {}, 8);
    const dxPart = conv2dBackwardWinograd(dy2, x2, w, part.saved, { dx: true, dWeight: false, dBias: false }).dx!;
    expect(Array.from(part.y.data)).toEqual(Array.from(whole.y.data.slice(3 * 3200, 5 * 3200)));
    expect(Array.from(dxPart.data)).toEqual(Array.from(dxWhole.data.slice(3 * per, 5 * per)));
  });
});

describe('conv2d Winograd under noGrad (V in reused scratch)', () => {
  test('gives the same y as with a graph, and does not disturb a pending backward pass', () => {
    const x = randn([3, 20, 12, 12], { rng: 61 });
    const w = parameter(randn([50, 20, 5, 5], { rng: 62, std: 0.05 }));
    const dy = randn([3, 50, 8, 8], { rng: 63 });
    const alone = conv2dForwardWinograd(x, w.value, null, {}, 8);
    const dWAlone = conv2dBackwardWinograd(dy, x, w.value, alone.saved, { dx: false, dWeight: true, dBias: false }).dWeight!;
    // a recorded forward, then noGrad forwards on other inputs (which overwrite the scratch), then its backward
    const xv = parameter(x);
    const y = conv2d(xv, w, null, { algorithm: 'winograd', winogradTile: 8 });
    const other = randn([3, 20, 12, 12], { rng: 64 });
    const yOther = noGrad(() => conv2d(constant(other), w, null, { algorithm: 'winograd', winogradTile: 8 }));
    expect(Array.from(yOther.value.data)).toEqual(Array.from(conv2dForwardWinograd(other, w.value, null, {}, 8).y.data));
    expect(Array.from(y.value.data)).toEqual(Array.from(alone.y.data));
    backward(sum(mul(y, constant(dy))));
    expect(Array.from(w.grad!.data)).toEqual(Array.from(dWAlone.data));
  });
});

describe('conv2d: choosing the algorithm', () => {
  const plan = (x: number[], w: number[], options = {}) => conv2dPlan(conv2dGeometry(zeros(x), zeros(w), null, options), options);
  test("'auto' takes Winograd F(8×8, 5×5) for LeNet's conv2 and GEMM for conv1, conv3, conv4 and strided convolutions", () => {
    expect(plan([100, 20, 12, 12], [50, 20, 5, 5])).toEqual({ algorithm: 'winograd', m: 8 });
    expect(plan([100, 1, 28, 28], [20, 1, 5, 5])).toEqual({ algorithm: 'gemm', m: 0 });
    expect(plan([100, 50, 4, 4], [500, 50, 4, 4])).toEqual({ algorithm: 'gemm', m: 0 });
    expect(plan([100, 500, 1, 1], [10, 500, 1, 1])).toEqual({ algorithm: 'gemm', m: 0 });
    expect(plan([1, 20, 12, 12], [50, 20, 5, 5], { stride: 2 })).toEqual({ algorithm: 'gemm', m: 0 });
  });
  test('an explicit algorithm wins; a forced Winograd on a strided convolution says why it cannot', () => {
    expect(plan([100, 20, 12, 12], [50, 20, 5, 5], { algorithm: 'gemm' })).toEqual({ algorithm: 'gemm', m: 0 });
    expect(plan([100, 1, 28, 28], [20, 1, 5, 5], { algorithm: 'winograd' })).toEqual({ algorithm: 'winograd', m: 4 });
    expect(plan([100, 20, 12, 12], [50, 20, 5, 5], { algorithm: 'winograd', winogradTile: 2 })).toEqual({ algorithm: 'winograd', m: 2 });
    expect(() => plan([1, 2, 8, 8], [3, 2, 3, 3], { algorithm: 'winograd', stride: 2 })).toThrow(
      'conv2d: the Winograd path needs stride 1 and a square kernel, got stride 2 and a 3×3 kernel',
    );
    expect(() => plan([1, 2, 8, 8], [3, 2, 3, 3], { algorithm: 'fast' })).toThrow(/conv2d: options.algorithm must be one of auto, winograd, gemm, direct, got "fast"/);
  });
  test('every algorithm gives the same y and gradients, and a Conv2d module runs the one it was built with', () => {
    const x = r64([2, 3, 9, 9], 61);
    const w = r64([4, 3, 5, 5], 62);
    const b = r64([4], 63);
    const results = (['winograd', 'gemm', 'direct'] as const).map((algorithm) => {
      const [xv, wv, bv] = [parameter(x), parameter(w), parameter(b)];
      const y = conv2d(xv, wv, bv, { pad: 1, algorithm });
      backward(sum(y));
      // the module with this algorithm gives the op's bits exactly (and so runs that path)
      const layer = new Conv2d(3, 4, 5, { pad: 1, algorithm, rng: new Rng(0), dtype: 'float64' });
      layer.weight.value.data.set(w.data);
      layer.bias.value.data.set(b.data);
      expect(Array.from(layer.forward(constant(x)).value.data)).toEqual(Array.from(y.value.data));
      return [y.value, xv.grad!, wv.grad!, bv.grad!];
    });
    for (const other of results.slice(1)) other.forEach((t, i) => expectClose(t, results[0][i], 1e-11));
    expect(() => new Conv2d(1, 1, 3, { algorithm: 'fast' as never, rng: new Rng(0) })).toThrow(/Conv2d options.algorithm must be one of auto, winograd, gemm, direct, got "fast"/);
  });
});
