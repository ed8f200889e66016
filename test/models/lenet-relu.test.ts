import { describe, expect, test } from 'vitest';
import { backward } from '../../src/autograd/backward.ts';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import { noGrad, Variable, variable } from '../../src/autograd/variable.ts';
import { checkpointFromModel, decodeCheckpoint, encodeCheckpoint, restoreModel } from '../../src/io/checkpoint.ts';
import { softmaxCrossEntropy } from '../../src/layers/softmax-cross-entropy.ts';
import { createLeNet, LENET_ARCHITECTURE } from '../../src/models/lenet.ts';
import { createLeNetRelu, LENET_RELU_ARCHITECTURE } from '../../src/models/lenet-relu.ts';
import { createModel } from '../../src/models/registry.ts';
import { randn, zeros } from '../../src/tensor/create.ts';

describe('LeNet with ReLUs after conv1 and conv2', () => {
  test('layer table: the seed\'s, with relu1 after conv1 and relu2 after conv2; 431,080 parameters, same names', () => {
    const model = createLeNetRelu({ seed: 0 });
    const table: Array<[string, number, number, number]> = [
      ['conv1', 24, 20, 520],
      ['relu1', 24, 20, 0],
      ['pool1', 12, 20, 0],
      ['conv2', 8, 50, 25_050],
      ['relu2', 8, 50, 0],
      ['pool2', 4, 50, 0],
      ['conv3', 1, 500, 400_500],
      ['relu3', 1, 500, 0],
      ['conv4', 1, 10, 5_010],
    ];
    let x: Variable = variable(zeros([1, 1, 28, 28]));
    expect(model.body.layers.map(([name]) => name)).toEqual(table.map(([name]) => name));
    model.body.layers.forEach(([name, layer], i) => {
      x = noGrad(() => layer.forward(x));
      const params = layer.parameters().reduce((acc, p) => acc + p.value.size, 0);
      expect([name, x.shape[3], x.shape[1], params]).toEqual(table[i]);
    });
    expect(model.parameters().reduce((acc, p) => acc + p.value.size, 0)).toBe(431_080);
    expect(model.namedParameters().map(([n]) => n)).toEqual(createLeNet().namedParameters().map(([n]) => n));
    expect(model.architecture).toBe(LENET_RELU_ARCHITECTURE);
    expect(createLeNet().architecture).toBe(LENET_ARCHITECTURE);
  });

  test('same seed, same weights as the seed\'s LeNet, yet other logits (the ReLUs act)', () => {
    const a = createLeNetRelu({ seed: 5 });
    const b = createLeNet({ seed: 5 });
    a.parameters().forEach((p, i) => expect(p.value.data).toEqual(b.parameters()[i].value.data));
    const x = variable(randn([2, 1, 28, 28], { rng: 1 }));
    const ya = noGrad(() => a.forward(x)).value.toArray();
    const yb = noGrad(() => b.forward(x)).value.toArray();
    expect(ya).not.toEqual(yb);
  });

  test('the registry builds it by name, with the same weights as createLeNetRelu', () => {
    const a = createModel(LENET_RELU_ARCHITECTURE, { seed: 2 });
    const b = createLeNetRelu({ seed: 2 });
    expect(a.architecture).toBe(LENET_RELU_ARCHITECTURE);
    a.parameters().forEach((p, i) => expect(p.value.data).toEqual(b.parameters()[i].value.data));
  });

  test('a checkpoint of one architecture is refused by the other, naming both', () => {
    const relu = createLeNetRelu({ seed: 1 });
    const seed = createLeNet({ seed: 2 });
    const before = seed.parameters()[0].value.toArray();
    const fromRelu = decodeCheckpoint(encodeCheckpoint(checkpointFromModel(relu)), 'relu.ckpt');
    expect(() => restoreModel(seed, fromRelu)).toThrow(`checkpoint relu.ckpt: architecture is '${LENET_RELU_ARCHITECTURE}' but the model is '${LENET_ARCHITECTURE}'`);
    expect(seed.parameters()[0].value.toArray()).toEqual(before); // nothing copied
    const fromSeed = decodeCheckpoint(encodeCheckpoint(checkpointFromModel(seed)), 'seed.ckpt');
    expect(() => restoreModel(relu, fromSeed)).toThrow(`checkpoint seed.ckpt: architecture is '${LENET_ARCHITECTURE}' but the model is '${LENET_RELU_ARCHITECTURE}'`);
    restoreModel(createLeNetRelu(), fromRelu); // and each loads into its own
  });
});

describe('whole-variant float64 gradient check', () => {
  // As test/models/lenet.test.ts: He initialisation and unit-scale inputs keep the gradients far
  // above atol, so the check has teeth.
  const model = createLeNetRelu({ seed: 1, dtype: 'float64', init: { kind: 'he' } });
  const x = new Variable(randn([3, 1, 28, 28], { rng: 2, dtype: 'float64' }), { requiresGrad: true });
  const labels = [3, 7, 1];
  const loss = (): Variable => softmaxCrossEntropy(model.forward(x), labels);

  test('∂L/∂x: projected check plus 40 sampled pixels', () => {
    const r = gradcheck(loss, [x], { mode: 'projected', samples: 40, name: 'LeNetRelu ∂L/∂x' });
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(41);
  });

  test('∂L/∂θ and ∂L/∂x together: projected check plus 20 sampled coordinates of every tensor', () => {
    const r = gradcheck(loss, [x, ...model.parameters()], { mode: 'projected', samples: 20, name: 'LeNetRelu ∂L/∂θ' });
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(1 + 20 * 8 + 10);
  });

  test('the gradients are large enough for the check to mean something, and the ReLUs cut some of conv1\'s outputs', () => {
    for (const v of [x, ...model.parameters()]) v.grad = null;
    backward(loss());
    for (const v of [x, ...model.parameters()]) {
      const largest = v.grad!.toArray().reduce((a, g) => Math.max(a, Math.abs(g)), 0);
      expect(largest).toBeGreaterThan(1e-3);
    }
    const conv1 = noGrad(() => model.body.layers[0][1].forward(x)).value.toArray();
    expect(conv1.some((v) => v < 0)).toBe(true);
  });
});
