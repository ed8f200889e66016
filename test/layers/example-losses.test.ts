import { describe, expect, test } from 'vitest';
import { backward } from '../../src/autograd/backward.ts';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import { parameter } from '../../src/autograd/variable.ts';
import { crossEntropyPerExample, marginPerExample } from '../../src/layers/example-losses.ts';
import { softmaxCrossEntropy } from '../../src/layers/softmax-cross-entropy.ts';
import { randn, tensor } from '../../src/tensor/create.ts';
import { Rng } from '../../src/tensor/rng.ts';

describe('per-example losses by hand', () => {
  test('margin of [1, 5, 2] for label 0 is 5 − 1 = 4; gradient +1 at the runner-up, −1 at the label', () => {
    const z = parameter(tensor([[1, 5, 2]], undefined, 'float64'));
    const m = marginPerExample(z, [0]);
    expect(m.value.toArray()).toEqual([4]);
    backward(m, tensor([1], [1], 'float64'));
    expect(z.grad!.toArray()).toEqual([-1, 1, 0]);
  });

  test('margin is negative on a correct row: [3, 1, 2] for label 0 is 2 − 3 = −1', () => {
    expect(marginPerExample(parameter(tensor([[3, 1, 2]], undefined, 'float64')), [0]).value.toArray()).toEqual([-1]);
  });

  test('cross-entropy per row averages to softmaxCrossEntropy', () => {
    const z = randn([5, 7], { rng: 1, std: 3, dtype: 'float64' });
    const labels = [0, 6, 3, 2, 2];
    const rows = crossEntropyPerExample(parameter(z), labels).value.toArray();
    const mean = softmaxCrossEntropy(parameter(z), labels).value.item();
    expect(rows.reduce((a, b) => a + b) / 5).toBeCloseTo(mean, 12);
  });

  test('a saturated row: the margin keeps a ±1 gradient where the cross-entropy one vanishes (float32)', () => {
    const z = parameter(tensor([[200, 0, 0]]));
    backward(crossEntropyPerExample(z, [0]), tensor([1], [1]));
    expect(z.grad!.toArray().every((g) => g === 0)).toBe(true);
    z.grad = null;
    backward(marginPerExample(z, [0]), tensor([1], [1]));
    expect(z.grad!.toArray()).toEqual([-1, 1, 0]);
  });

  test('bad logits and labels are clear errors', () => {
    expect(() => marginPerExample(parameter(tensor([1, 2, 3])), [0])).toThrow('marginPerExample: logits must be 2-D [N, K], got shape [3]');
    expect(() => marginPerExample(parameter(tensor([[1]])), [0])).toThrow('marginPerExample: needs at least 2 classes');
    expect(() => crossEntropyPerExample(parameter(tensor([[1, 2]])), [2])).toThrow('label 0 is 2, outside the K=2 classes');
  });
});

describe('gradcheck (float64, every element, seeded cotangent)', () => {
  const rng = new Rng(7);
  test.each([
    [1, 2],
    [3, 10],
    [6, 4],
  ])('margin and cross-entropy z=[%i,%i]', (N, K) => {
    const z = randn([N, K], { rng, std: 2, dtype: 'float64' }); // ties have probability 0: no kink at hand
    const labels = Array.from({ length: N }, (_, n) => (n * 3) % K);
    expect(gradcheck((v) => marginPerExample(v, labels), [z], { name: 'margin' }).ok).toBe(true);
    expect(gradcheck((v) => crossEntropyPerExample(v, labels), [z], { name: 'crossEntropy' }).ok).toBe(true);
  });
});
