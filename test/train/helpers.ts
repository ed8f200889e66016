/**
 * What the training tests share: seeded random images, exact comparison of float arrays, and a
 * mean-subtracted MNIST subset.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { meanImage, subtractMean, take, type Dataset } from '../../src/data/dataset.ts';
import { loadMnist } from '../../src/io/mnist.ts';
import { createLeNet, type LeNet } from '../../src/models/lenet.ts';
import type { Engine } from '../../src/train/engine.ts';
import { createEngine } from '../../src/train/workers/engine.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

/** n seeded images [n, 1, 28, 28] on the scale of mean-subtracted grey levels, and random labels. */
export function randomData(n: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = 60 * rng.normal();
  return { images: new Tensor(x, [n, 1, 28, 28]), labels: Int32Array.from({ length: n }, () => rng.int(10)) };
}

/** Exact equality of two float arrays, reporting the first difference. */
export function expectSameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`${what}: element ${i} differs: ${a[i]} vs ${b[i]}`);
}

/** The first `trainCount` training and `testCount` test images of MNIST, minus the training mean image. */
export function mnistSubset(trainCount: number, testCount: number): { train: Dataset; test: Dataset } {
  const mnist = loadMnist();
  const mean = meanImage(mnist.train.images);
  return {
    train: take({ images: subtractMean(mnist.train.images, mean), labels: mnist.train.labels }, trainCount),
    test: take({ images: subtractMean(mnist.test.images, mean), labels: mnist.test.labels }, testCount),
  };
}

/**
 * One LeNet (seed 0, or what `create` makes) and its engine for each of 0, 1 and 2 workers, made
 * before the file's tests and closed after them (starting a worker takes ~0.5 s, so tests share them).
 */
export function enginesPerWorkerCount<M extends LeNet = LeNet>(create: () => M = () => createLeNet({ seed: 0 }) as M): { models: Map<number, M>; engines: Map<number, Engine> } {
  const models = new Map<number, M>();
  const engines = new Map<number, Engine>();
  beforeAll(async () => {
    for (const workers of [0, 1, 2]) {
      const model = create();
      models.set(workers, model);
      engines.set(workers, await createEngine(model, workers));
    }
  });
  afterAll(async () => {
    for (const engine of engines.values()) await engine.close();
  });
  return { models, engines };
}
