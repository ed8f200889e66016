/**
 * Datasets in memory: preprocessing (mean image, mean subtraction), slicing (take, subset, the
 * train/validation split) and minibatching (seeded shuffled index batches, gathering a batch).
 * All pure functions: inputs are never modified.
 *
 * Sizes:
 *   N  samples in a dataset          C, H, W  channels, height, width of one image (MNIST: 1, 28, 28)
 *   B  samples in a batch            D = C·H·W  values per image (MNIST: 784)
 *
 * A dataset is an images tensor [N, C, H, W] (row-major, so image n is the D values from
 * offset n·D) and an Int32Array of N labels. The data come from IDX files (see idx.ts, mnist.ts):
 * an image file holds [N, 28, 28] unsigned bytes after a 16-byte header, a label file [N] after an
 * 8-byte header; mnist.ts turns them into float32 grey levels 0..255 of shape [N, 1, 28, 28].
 */
import { Tensor, allocate } from '../tensor/tensor.ts';
import type { Rng } from '../tensor/rng.ts';
import { formatShape } from '../tensor/shape.ts';

/** Images and their labels. */
export interface Dataset {
  /** [N, C, H, W]; for MNIST [N, 1, 28, 28] float32 grey levels 0..255 (or mean-subtracted). */
  images: Tensor;
  /** [N] class labels; for MNIST 0..9. */
  labels: Int32Array;
}

/** One minibatch. */
export interface Batch {
  /** [B, C, H, W] */
  x: Tensor;
  /** [B] */
  labels: Int32Array;
}

/**
 * The mean image: m[0, c, h, w] = (1/N) Σ_n images[n, c, h, w], summed in float64 so that 60,000
 * terms of up to 255 lose nothing to float32 rounding.
 *
 * @param images [N, C, H, W] (any rank ≥ 1 works: the mean is over the first axis), N ≥ 1.
 * @returns [1, C, H, W], with the dtype of `images` (float32 for MNIST).
 */
export function meanImage(images: Tensor): Tensor {
  if (images.rank < 1) throw new RangeError(`meanImage: images must have a sample axis, got shape ${formatShape(images.shape)}`);
  const N = images.shape[0];
  if (N === 0) throw new RangeError(`meanImage: no images (shape ${formatShape(images.shape)})`);
  const D = images.size / N;
  const x = images.data; // [N, D]
  const sum = new Float64Array(D); // [D]
  for (let n = 0; n < N; n++) {
    const xOff = n * D; // seek to image n
    for (let i = 0; i < D; i++) sum[i] += x[xOff + i];
  }
  const mean = allocate(images.dtype, D); // [D]
  for (let i = 0; i < D; i++) mean[i] = sum[i] / N;
  return new Tensor(mean, [1, ...images.shape.slice(1)]);
}

/**
 * images − mean, the mean broadcast over the sample axis: y[n, c, h, w] = x[n, c, h, w] − m[0, c, h, w].
 *
 * @param images [N, C, H, W]
 * @param mean   [1, C, H, W] (as {@link meanImage} returns) or [C, H, W].
 * @returns a new tensor [N, C, H, W] with the dtype of `images`.
 */
export function subtractMean(images: Tensor, mean: Tensor): Tensor {
  const imageShape = images.shape.slice(1);
  const meanShape = mean.shape[0] === 1 && mean.rank === images.rank ? mean.shape.slice(1) : mean.shape;
  if (images.rank < 1 || meanShape.length !== imageShape.length || meanShape.some((n, d) => n !== imageShape[d])) {
    throw new RangeError(
      `subtractMean: images have shape ${formatShape(images.shape)} but mean has shape ${formatShape(mean.shape)}; ` +
        `expected [1,${imageShape.join(',')}]`,
    );
  }
  const N = images.shape[0];
  const D = mean.size;
  const x = images.data; // [N, D]
  const m = mean.data; // [D]
  const y = allocate(images.dtype, images.size); // [N, D]
  for (let n = 0; n < N; n++) {
    const off = n * D; // seek to image n
    for (let i = 0; i < D; i++) y[off + i] = x[off + i] - m[i];
  }
  return new Tensor(y, images.shape);
}

