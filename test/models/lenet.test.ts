import { describe, expect, test } from 'vitest';
import { noGrad, variable } from '../../src/autograd/variable.ts';
import { createLeNet } from '../../src/models/lenet.ts';
import { describeWholeModelGradcheck, expectLayerTable } from './lenet-checks.ts';
import { randn, zeros } from '../../src/tensor/create.ts';

describe('LeNet reproduces the seed layer table', () => {
  test('data size and depth after every layer, parameters per layer, 431,080 in all', () => {
    const model = createLeNet({ seed: 0 });
    // The seed's table: (name, data size, data depth, parameters)
    const table: Array<[string, number, number, number]> = [
      ['conv1', 24, 20, 520],
      ['pool1', 12, 20, 0],
      ['conv2', 8, 50, 25_050],
      ['pool2', 4, 50, 0],
      ['conv3', 1, 500, 400_500],
      ['relu3', 1, 500, 0],
      ['conv4', 1, 10, 5_010],
    ];
    expectLayerTable(model, table);
    expect(model.namedParameters().map(([n]) => n)).toEqual([
      'conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'conv3.weight', 'conv3.bias', 'conv4.weight', 'conv4.bias',
    ]);
  });

  test('logits are [N, 10]; MatConvNet init: weights std ≈ 0.01, biases 0; same seed, same weights', () => {
    const model = createLeNet({ seed: 3 });
    const y = noGrad(() => model.forward(variable(randn([2, 1, 28, 28], { rng: 1 }))));
    expect(y.shape).toEqual([2, 10]);
    const w = model.body.layers[4][1].parameters()[0].value; // conv3.weight, 400,000 draws
    const std = Math.sqrt(w.toArray().reduce((a, v) => a + v * v, 0) / w.size);
    expect(Math.abs(std - 0.01)).toBeLessThan(1e-4);
    expect(model.parameters()[1].value.toArray().every((v) => v === 0)).toBe(true);
    expect(createLeNet({ seed: 3 }).parameters()[0].value.toArray()).toEqual(model.parameters()[0].value.toArray());
    expect(createLeNet({ seed: 4 }).parameters()[0].value.toArray()).not.toEqual(model.parameters()[0].value.toArray());
  });

  test('a wrong input shape is a clear error', () => {
    expect(() => createLeNet().forward(variable(zeros([2, 1, 32, 32])))).toThrow('LeNet: x must have shape [N, 1, 28, 28], got [2,1,32,32]');
  });
});

describeWholeModelGradcheck('LeNet', createLeNet);
