import { describe, expect, test } from 'vitest';
import { add, mul, scale } from '../../src/autograd/arithmetic.ts';
import { backward } from '../../src/autograd/backward.ts';
import { sum } from '../../src/autograd/reduce.ts';
import { constant, noGrad, parameter, Variable } from '../../src/autograd/variable.ts';
import { tensor } from '../../src/tensor/create.ts';

const p = (values: number[]): Variable => parameter(tensor(values, [values.length], 'float64'));

describe('backward engine', () => {
  test('fan-out: a node used twice receives the sum (d/dx of x·x is 2x)', () => {
    const x = p([3, -2]);
    backward(sum(mul(x, x)));
    expect(x.grad!.toArray()).toEqual([6, -4]);
  });

  test('diamond: y = a + b with a = 2x and b = 3x gives dy/dx = 5', () => {
    const x = p([1, 2, 3]);
    const a = scale(x, 2);
    const b = scale(x, 3);
    backward(sum(add(a, b)));
    expect(x.grad!.toArray()).toEqual([5, 5, 5]);
  });

  test('two backwards accumulate into leaves until zeroGrad', () => {
    const x = p([1, 2]);
    backward(sum(scale(x, 3)));
    backward(sum(scale(x, 3)));
    expect(x.grad!.toArray()).toEqual([6, 6]);
    x.zeroGrad();
    backward(sum(scale(x, 3)));
    expect(x.grad!.toArray()).toEqual([3, 3]);
  });

  test('the grad of an input that is not a parameter is available (what FGSM uses)', () => {
    const w = p([2, 5]);
    const x = new Variable(tensor([1, 1], [2], 'float64'), { requiresGrad: true });
    backward(sum(mul(w, x)));
    expect(x.grad!.toArray()).toEqual([2, 5]);
  });

  test('inputs that need no gradient get none, and their backward work is skipped', () => {
    const w = p([2, 5]);
    const c = constant(tensor([1, 1], [2], 'float64'));
    backward(sum(mul(w, c)));
    expect(c.grad).toBeNull();
    expect(w.grad!.toArray()).toEqual([1, 1]);
  });

  test('noGrad builds no graph', () => {
    const x = p([1, 2]);
    const y = noGrad(() => sum(mul(x, x)));
    expect(y.requiresGrad).toBe(false);
    expect(y.inputs.length).toBe(0);
    expect(() => backward(y)).toThrow(/does not require a gradient/);
  });

  test('detach stops gradients', () => {
    const x = p([1, 2]);
    const y = sum(mul(x, x.detach()));
    backward(y);
    expect(x.grad!.toArray()).toEqual([1, 2]);
  });

  test('a 10,000-op chain runs without stack overflow and gives the right gradient', () => {
    const x = p([1]);
    let y: Variable = x;
    for (let i = 0; i < 10_000; i++) y = add(y, x);
    backward(sum(y));
    expect(x.grad!.toArray()).toEqual([10_001]);
  });

  test('a non-scalar root without a seed is a clear error', () => {
    const x = p([1, 2]);
    expect(() => backward(scale(x, 2))).toThrow(/backward: root has shape \[2\]; pass a seed gradient/);
  });

  test('a seed of the wrong shape is a clear error', () => {
    const x = p([1, 2]);
    expect(() => backward(scale(x, 2), tensor([1, 2, 3], [3], 'float64'))).toThrow(/seed has shape \[3\] but root has shape \[2\]/);
  });
});
