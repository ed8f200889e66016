/**
 * What the training tests share: seeded random images, exact comparison of float arrays, and a
 * mean-subtracted MNIST subset.
 */
import { expect } from 'vitest';
import { meanImage, subtractMean, take, type Dataset } from '../../src/data/dataset.ts';
import { loadMnist } from '../../src/io/mnist.ts';
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
