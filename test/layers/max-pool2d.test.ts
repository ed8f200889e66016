import { describe, expect, test } from 'vitest';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import { noGrad, variable } from '../../src/autograd/variable.ts';
import { maxPool2d, maxPool2dBackward, maxPool2dForward } from '../../src/layers/max-pool2d.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { tensor, zeros } from '../../src/tensor/create.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

/**
 * Inputs for max-pool gradchecks: distinct values at least 1e-2 apart (a shuffled grid), so no
 * window has a tie within the finite-difference step and the max is differentiable.
 */
function distinct(shape: number[], seed: number): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const perm = new Rng(seed).permutation(size);
  return new Tensor(Float64Array.from(perm, (v) => (v - size / 2) * 0.01), shape);
}

describe('maxPool2d by hand', () => {
  test('2×2 windows, stride 2, on a 4×4 input', () => {
    const x = tensor([1, 2, 5, 0, 3, 4, 1, 1, 9, 8, 0, 0, 7, 6, 0, 2], [1, 1, 4, 4]);
    const { y, argmax } = maxPool2dForward(x, { size: 2, stride: 2 });
    expect(y.toArray()).toEqual([4, 5, 9, 2]);
    expect(Array.from(argmax)).toEqual([5, 2, 8, 15]);
    const dx = maxPool2dBackward(tensor([10, 20, 30, 40], [1, 1, 2, 2]), x, argmax);
    expect(dx.toArray()).toEqual([0, 0, 20, 0, 0, 10, 0, 0, 30, 0, 0, 0, 0, 0, 0, 40]);
  });

  test('ties go to the first maximum in row-major window order', () => {
    const x = tensor([3, 3, 3, 3], [1, 1, 2, 2]);
    const { argmax } = maxPool2dForward(x, { size: 2 });
    expect(Array.from(argmax)).toEqual([0]);
  });

  test('overlapping windows (size 3, stride 1) add their gradients at a shared maximum', () => {
    const x = tensor([0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], [1, 1, 4, 4]);
    const { y, argmax } = maxPool2dForward(x, { size: 3, stride: 1 }); // all four windows hold x[1,1] = 9
    expect(y.toArray()).toEqual([9, 9, 9, 9]);
    const dx = maxPool2dBackward(tensor([1, 2, 3, 4], [1, 1, 2, 2]), x, argmax);
    expect(dx.data[5]).toBe(10);
    expect(dx.toArray().reduce((a, b) => a + b, 0)).toBe(10);
  });

  test('an odd size with stride 2 drops the last row and column (floor formula)', () => {
    const { y } = maxPool2dForward(zeros([1, 1, 5, 5]), { size: 2, stride: 2 });
    expect(y.shape).toEqual([1, 1, 2, 2]);
  });

  test('padding cells never win, even against negative inputs', () => {
    const x = tensor([-5, -6, -7, -8], [1, 1, 2, 2]);
    const { y } = maxPool2dForward(x, { size: 2, stride: 2, pad: 1 });
    expect(y.toArray()).toEqual([-5, -6, -7, -8]);
  });
});

/** The definition, as slowly as possible: every window scanned in row-major order, first maximum wins. */
function maxPoolReference(x: Tensor, size: number, stride: number): { y: number[]; argmax: number[] } {
  const [N, C, H, W] = x.shape;
  const OH = Math.floor((H - size) / stride) + 1;
  const OW = Math.floor((W - size) / stride) + 1;
  const y: number[] = [];
  const argmax: number[] = [];
  for (let plane = 0; plane < N * C; plane++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        let at = -1;
        for (let kh = 0; kh < size; kh++)
          for (let kw = 0; kw < size; kw++) {
            const i = (plane * H + oh * stride + kh) * W + ow * stride + kw;
            if (at < 0 || x.data[i] > x.data[at]) at = i;
          }
        y.push(x.data[at]);
        argmax.push(at);
      }
  return { y, argmax };
}

