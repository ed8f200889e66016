import { describe, expect, test } from 'vitest';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import { flatten } from '../../src/autograd/reshape.ts';
import { linear, linearForward } from '../../src/layers/linear.ts';
import { relu, reluBackward, reluForward } from '../../src/layers/relu.ts';
import { randn, tensor, zeros } from '../../src/tensor/create.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

/** Normal draws pushed at least 1e-3 away from ReLU's kink at 0. */
function awayFromZero(shape: number[], seed: number): Tensor {
  const t = randn(shape, { rng: seed, dtype: 'float64' });
  for (let i = 0; i < t.size; i++) if (Math.abs(t.data[i]) < 1e-3) t.data[i] = t.data[i] < 0 ? -1e-3 : 1e-3;
  return t;
}

describe('relu', () => {
  test('by hand, with subgradient 0 at 0', () => {
    const x = tensor([-2, 0, 3]);
    expect(reluForward(x).toArray()).toEqual([0, 0, 3]);
    expect(reluBackward(tensor([5, 5, 5]), x).toArray()).toEqual([0, 0, 5]);
  });
  test.each([[[7]], [[3, 4]], [[2, 3, 4, 5]]])('gradcheck x=%j', (shape) => {
    expect(gradcheck((x) => relu(x), [awayFromZero(shape, 1)], { name: 'relu' }).ok).toBe(true);
  });
  test('property: relu(x) ≥ 0 and relu(x) = x where x > 0 (100 seeded cases)', () => {
    const rng = new Rng(2);
    for (let c = 0; c < 100; c++) {
      const x = randn([1 + rng.int(20)], { rng });
      const y = reluForward(x);
      y.data.forEach((v, i) => {
        expect(v).toBeGreaterThanOrEqual(0);
        if (x.data[i] > 0) expect(v).toBe(x.data[i]);
      });
    }
  });
});

describe('linear', () => {
  test('by hand: y = x·Wᵀ + b', () => {
    const y = linearForward(tensor([[1, 2]]), tensor([[1, 0], [0, 1], [1, 1]]), tensor([0, 10, 100]));
    expect(y.toArray()).toEqual([1, 12, 103]);
  });
  test.each([[1, 1, 1], [2, 3, 4], [5, 4, 2]])('gradcheck x=[%i,%i] w=[%i,·]', (N, IN, OUT) => {
    const inputs = [randn([N, IN], { rng: 1, dtype: 'float64' }), randn([OUT, IN], { rng: 2, dtype: 'float64' }), randn([OUT], { rng: 3, dtype: 'float64' })];
    expect(gradcheck((x, w, b) => linear(x, w, b), inputs, { name: 'linear' }).ok).toBe(true);
  });
  test('feature mismatch names both shapes', () => {
    expect(() => linearForward(zeros([2, 3]), zeros([4, 5]), null)).toThrow('linear: x has 3 features (x [2,3]) but weight expects 5 (weight [4,5])');
  });
  test('flatten → linear composes (gradcheck)', () => {
    const inputs = [randn([2, 2, 2, 2], { rng: 4, dtype: 'float64' }), randn([3, 8], { rng: 5, dtype: 'float64' })];
    expect(gradcheck((x, w) => linear(flatten(x), w, null), inputs).ok).toBe(true);
  });
});