/**
 * How inputs are centred: 'image' subtracts the mean image (the seed's: every pixel its own mean),
 * 'scalar' one number, the mean grey level μ of the training set, from every pixel. A scalar mean
 * keeps one zero for all pixels, so a filter's bias can mean the same grey level everywhere.
 */
export type Normalization = 'image' | 'scalar';
export const NORMALIZATIONS: readonly Normalization[] = ['image', 'scalar'];

/**
 * The scalar mean as an image: every value of [1, C, H, W] is μ = (1/(N·D)) Σ_n Σ_i images[n, i],
 * summed in float64, then stored in the dtype of `images`. Held as an image, it goes wherever a
 * mean image goes (subtractMean, the attacks' clip to [−mean, 255 − mean], checkpoints, the
 * playground), and each of those prepares inputs exactly as for the mean image.
 *
 * @param images [N, C, H, W], N ≥ 1
 * @returns [1, C, H, W], every value μ
 */
export function scalarMeanImage(images: Tensor): Tensor {
  if (images.rank < 1) throw new RangeError(`scalarMeanImage: images must have a sample axis, got shape ${formatShape(images.shape)}`);
  if (images.size === 0) throw new RangeError(`scalarMeanImage: no pixels (shape ${formatShape(images.shape)})`);
  const x = images.data; // [N·D]
  let total = 0;
  for (let i = 0; i < x.length; i++) total += x[i];
  const D = images.size / images.shape[0];
  return new Tensor(allocate(images.dtype, D).fill(total / x.length), [1, ...images.shape.slice(1)]); // [1, C, H, W]
}

/** The mean of `images` that `normalization` subtracts: meanImage or scalarMeanImage. @returns [1, C, H, W] */
export function normalizationMean(images: Tensor, normalization: Normalization = 'image'): Tensor {
  if (normalization === 'image') return meanImage(images);
  if (normalization === 'scalar') return scalarMeanImage(images);
  throw new RangeError(`normalizationMean: normalization must be one of ${NORMALIZATIONS.join(', ')}, got '${String(normalization)}'`);
}

/** True when every value of `mean` is the same: a scalar mean held as an image. */
export function isScalarMean(mean: Tensor): boolean {
  const m = mean.data;
  for (let i = 1; i < m.length; i++) if (m[i] !== m[0]) return false;
  return true;
}

/**
 * The largest difference between two mean images, in grey levels (Infinity when their sizes differ):
 * models that attack each other's inputs must subtract the same mean, else the inputs are shifted.
 */
export function meanImageGap(a: Tensor, b: Tensor): number {
  const [x, y] = [a.data, b.data]; // [784] each for MNIST
  return x.length === y.length ? Math.max(0, ...Array.from(x, (v, i) => Math.abs(v - y[i]))) : Infinity;
}

/**
 * The first min(count, N) samples. Shares storage with `dataset` (a contiguous range needs no copy).
 * Clamping makes `--limit-train 100000` on 60,000 images mean "all of them".
 *
 * @param dataset images [N, C, H, W], labels [N].
 * @param count   a non-negative integer.
 * @returns images [min(count, N), C, H, W], labels [min(count, N)].
 */
export function take(dataset: Dataset, count: number): Dataset {
  const N = checkDataset(dataset, 'take');
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`take: count must be a non-negative integer, got ${count}`);
  return slice(dataset, 0, Math.min(count, N));
}

/**
 * The samples at `indices`, in that order, copied (an index may repeat).
 *
 * @param dataset images [N, C, H, W], labels [N].
 * @param indices K integers in 0..N−1.
 * @returns images [K, C, H, W], labels [K].
 */
export function subset(dataset: Dataset, indices: ArrayLike<number>): Dataset {
  const { x, labels } = gatherBatch(dataset, indices);
  return { images: x, labels };
}

