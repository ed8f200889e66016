/**
 * What both LeNets (test/models/lenet.test.ts and lenet-relu.test.ts) are checked by: their layer
 * table (expectLayerTable), and the whole-model float64 gradient check: ∂L/∂x (the FGSM gradient)
 * by a projected check plus 40 sampled pixels, then ∂L/∂θ with ∂L/∂x by a projected check plus 20 sampled coordinates of every tensor, and a check
 * that the gradients are large enough for the comparison to mean something. He initialisation and
 * unit-scale inputs keep the gradients far above atol = 1e-5, so the check has teeth (with f = 0.01
 * every gradient is tiny and would pass against anything).
 */
import { describe, expect, test } from 'vitest';
import { backward } from '../../src/autograd/backward.ts';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import { noGrad, Variable, variable } from '../../src/autograd/variable.ts';
import { softmaxCrossEntropy } from '../../src/layers/softmax-cross-entropy.ts';
import type { LeNet, LeNetOptions } from '../../src/models/lenet.ts';
import { randn, zeros } from '../../src/tensor/create.ts';

/** Registers the check for the model `create` builds, named `name`; `extra` runs with the model and its input. */
export function describeWholeModelGradcheck(name: string, create: (options: LeNetOptions) => LeNet, extra?: (model: LeNet, x: Variable) => void): void {
  describe(`whole-${name} float64 gradient check`, () => {
    const model = create({ seed: 1, dtype: 'float64', init: { kind: 'he' } });
    const x = new Variable(randn([3, 1, 28, 28], { rng: 2, dtype: 'float64' }), { requiresGrad: true }); // [3, 1, 28, 28]
    const labels = [3, 7, 1];
    const loss = (): Variable => softmaxCrossEntropy(model.forward(x), labels);

    test('∂L/∂x (the FGSM gradient): projected check plus 40 sampled pixels', () => {
      const r = gradcheck(loss, [x], { mode: 'projected', samples: 40, name: `${name} ∂L/∂x` });
      expect(r.ok).toBe(true);
      expect(r.checked).toBe(41);
    });

    test('∂L/∂θ and ∂L/∂x together: projected check plus 20 sampled coordinates of every tensor', () => {
      const r = gradcheck(loss, [x, ...model.parameters()], { mode: 'projected', samples: 20, name: `${name} ∂L/∂θ` });
      expect(r.ok).toBe(true);
      expect(r.checked).toBe(1 + 20 * 8 + 10); // conv4.bias has only 10 elements: all are checked
    });

    test('the gradients are large enough for the check to mean something', () => {
      for (const v of [x, ...model.parameters()]) v.grad = null;
      backward(loss());
      for (const v of [x, ...model.parameters()]) {
        const largest = v.grad!.toArray().reduce((a, g) => Math.max(a, Math.abs(g)), 0);
        expect(largest).toBeGreaterThan(1e-3); // 100× atol
      }
      extra?.(model, x);
    });
  });
}

/**
 * Walks `model`'s layers on one zero image and checks each against `table`: (name, data size, data
 * depth, parameters) after the layer, square outputs, and 431,080 parameters in all.
 */
export function expectLayerTable(model: LeNet, table: ReadonlyArray<[string, number, number, number]>): void {
  let x: Variable = variable(zeros([1, 1, 28, 28])); // [1, 1, 28, 28]
  expect(model.body.layers.map(([name]) => name)).toEqual(table.map(([name]) => name));
  model.body.layers.forEach(([name, layer], i) => {
    x = noGrad(() => layer.forward(x));
    const [, depth, size, size2] = x.shape;
    const params = layer.parameters().reduce((acc, p) => acc + p.value.size, 0);
    expect([name, size, depth, params]).toEqual(table[i]);
    expect(size2).toBe(size);
  });
  expect(model.parameters().reduce((acc, p) => acc + p.value.size, 0)).toBe(431_080);
}
