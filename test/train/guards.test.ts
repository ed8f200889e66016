/**
 * The guards: a planted collapse of robust validation accuracy (below half its best) stops the
 * run and keeps the best model; a diverging run stops at its first non-finite loss.
 */
import { describe, expect, test } from 'vitest';
import { createLeNet } from '../../src/models/lenet.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { InProcessEngine } from '../../src/train/engine.ts';
import { DivergenceError, findCollapse } from '../../src/train/guards.ts';
import { SGD } from '../../src/train/sgd.ts';
import { train, type EpochInfo } from '../../src/train/train.ts';
import { validationAttack } from '../../src/train/validation.ts';
import { mnistSubset, randomData } from './helpers.ts';

describe('findCollapse: the first figure below half of the best before it (a relative drop)', () => {
  test.each([
    ['a planted collapse (Wong et al.: 0.45 → 0.02)', [0.1, 0.3, 0.45, 0.44, 0.02, 0.5], { index: 4, value: 0.02, best: 0.45, bestIndex: 2 }],
    // The robust preset's FGSM-RS run: an 18-point fall that the old fixed 20-point guard let through.
    ['FGSM-RS in the robust preset: 0.250, 0.279, 0.096', [0.25, 0.279, 0.096], { index: 2, value: 0.096, best: 0.279, bestIndex: 1 }],
    ['just below half the best', [0.5, 0.2499], { index: 1, value: 0.2499, best: 0.5, bestIndex: 0 }],
    ['a fall of 20 points from a high best is not a collapse', [0.8, 0.6, 0.7], null],
    ['exactly half the best is not below it', [0.5, 0.25], null],
    ['a rising curve', [0, 0.1, 0.2, 0.6], null],
    ['a model never robust (best 0) cannot collapse', [0, 0, 0], null],
    ['an empty sequence', [], null],
  ] as const)('%s', (_, figures, expected) => {
    expect(findCollapse(figures)).toEqual(expected);
  });

  test('the fixed 20-point rule would have missed the FGSM-RS collapse; the relative rule does not', () => {
    const [best, after] = [0.279, 0.096];
    expect(best - after).toBeLessThan(0.2); // under the old guard's 20 points
    expect(findCollapse([best, after])).not.toBeNull();
  });

  test('the ratio is a parameter in [0, 1]', () => {
    expect(findCollapse([0.5, 0.45], 0.05)).toMatchObject({ index: 1 });
    expect(findCollapse([0.5, 0.45], 0.2)).toBeNull();
    expect(() => findCollapse([0.5], -1)).toThrow('findCollapse: ratio must be a relative drop in [0, 1], got -1');
    expect(() => findCollapse([0.5], 1.5)).toThrow('findCollapse: ratio must be a relative drop in [0, 1], got 1.5');
  });
});

test('train: a collapse of validation accuracy stops the run after that epoch and restores the best epoch', async () => {
  const model = createLeNet({ seed: 0 });
  const data = randomData(40, 1);
  const validationSet = randomData(10, 2);
  // An engine whose attacked logits are planted: every validation image classified correctly after
  // epochs 1 and 2, none after epoch 3. Validation asks for clean logits, then attacked ones.
  const inner = new InProcessEngine(model);
  let validationCalls = 0;
  const engine = Object.assign(Object.create(inner) as InProcessEngine, {
    attack: async (x: Tensor) => x,
    logits: async (x: Tensor) => {
      validationCalls++;
      if (validationCalls % 2 === 1) return inner.logits(x);
      const epoch = validationCalls / 2;
      const shift = epoch <= 2 ? 0 : 1;
      const z = new Float32Array(100); // [10, 10]
      for (let n = 0; n < 10; n++) z[n * 10 + ((validationSet.labels[n] + shift) % 10)] = 1;
      return new Tensor(z, [10, 10]);
    },
  });
  const weightsAfter: Float32Array[] = [];
  const log = await train(model, data, {
    optimizer: new SGD(model.parameters(), { lr: 1e-4 }), epochs: 5, batchSize: 20, seed: 0, engine,
    validation: { data: validationSet, attack: validationAttack(0.25) },
    onEpoch: () => void weightsAfter.push(Float32Array.from(model.parameters()[0].value.data)),
  });
  expect(log.map((e: EpochInfo) => e.epoch)).toEqual([1, 2, 3]);
  expect(log.map((e) => e.validation!.robust)).toEqual([1, 1, 0]);
  expect(log.map((e) => e.validation!.best)).toEqual([true, false, false]);
  expect(log[2].collapse).toMatch(/robust validation accuracy collapsed from 1\.0000 \(epoch 1\) to 0\.0000 \(epoch 3\), below 0\.5 × its best.*the model of epoch 1 is kept/);
  expect(Array.from(model.parameters()[0].value.data)).toEqual(Array.from(weightsAfter[0])); // back at epoch 1
  expect(weightsAfter[2]).not.toEqual(weightsAfter[0]);
});

test('train: a huge learning rate stops at the first non-finite loss, naming the epoch and step', async () => {
  const data = mnistSubset(300, 0).train;
  const model = createLeNet({ seed: 0 });
  const losses: number[] = [];
  const error = await train(model, data, {
    optimizer: new SGD(model.parameters(), { lr: 1e3 }), epochs: 2, batchSize: 50, seed: 0, onBatch: (b) => losses.push(b.loss),
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DivergenceError);
  const { epoch, step, steps } = error as DivergenceError;
  expect(losses.length).toBeGreaterThan(0);
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(epoch).toBe(1);
  expect(step).toBe(losses.length + 1); // the step right after the last finite one
  expect(steps).toBe(6);
  expect((error as Error).message).toMatch(new RegExp(`training diverged: the loss became (NaN|-?Infinity) at epoch 1, step ${step} of 6\\. Try a lower learning rate \\(now 1000\\)`));
});
