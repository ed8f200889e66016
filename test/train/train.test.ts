/**
 * Behaviour of the training loops on real MNIST, CI-sized (a few thousand images).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { meanImage, subtractMean, take, type Dataset } from '../../src/data/dataset.ts';
import { loadMnist } from '../../src/io/mnist.ts';
import { createLeNet } from '../../src/models/lenet.ts';
import { evaluate } from '../../src/train/evaluate.ts';
import { SGD } from '../../src/train/sgd.ts';
import { train, type EpochInfo } from '../../src/train/train.ts';
import type { Metrics } from '../../src/train/metrics.ts';

let trainSet: Dataset;
let testSet: Dataset;
beforeAll(() => {
  const mnist = loadMnist();
  const mean = meanImage(mnist.train.images);
  trainSet = take({ images: subtractMean(mnist.train.images, mean), labels: mnist.train.labels }, 2000);
  testSet = take({ images: subtractMean(mnist.test.images, mean), labels: mnist.test.labels }, 500);
});

describe('standard training, then adversarial training from the same initialisation', () => {
  let standardLog: EpochInfo[];
  let standardClean: Metrics;
  let standardFgsm: Metrics;

  test('standard: the loss falls and clean accuracy clears a floor (2,000 images, 2 epochs)', async () => {
    const model = createLeNet({ seed: 0 });
    const losses: number[] = [];
    standardLog = await train(model, trainSet, { optimizer: new SGD(model.parameters()), epochs: 2, seed: 0, onBatch: (b) => losses.push(b.loss) });
    expect(losses.length).toBe(40);
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(first).toBeGreaterThan(2.0); // near ln 10 = 2.30 at the start
    expect(last).toBeLessThan(first - 0.8);
    standardClean = await evaluate(model, testSet.images, testSet.labels);
    expect(standardClean.accuracy).toBeGreaterThan(0.75);
    standardFgsm = await evaluate(model, testSet.images, testSet.labels, { attack: { eps: 0.25 } });
    expect(standardFgsm.accuracy).toBeLessThan(standardClean.accuracy - 0.3); // FGSM fools it
    expect(standardLog.map((e) => e.epoch)).toEqual([1, 2]);
  });

  test("adversarial 'batch' schedule: FGSM accuracy rises above the standard model's", async () => {
    const model = createLeNet({ seed: 0 });
    const log = await train(model, trainSet, {
      optimizer: new SGD(model.parameters()), epochs: 2, seed: 0, adversarial: { fgsm: { eps: 0.25 }, schedule: 'batch' },
    });
    expect(log[0].samples).toBe(4000); // 2N samples per epoch: N clean + N adversarial
    const clean = await evaluate(model, testSet.images, testSet.labels);
    const adv = await evaluate(model, testSet.images, testSet.labels, { attack: { eps: 0.25 } });
    expect(adv.accuracy).toBeGreaterThan(standardFgsm.accuracy + 0.1);
    expect(clean.accuracy).toBeGreaterThan(0.6);
  });
});

describe('determinism and bad options', () => {
  test('the same seed gives bit-identical weights', async () => {
    const run = async (): Promise<Float32Array> => {
      const model = createLeNet({ seed: 5 });
      await train(model, take(trainSet, 300), { optimizer: new SGD(model.parameters()), epochs: 1, seed: 9 });
      return Float32Array.from(model.parameters()[2].value.data);
    };
    expect(Array.from(await run())).toEqual(Array.from(await run()));
  });

  test('epochs −1, a zero batch, an odd batch for the batch schedule are clear errors', async () => {
    const model = createLeNet();
    const optimizer = new SGD(model.parameters());
    await expect(train(model, trainSet, { optimizer, epochs: -1 })).rejects.toThrow('train: epochs must be a non-negative integer, got -1');
    await expect(train(model, trainSet, { optimizer, epochs: 1, batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer, got 0/);
    await expect(train(model, trainSet, { optimizer, epochs: 1, batchSize: 99, adversarial: { fgsm: { eps: 0.1 } } })).rejects.toThrow(/even batch size/);
  });
});
