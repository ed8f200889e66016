import { describe, expect, test } from 'vitest';
import { noGrad, variable } from '../../src/autograd/variable.ts';
import { checkpointFromModel, decodeCheckpoint, encodeCheckpoint, restoreModel } from '../../src/io/checkpoint.ts';
import { createLeNet, LENET_ARCHITECTURE } from '../../src/models/lenet.ts';
import { createLeNetRelu, LENET_RELU_ARCHITECTURE } from '../../src/models/lenet-relu.ts';
import { createModel } from '../../src/models/registry.ts';
import { describeWholeModelGradcheck, expectLayerTable } from './lenet-checks.ts';
import { randn } from '../../src/tensor/create.ts';

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
    expectLayerTable(model, table);
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

// The ReLUs act: some of conv1's outputs are negative, so relu1 cuts them.
describeWholeModelGradcheck('LeNetRelu', createLeNetRelu, (model, x) => {
  const conv1 = noGrad(() => model.body.layers[0][1].forward(x)).value.toArray();
  expect(conv1.some((v) => v < 0)).toBe(true);
});
