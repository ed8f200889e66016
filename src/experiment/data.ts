/**
 * The experiment's data from MNIST in memory: the first N training and test images, with the mean
 * training image (or a given one, e.g. a checkpoint's) subtracted from both sets.
 */
import { meanImage, subtractMean, take, type Dataset } from '../data/dataset.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { ExperimentData } from './context.ts';

/**
 * @param mnist the training and test sets, raw pixels 0..255
 * @param limits use only the first N images of each set (undefined: all)
 * @param mean use this mean image [1, 1, 28, 28] instead of the training images' own
 */
export function prepareData(mnist: { train: Dataset; test: Dataset }, limits: { train?: number; test?: number } = {}, mean?: Tensor | null): ExperimentData {
  const rawTrain = take(mnist.train, limits.train ?? mnist.train.labels.length);
  const rawTest = take(mnist.test, limits.test ?? mnist.test.labels.length);
  const m = mean ?? meanImage(rawTrain.images);
  return {
    train: { images: subtractMean(rawTrain.images, m), labels: rawTrain.labels },
    test: { images: subtractMean(rawTest.images, m), labels: rawTest.labels },
    mean: m,
  };
}
