/**
 * The DLR loss (layers/dlr-loss.ts): its value against a hand computation, its invariance to a
 * positive scale and a shift of the logits, and its gradient against central differences.
 */
import { describe, expect, test } from 'vitest';
import { backward } from '../../src/autograd/backward.ts';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import { parameter } from '../../src/autograd/variable.ts';
import { dlrPerExample, dlrTargetedPerExample } from '../../src/layers/dlr-loss.ts';
import { randn, tensor } from '../../src/tensor/create.ts';
import { Rng } from '../../src/tensor/rng.ts';

describe('DLR by hand: z = [1, 5, 2, 4] (sorted: 5, 4, 2, 1)', () => {
  const z = (): ReturnType<typeof parameter> => parameter(tensor([[1, 5, 2, 4]], undefined, 'float64'));

  test('untargeted, label 0 (misclassified): −(1 − 5)/(5 − 2) = 4/3', () => {
    expect(dlrPerExample(z(), [0]).value.toArray()[0]).toBeCloseTo(4 / 3, 12);
  });

  test('untargeted, label 1 (correct): −(5 − 4)/(5 − 2) = −1/3, gradient by hand', () => {
    const v = z();
    const l = dlrPerExample(v, [1]);
    expect(l.value.toArray()[0]).toBeCloseTo(-1 / 3, 12);
    backward(l, tensor([1], [1], 'float64'));
    // u = z1 − z3 = 1, d = z1 − z2 = 3: ∂ℓ/∂z1 = −1/3 + 1/9, ∂ℓ/∂z3 = +1/3, ∂ℓ/∂z2 = −1/9
    const g = v.grad!.toArray();
    [0, -1 / 3 + 1 / 9, -1 / 9, 1 / 3].forEach((e, k) => expect(g[k]).toBeCloseTo(e, 12));
  });

  test('targeted, label 1, target 2: −(5 − 2)/(5 − (2 + 1)/2) = −6/7', () => {
    expect(dlrTargetedPerExample(z(), [1], [2]).value.toArray()[0]).toBeCloseTo(-6 / 7, 12);
  });

  test('unchanged by z ↦ 3z + 7', () => {
    const shifted = parameter(tensor([[10, 22, 13, 19]], undefined, 'float64'));
    expect(dlrPerExample(shifted, [1]).value.toArray()[0]).toBeCloseTo(-1 / 3, 12);
    expect(dlrTargetedPerExample(shifted, [1], [2]).value.toArray()[0]).toBeCloseTo(-6 / 7, 12);
  });

  test('too few classes is a clear error', () => {
    expect(() => dlrPerExample(parameter(tensor([[1, 2]])), [0])).toThrow('dlrPerExample: needs at least 3 classes');
    expect(() => dlrTargetedPerExample(parameter(tensor([[1, 2, 3]])), [0], [1])).toThrow('dlrTargetedPerExample: needs at least 4 classes');
  });
});

describe('gradcheck (float64, every element, seeded cotangent)', () => {
  const rng = new Rng(11);
  test.each([
    [1, 4],
    [3, 10],
    [5, 6],
  ])('DLR and targeted DLR, z = [%i, %i]', (N, K) => {
    const z = randn([N, K], { rng, std: 2, dtype: 'float64' }); // ties have probability 0: no kink at hand
    const labels = Array.from({ length: N }, (_, n) => (n * 3) % K);
    const targets = labels.map((y) => (y + 1 + (y % 2)) % K);
    expect(gradcheck((v) => dlrPerExample(v, labels), [z], { name: 'dlr' }).ok).toBe(true);
    expect(gradcheck((v) => dlrTargetedPerExample(v, labels, targets), [z], { name: 'dlrTargeted' }).ok).toBe(true);
  });
});
