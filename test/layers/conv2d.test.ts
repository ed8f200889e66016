import { describe, expect, test } from 'vitest';
import { backward } from '../../src/autograd/backward.ts';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import { sum } from '../../src/autograd/reduce.ts';
import { parameter, type Variable } from '../../src/autograd/variable.ts';
import { conv2d, conv2dBackward, conv2dBackwardDirect, conv2dForward, conv2dForwardDirect } from '../../src/layers/conv2d.ts';
import { randn, tensor, zeros } from '../../src/tensor/create.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';

const r64 = (shape: number[], seed: number): Tensor => randn(shape, { rng: seed, dtype: 'float64' });

function expectClose(a: Tensor, b: Tensor, rel: number): void {
  expect(a.shape).toEqual(b.shape);
  let scale = 0;
  for (const v of b.data) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < a.size; i++) expect(Math.abs(a.data[i] - b.data[i])).toBeLessThanOrEqual(rel * Math.max(scale, 1e-300));
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
    const x = r64(c.x, 1);
    const w = r64(c.w, 2);
    const b = r64([c.w[0]], 3);
    const { y, lowered } = conv2dForward(x, w, b, c);
    expectClose(y, conv2dForwardDirect(x, w, b, c), 1e-12);
    const dy = r64(y.shape as number[], 4);
    const fast = conv2dBackward(dy, x, w, lowered, c, { dx: true, dWeight: true, dBias: true });
    const ref = conv2dBackwardDirect(dy, x, w, c);
    expectClose(fast.dx!, ref.dx, 1e-12);
    expectClose(fast.dWeight!, ref.dWeight, 1e-12);
    expectClose(fast.dBias!, ref.dBias, 1e-12);
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