describe('maxPool2d fast paths equal the definition, ties included', () => {
  // values from {0, 1, 2}: most windows hold ties, so the tie rule is exercised everywhere
  test.each([
    { shape: [3, 4, 24, 24], size: 2, stride: 2 }, // 2×2 stride-2 path (the LeNet's conv1 pool)
    { shape: [2, 3, 9, 7], size: 2, stride: 2 }, // 2×2 path, odd sizes drop the last row and column
    { shape: [2, 3, 9, 7], size: 3, stride: 2 }, // general unpadded path
    { shape: [1, 2, 8, 8], size: 2, stride: 1 }, // general unpadded path, overlapping 2×2
  ])('x=$shape size $size stride $stride, float32 and float64', ({ shape, size, stride }) => {
    const rng = new Rng(shape.reduce((a, b) => a * b, size));
    const n = shape.reduce((a, b) => a * b, 1);
    const x64 = new Tensor(Float64Array.from({ length: n }, () => rng.int(3)), shape);
    const ref = maxPoolReference(x64, size, stride);
    for (const x of [x64, x64.clone('float32')]) {
      const { y, argmax } = maxPool2dForward(x, { size, stride });
      expect(Array.from(argmax)).toEqual(ref.argmax);
      expect(y.toArray()).toEqual(ref.y);
    }
  });

  test('the branch-free 2×2 scan treats NaN and ±∞ as the row-major scan does (NaN never replaces a maximum)', () => {
    // every ordered 4-tuple over these values, one window each: first cell NaN keeps NaN, a later NaN is skipped
    const values = [NaN, -Infinity, Infinity, -1, 0, 2];
    const cells: number[] = [];
    for (const a of values) for (const b of values) for (const c of values) for (const d of values) cells.push(a, b, c, d);
    const windows = cells.length / 4;
    // window w at rows 0..1, columns 2w..2w+1 of a [1, 1, 2, 2·windows] image
    const x = new Tensor(new Float64Array(cells.length), [1, 1, 2, 2 * windows]);
    for (let w = 0; w < windows; w++) {
      x.data[2 * w] = cells[4 * w];
      x.data[2 * w + 1] = cells[4 * w + 1];
      x.data[2 * windows + 2 * w] = cells[4 * w + 2];
      x.data[2 * windows + 2 * w + 1] = cells[4 * w + 3];
    }
    const ref = maxPoolReference(x, 2, 2);
    for (const input of [x, x.clone('float32')]) {
      const { y, argmax } = maxPool2dForward(input, { size: 2 });
      expect(Array.from(argmax)).toEqual(ref.argmax);
      expect(Array.from(y.data)).toEqual(ref.y);
    }
  });

  test('under noGrad the op gives the same values (its argmax goes to a reused buffer) and records no graph', () => {
    const rng = new Rng(7);
    const x = new Tensor(Float32Array.from({ length: 2 * 3 * 8 * 8 }, () => rng.normal()), [2, 3, 8, 8]);
    const expected = maxPool2dForward(x, { size: 2 }).y.toArray();
    const first = noGrad(() => maxPool2d(variable(x), { size: 2 }));
    expect(first.value.toArray()).toEqual(expected);
    expect(first.requiresGrad).toBe(false);
    // a second, larger call reuses or grows the buffer and leaves the first result untouched
    const big = new Tensor(Float32Array.from({ length: 4 * 3 * 8 * 8 }, () => rng.normal()), [4, 3, 8, 8]);
    expect(noGrad(() => maxPool2d(variable(big), { size: 2 })).value.toArray()).toEqual(maxPool2dForward(big, { size: 2 }).y.toArray());
    expect(first.value.toArray()).toEqual(expected);
  });
});

const configs = [
  { x: [1, 1, 4, 4], size: 2, stride: 2, pad: 0 },
  { x: [2, 3, 6, 5], size: 2, stride: 2, pad: 0 },
  { x: [2, 2, 5, 5], size: 3, stride: 2, pad: 1 },
  { x: [1, 2, 5, 4], size: 3, stride: 1, pad: 0 },
  { x: [2, 1, 7, 7], size: 2, stride: 3, pad: 1 },
];

describe('maxPool2d float64 gradcheck (inputs ≥ 1e-2 from ties)', () => {
  test.each(configs.map((c) => ({ ...c, name: `x=[${c.x}] k=${c.size} s=${c.stride} p=${c.pad}` })))('gradcheck $name', (c) => {
    const r = gradcheck((x) => maxPool2d(x, { size: c.size, stride: c.stride, pad: c.pad }), [distinct(c.x, 3)], { name: `maxPool2d ${c.name}` });
    expect(r.ok).toBe(true);
  });
});

describe('maxPool2d bad input', () => {
  test('window larger than the input', () => {
    expect(() => maxPool2dForward(zeros([1, 1, 2, 2]), { size: 3 })).toThrow(/maxPool2d: the 3×3 window is larger than the padded input 2×2/);
  });
  test('pad not smaller than size', () => {
    expect(() => maxPool2dForward(zeros([1, 1, 4, 4]), { size: 2, pad: 2 })).toThrow(/pad 2 must be smaller than the window size 2/);
  });
});
