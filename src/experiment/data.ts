/**
 * The experiment's data from MNIST in memory: the first N training and test images, with the mean
 * training image (or a given one, e.g. a checkpoint's) subtracted from both sets.
 */
import { meanImage, scalarMeanImage, subtractMean, take, type Dataset, type Normalization } from '../data/dataset.ts';
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
    raw: { train: rawTrain, test: rawTest },
  };
}

/**
 * The experiment's images centred as `normalization` says: `data` itself for 'image' (the mean
 * training image, the seed's), else the raw images less the mean grey level μ of the training
 * images ('scalar'), exactly as `advgrad train --normalize scalar` prepares them.
 */
export function centredData(data: ExperimentData, normalization: Normalization): ExperimentData {
  if (normalization === 'image') return data;
  if (data.raw === undefined) throw new Error('experiment: the scalar centring needs the raw images, and this data has none');
  return prepareData(data.raw, {}, scalarMeanImage(data.raw.train.images));
}
