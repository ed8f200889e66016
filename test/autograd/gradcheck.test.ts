import { describe, expect, test } from 'vitest';
import { mul } from '../../src/autograd/arithmetic.ts';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import { defineOp, parameter, type Variable } from '../../src/autograd/variable.ts';
import { randn } from '../../src/tensor/create.ts';
import * as k from '../../src/tensor/elementwise.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

/** square with a backward that is wrong at exactly one index: the checker must find it. */
const badSquare = defineOp('badSquare', (x: Variable) => ({
  value: k.mul(x.value, x.value),
  backward: (dy) => {
    const dx = k.scale(k.mul(dy, x.value), 2);
    dx.data[4] *= 1.5; // the planted bug, at flat index 4 = [1,1] of a [3,3] input
    return [dx];
  },
}));

/** A backward that ignores the cotangent's index order: passes with dy = 1, fails with random r. */
const reversedGrad = defineOp('reversedGrad', (x: Variable) => ({
  value: k.scale(x.value, 3),
  backward: (dy) => [new Tensor(Float64Array.from(dy.data).reverse().map((v) => 3 * v), x.shape)],
}));

/** A backward that keeps state between calls: not reentrant. */
let calls = 0;
const stateful = defineOp('stateful', (x: Variable) => ({
  value: k.scale(x.value, 2),
  backward: (dy) => [k.scale(dy, 2 + 1e-3 * calls++)],
}));

describe('gradcheck, the checker itself', () => {
  test('passes a correct op and reports how many comparisons it made', () => {
    const r = gradcheck((x, y) => mul(x, y), [randn([2, 3], { rng: 1, dtype: 'float64' }), randn([2, 3], { rng: 2, dtype: 'float64' })], { name: 'mul' });
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(12);
    expect(r.message).toMatch(/gradcheck\(mul\): 12 comparisons passed/);
  });

  test('a deliberately wrong backward fails, naming the op, input and index', () => {
    const x = randn([3, 3], { rng: 3, dtype: 'float64' });
    expect(() => gradcheck((v) => badSquare(v), [x], { name: 'badSquare' })).toThrow(
      /gradcheck\(badSquare\) failed[\s\S]*input 0 \(shape \[3,3\]\) element 4 \[1,1\]: analytic .* vs numeric/,
    );
    const r = gradcheck((v) => badSquare(v), [x], { raise: false });
    expect(r.ok).toBe(false);
    expect(r.failures.map((f) => f.index)).toEqual([4]);
  });

  test('an index-permuting backward fails (the random cotangent catches what dy = 1 would not)', () => {
    const r = gradcheck((v) => reversedGrad(v), [randn([5], { rng: 4, dtype: 'float64' })], { raise: false });
    expect(r.ok).toBe(false);
  });

  test('a non-reentrant backward fails', () => {
    const r = gradcheck((v) => stateful(v), [randn([3], { rng: 5, dtype: 'float64' })], { raise: false, atol: 1, rtol: 1 });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/not reentrant/);
  });

  test('projected mode also catches the planted bug (through its sampled coordinates)', () => {
    const x = randn([3, 3], { rng: 6, dtype: 'float64' });
    const r = gradcheck((v) => badSquare(v), [x], { mode: 'projected', samples: 9, raise: false });
    expect(r.ok).toBe(false);
  });

  test('projected mode passes a correct op, and checks Variables in place, restoring them', () => {
    const a = parameter(randn([4, 4], { rng: 7, dtype: 'float64' }));
    const before = Float64Array.from(a.value.data);
    const r = gradcheck((v) => mul(v, v), [a], { mode: 'projected', samples: 5 });
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(1 + 5);
    expect(Array.from(a.value.data)).toEqual(Array.from(before));
  });

  test('float32 input is refused with a clear error', () => {
    expect(() => gradcheck((v) => mul(v, v), [randn([2], { rng: 1 })], { name: 'mul' })).toThrow(
      /gradcheck\(mul\): input 0 \(shape \[2\]\) is float32; gradcheck needs float64 inputs/,
    );
  });
});
