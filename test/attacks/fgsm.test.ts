import { describe, expect, test } from 'vitest';
import { fgsm, fgsmFromGradient } from '../../src/attacks/fgsm.ts';
import { noGrad, Variable } from '../../src/autograd/variable.ts';
import { softmaxCrossEntropy } from '../../src/layers/softmax-cross-entropy.ts';
import { createLeNet } from '../../src/models/lenet.ts';
import { randn, tensor, uniform, zeros } from '../../src/tensor/create.ts';
import { Rng } from '../../src/tensor/rng.ts';

describe('fgsmFromGradient', () => {
  test('moves each pixel by ε·255 in the sign of the gradient; sign(0) = 0', () => {
    const x = tensor([10, 20, 30], [1, 1, 1, 3]);
    const g = tensor([0.5, -1e-9, 0], [1, 1, 1, 3]);
    expect(fgsmFromGradient(x, g, { eps: 0.1 }).toArray().map((v) => Math.round(v * 1e4) / 1e4)).toEqual([35.5, -5.5, 30]);
  });

  test('property: ‖x_adv − x‖∞ = ε·255 exactly (float64, 200 seeded cases)', () => {
    const rng = new Rng(1);
    for (let c = 0; c < 200; c++) {
      const eps = rng.uniform();
      const x = randn([2, 1, 3, 3], { rng, std: 80, dtype: 'float64' });
      const g = randn([2, 1, 3, 3], { rng, dtype: 'float64' });
      const xAdv = fgsmFromGradient(x, g, { eps });
      let inf = 0;
      for (let i = 0; i < x.size; i++) inf = Math.max(inf, Math.abs(xAdv.data[i] - x.data[i]));
      expect(inf).toBeCloseTo(eps * 255, 9);
    }
  });

  test('property: with clip, x_adv + mean stays in [0, 255] (200 seeded cases)', () => {
    const rng = new Rng(2);
    for (let c = 0; c < 200; c++) {
      const mean = uniform([1, 1, 2, 2], { rng, low: 0, high: 255, dtype: 'float64' });
      const pixels = uniform([3, 1, 2, 2], { rng, low: 0, high: 255, dtype: 'float64' });
      const x = tensor(Array.from(pixels.data, (v, i) => v - mean.data[i % 4]), [3, 1, 2, 2], 'float64');
      const xAdv = fgsmFromGradient(x, randn([3, 1, 2, 2], { rng, dtype: 'float64' }), { eps: rng.uniform(), clip: true, mean });
      xAdv.data.forEach((v, i) => {
        expect(v + mean.data[i % 4]).toBeGreaterThanOrEqual(-1e-9);
        expect(v + mean.data[i % 4]).toBeLessThanOrEqual(255 + 1e-9);
      });
    }
  });
});

describe('fgsm on a LeNet', () => {
  const model = createLeNet({ seed: 0 });
  const x = randn([4, 1, 28, 28], { rng: 3, std: 60 });
  const labels = [1, 2, 3, 4];
  const loss = (input: typeof x): number => noGrad(() => softmaxCrossEntropy(model.forward(new Variable(input)), labels).value.item());

  test('raises the loss (a first-order step up the loss surface)', () => {
    const xAdv = fgsm(model, x, labels, { eps: 0.01 });
    expect(loss(xAdv)).toBeGreaterThan(loss(x));
  });

  test('leaves the parameters bit-identical, their grads and requiresGrad flags untouched', () => {
    const before = model.parameters().map((p) => Float32Array.from(p.value.data));
    const marker = zeros([20]);
    model.parameters()[1].grad = marker;
    fgsm(model, x, labels, { eps: 0.25 });
    model.parameters().forEach((p, i) => expect(Array.from(p.value.data)).toEqual(Array.from(before[i])));
    expect(model.parameters()[1].grad).toBe(marker);
    expect(model.parameters()[0].grad).toBeNull();
    expect(model.parameters().every((p) => p.requiresGrad)).toBe(true);
    model.parameters()[1].grad = null;
  });

  test("labelMode 'predicted' attacks the model's own prediction", () => {
    const predicted = noGrad(() => model.forward(new Variable(x)).value);
    const yHat = Array.from({ length: 4 }, (_, n) => {
      let best = 0;
      for (let k = 1; k < 10; k++) if (predicted.data[n * 10 + k] > predicted.data[n * 10 + best]) best = k;
      return best;
    });
    expect(fgsm(model, x, [0, 0, 0, 0], { eps: 0.1, labelMode: 'predicted' }).toArray()).toEqual(fgsm(model, x, yHat, { eps: 0.1 }).toArray());
  });

  test('bad ε and clip without a mean are clear errors', () => {
    expect(() => fgsm(model, x, labels, { eps: -0.1 })).toThrow(/eps must be a fraction of the pixel range in \[0, 1\].*got -0.1/);
    expect(() => fgsm(model, x, labels, { eps: 1.5 })).toThrow(/got 1.5/);
    expect(() => fgsm(model, x, labels, { eps: 0.1, clip: true })).toThrow(/clip needs the mean image/);
  });
});