/**
 * Splits off the last `validationCount` samples as a validation set, the usual MNIST split:
 * of the 60,000 training images, the first 55,000 train and the last 5,000 validate (as in
 * TensorFlow's classic `read_data_sets`). The split is by position, not random, so it is the same
 * on every run. Both parts share storage with `dataset`.
 *
 * @param dataset images [N, C, H, W], labels [N].
 * @param validationCount an integer in 0..N; 5,000 by default.
 * @returns train: [N − validationCount, …]; validation: [validationCount, …].
 */
export function splitValidation(dataset: Dataset, validationCount = 5000): { train: Dataset; validation: Dataset } {
  const N = checkDataset(dataset, 'splitValidation');
  if (!Number.isInteger(validationCount) || validationCount < 0 || validationCount > N) {
    throw new RangeError(`splitValidation: validationCount must be an integer in 0..${N} (the dataset size), got ${validationCount}`);
  }
  return { train: slice(dataset, 0, N - validationCount), validation: slice(dataset, N - validationCount, N) };
}

/**
 * The sample indices of one epoch cut into minibatches: 0..n−1 in order, or in a seeded random
 * order when `rng` is given (one permutation drawn from `rng`, so the same seed gives the same
 * batches). Every index appears exactly once; the last batch holds the n mod batchSize leftovers
 * when n is not a multiple of batchSize.
 *
 * @param n         number of samples, a non-negative integer.
 * @param batchSize a positive integer.
 * @param rng       shuffles the order; `null` keeps 0..n−1.
 * @returns ⌈n / batchSize⌉ arrays of indices, each of length batchSize except perhaps the last.
 */
export function batchIndices(n: number, batchSize: number, rng: Rng | null): Int32Array[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`batchIndices: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`batchIndices: batchSize must be a positive integer, got ${batchSize}`);
  }
  let order: Int32Array; // [n]
  if (rng) {
    order = rng.permutation(n);
  } else {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  }
  const batches: Int32Array[] = [];
  for (let start = 0; start < n; start += batchSize) batches.push(order.slice(start, Math.min(start + batchSize, n)));
  return batches;
}

/**
 * Copies the images and labels at `indices` into a batch.
 *
 * @param dataset images [N, C, H, W], labels [N].
 * @param indices B integers in 0..N−1.
 * @returns x [B, C, H, W] (dtype of the images), labels [B].
 */
export function gatherBatch(dataset: Dataset, indices: ArrayLike<number>): Batch {
  const N = checkDataset(dataset, 'gatherBatch');
  const B = indices.length;
  const D = N === 0 ? 0 : dataset.images.size / N;
  const src = dataset.images.data; // [N, D]
  const x = allocate(dataset.images.dtype, B * D); // [B, D]
  const labels = new Int32Array(B); // [B]
  for (let b = 0; b < B; b++) {
    const i = indices[b];
    if (!Number.isInteger(i) || i < 0 || i >= N) {
      throw new RangeError(`gatherBatch: indices[${b}] = ${i} is out of range for a dataset of ${N} samples`);
    }
    x.set(src.subarray(i * D, (i + 1) * D), b * D); // seek to sample i
    labels[b] = dataset.labels[i];
  }
  return { x: new Tensor(x, [B, ...dataset.images.shape.slice(1)]), labels };
}

/** Samples start..end−1 as views. */
function slice(dataset: Dataset, start: number, end: number): Dataset {
  const N = dataset.images.shape[0];
  const D = N === 0 ? 0 : dataset.images.size / N;
  return {
    images: new Tensor(dataset.images.data.subarray(start * D, end * D), [end - start, ...dataset.images.shape.slice(1)]),
    labels: dataset.labels.subarray(start, end),
  };
}

/** Checks that images and labels agree on N; returns N. */
function checkDataset(dataset: Dataset, op: string): number {
  const { images, labels } = dataset;
  if (images.rank < 1) throw new RangeError(`${op}: images must have a sample axis, got shape ${formatShape(images.shape)}`);
  const N = images.shape[0];
  if (labels.length !== N) {
    throw new RangeError(`${op}: images have shape ${formatShape(images.shape)} (N=${N}) but there are ${labels.length} labels`);
  }
  return N;
}
