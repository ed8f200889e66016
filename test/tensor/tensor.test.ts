import { describe, expect, test } from 'vitest';
import { full, ones, randn, tensor, uniform, zeros } from '../../src/tensor/create.ts';
import { add, dot, mul, scale, sub } from '../../src/tensor/elementwise.ts';
import { matmul } from '../../src/kernels/gemm/matmul.ts';
import { argmaxRows, sumAll } from '../../src/tensor/reduce.ts';
import { stridesOf, unravelIndex } from '../../src/tensor/shape.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

describe('Tensor', () => {
  test('nested arrays infer the shape, row-major', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('flat data with a shape and dtype', () => {
    const t = tensor([1, 2, 3, 4, 5, 6], [3, 2], 'float64');
    expect(t.dtype).toBe('float64');
    expect(t.data).toBeInstanceOf(Float64Array);
    expect(t.shape).toEqual([3, 2]);
  });

  test('a scalar has shape [] and size 1', () => {
    const t = tensor(7);
    expect(t.shape).toEqual([]);
    expect(t.item()).toBe(7);
  });

  test('zeros, ones, full', () => {
    expect(zeros([2, 2]).toArray()).toEqual([0, 0, 0, 0]);
    expect(ones([3], 'float64').toArray()).toEqual([1, 1, 1]);
    expect(full([2], 2.5).toArray()).toEqual([2.5, 2.5]);
  });

  test('reshape keeps the data and its order', () => {
    const t = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const r = t.reshape([3, 2]);
    expect(r.shape).toEqual([3, 2]);
    expect(r.toArray()).toEqual(t.toArray());
    expect(r.data).toBe(t.data);
  });

  test('strides and unravelIndex are row-major', () => {
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(unravelIndex(23, [2, 3, 4])).toEqual([1, 2, 3]);
    expect(unravelIndex(5, [2, 3, 4])).toEqual([0, 1, 1]);
  });

  test('wrong data length names the shape and both sizes', () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/tensor: shape \[2,2\] needs 4 elements but data has 3/);
    expect(() => new Tensor(new Float32Array(5), [2, 3])).toThrow(/shape \[2,3\] needs 6 elements but data has 5/);
  });

  test('NaN, negative and fractional dimensions are rejected by name', () => {
    expect(() => zeros([2, NaN])).toThrow(/zeros: shape \[2,NaN\] has dimension 1 = NaN/);
    expect(() => zeros([-1])).toThrow(/dimension 0 = -1; expected a non-negative integer/);
    expect(() => zeros([1.5])).toThrow(/dimension 0 = 1.5/);
  });

  test('reshape to a different size is an error naming both shapes', () => {
    expect(() => zeros([2, 3]).reshape([4, 2])).toThrow(/cannot view shape \[2,3\] \(6 elements\) as \[4,2\] \(8 elements\)/);
  });

  test('ragged nested arrays are rejected', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
  });

  test('non-typed-array storage is rejected', () => {
    expect(() => new Tensor([1, 2] as unknown as Float32Array, [2])).toThrow(/Float32Array or Float64Array, got Array/);
  });
});

describe('elementwise kernels', () => {
  const x = tensor([1, 2, 3, 4], [2, 2]);
  const y = tensor([10, 20, 30, 40], [2, 2]);
  test('add, sub, mul, scale, dot by hand', () => {
    expect(add(x, y).toArray()).toEqual([11, 22, 33, 44]);
    expect(sub(y, x).toArray()).toEqual([9, 18, 27, 36]);
    expect(mul(x, y).toArray()).toEqual([10, 40, 90, 160]);
    expect(scale(x, -2).toArray()).toEqual([-2, -4, -6, -8]);
    expect(dot(x, y)).toBe(300);
  });
  test('outputs keep the input dtype', () => {
    const a = tensor([1, 2], [2], 'float64');
    expect(add(a, a).dtype).toBe('float64');
  });
  test('mismatched shapes name the op and both shapes', () => {
    expect(() => add(x, tensor([1, 2, 3], [3]))).toThrow(/add: x has shape \[2,2\] but y has shape \[3\]/);
    expect(() => mul(x, zeros([4]))).toThrow(/mul: x has shape \[2,2\] but y has shape \[4\]/);
  });
});

describe('reductions', () => {
  const x = tensor([[1, 5, 5], [-2, -1, -3]]);
  test('sum and first argmax by hand', () => {
    expect(sumAll(x)).toBe(5);
    expect(Array.from(argmaxRows(x))).toEqual([1, 1]); // ties go to the first maximum
  });
  test('rows of -Infinity still have an argmax (no sentinel)', () => {
    expect(Array.from(argmaxRows(tensor([[-Infinity, -Infinity]])))).toEqual([0]);
  });
  test('1-D input is an error', () => {
    expect(() => argmaxRows(zeros([3]))).toThrow(/argmaxRows: x must be 2-D \[N, K\], got shape \[3\]/);
  });
});

describe('matmul', () => {
  test('a 2×3 by 3×2 product by hand', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    const b = tensor([[7, 8], [9, 10], [11, 12]]);
    expect(matmul(a, b).toArray()).toEqual([58, 64, 139, 154]);
  });
  test('transposed operands equal the explicit product', () => {
    const a = randn([4, 3], { rng: 1, dtype: 'float64' });
    const b = randn([5, 4], { rng: 2, dtype: 'float64' });
    const aT = tensor(Array.from({ length: 12 }, (_, i) => a.data[(i % 4) * 3 + Math.floor(i / 4)]), [3, 4], 'float64');
    const viaTrans = matmul(a, b, { transX: true, transY: true }); // aᵀ·bᵀ = [3,5]
    const bT = tensor(Array.from({ length: 20 }, (_, i) => b.data[(i % 5) * 4 + Math.floor(i / 5)]), [4, 5], 'float64');
    const explicit = matmul(aT, bT);
    expect(viaTrans.shape).toEqual([3, 5]);
    viaTrans.data.forEach((v, i) => expect(v).toBeCloseTo(explicit.data[i], 12));
  });
  test('inner dimension mismatch names both shapes', () => {
    expect(() => matmul(zeros([2, 3]), zeros([2, 3]))).toThrow(/matmul: inner dimensions differ: x is 2×3 \(x \[2,3\]\) but y is 2×3 \(y \[2,3\]\)/);
  });
});

describe('random creation', () => {
  test('the same seed gives the same numbers; another seed does not', () => {
    expect(randn([50], { rng: 3 }).toArray()).toEqual(randn([50], { rng: 3 }).toArray());
    expect(randn([50], { rng: 3 }).toArray()).not.toEqual(randn([50], { rng: 4 }).toArray());
  });
  test('uniform stays in [low, high)', () => {
    const u = uniform([10000], { rng: 5, low: -2, high: 3 });
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u.data)).toBeLessThan(3);
  });
  test('an Rng passed in place of the options object is an error, not a silent seed 0', () => {
    const misuse = (f: typeof randn | typeof uniform) => () => f([3], new Rng(2) as unknown as Parameters<typeof f>[1]);
    expect(misuse(randn)).toThrow(/randn: the second argument is an options object such as \{ rng \}, got an Rng/);
    expect(misuse(uniform)).toThrow(/uniform: the second argument/);
    expect(randn([3], { rng: new Rng(2) }).toArray()).toEqual(randn([3], { rng: 2 }).toArray());
  });
});
