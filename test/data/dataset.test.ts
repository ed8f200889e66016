import { describe, expect, test } from 'vitest';
import { batchIndices, gatherBatch, meanImage, splitValidation, subset, subtractMean, take, type Dataset } from '../../src/data/dataset.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

/** N images [N, 1, 2, 2] whose every pixel is 10·n + p (so each value says where it came from), label n mod 10. */
function numbered(N: number): Dataset {
  const x = new Float32Array(N * 4);
  for (let n = 0; n < N; n++) for (let p = 0; p < 4; p++) x[n * 4 + p] = 10 * n + p;
  return { images: new Tensor(x, [N, 1, 2, 2]), labels: Int32Array.from({ length: N }, (_, n) => n % 10) };
}

describe('meanImage', () => {
  test('hand-computed mean of three 2×2 images', () => {
    const images = new Tensor(Float32Array.from([0, 255, 3, 1, 255, 255, 6, 2, 0, 0, 0, 4]), [3, 1, 2, 2]);
    const mean = meanImage(images);
    expect(mean.shape).toEqual([1, 1, 2, 2]);
    expect(mean.dtype).toBe('float32');
    expect(mean.toArray()).toEqual([85, 170, 3, Math.fround(7 / 3)]);
  });

  test('accumulates in float64: a float32 running sum would drift', () => {
    // the sum passes 2^24 = 16,777,216, above which float32 spaces its values 2 apart: a float32
    // running sum of odd 255s would end near 255.34 instead of 254.997
    const N = 100_000;
    const x = new Float32Array(N).fill(255);
    x[0] = 0.5;
    const mean = meanImage(new Tensor(x, [N, 1, 1, 1]));
    expect(mean.data[0]).toBe(Math.fround((255 * (N - 1) + 0.5) / N));
  });

  test('keeps float64 input as float64; refuses an empty set', () => {
    expect(meanImage(new Tensor(Float64Array.from([1, 2]), [2, 1])).dtype).toBe('float64');
    expect(() => meanImage(new Tensor(new Float32Array(0), [0, 1, 2, 2]))).toThrow(/no images/);
  });
});

describe('subtractMean', () => {
  test('subtracts the mean from every image and leaves the input alone', () => {
    const images = new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [2, 1, 2, 2]);
    const mean = new Tensor(Float32Array.from([1, 1, 2, 2]), [1, 1, 2, 2]);
    const y = subtractMean(images, mean);
    expect(y.shape).toEqual([2, 1, 2, 2]);
    expect(y.toArray()).toEqual([0, 1, 1, 2, 4, 5, 5, 6]);
    expect(images.toArray()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // the mean of mean-subtracted images is zero
    expect(meanImage(subtractMean(images, meanImage(images))).toArray()).toEqual([0, 0, 0, 0]);
  });

  test('accepts a [C,H,W] mean; rejects a mean of another shape', () => {
    const images = new Tensor(Float32Array.from([1, 2, 3, 4]), [1, 1, 2, 2]);
    expect(subtractMean(images, new Tensor(Float32Array.from([1, 1, 1, 1]), [1, 2, 2])).toArray()).toEqual([0, 1, 2, 3]);
    expect(() => subtractMean(images, new Tensor(new Float32Array(9), [1, 1, 3, 3]))).toThrow(
      'subtractMean: images have shape [1,1,2,2] but mean has shape [1,1,3,3]; expected [1,1,2,2]',
    );
  });
});

describe('take, subset, splitValidation', () => {
  test('take keeps the first samples and clamps to N', () => {
    const data = numbered(7);
    const first = take(data, 3);
    expect(first.images.shape).toEqual([3, 1, 2, 2]);
    expect(first.images.toArray()).toEqual(numbered(3).images.toArray());
    expect(Array.from(first.labels)).toEqual([0, 1, 2]);
    expect(take(data, 100).images.shape).toEqual([7, 1, 2, 2]);
    expect(take(data, 0).labels.length).toBe(0);
    expect(() => take(data, -1)).toThrow(/non-negative integer/);
  });

  test('subset picks the given indices in order', () => {
    const s = subset(numbered(5), [4, 1, 1]);
    expect(s.images.toArray()).toEqual([40, 41, 42, 43, 10, 11, 12, 13, 10, 11, 12, 13]);
    expect(Array.from(s.labels)).toEqual([4, 1, 1]);
  });

  test('splitValidation: 60,000 → 55,000 train + the last 5,000 validation', () => {
    const N = 60_000;
    const data: Dataset = { images: new Tensor(new Float32Array(N), [N, 1, 1, 1]), labels: new Int32Array(N) };
    for (let n = 0; n < N; n++) data.images.data[n] = n;
    const { train, validation } = splitValidation(data);
    expect(train.images.shape).toEqual([55_000, 1, 1, 1]);
    expect(train.labels.length).toBe(55_000);
    expect(validation.images.shape).toEqual([5_000, 1, 1, 1]);
    expect(validation.labels.length).toBe(5_000);
    expect(train.images.data[54_999]).toBe(54_999);
    expect(validation.images.data[0]).toBe(55_000);
  });

  test('splitValidation with a custom count, and its range check', () => {
    const { train, validation } = splitValidation(numbered(10), 3);
    expect(Array.from(train.labels)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(validation.labels)).toEqual([7, 8, 9]);
    expect(validation.images.data[0]).toBe(70);
    expect(() => splitValidation(numbered(10), 11)).toThrow(/validationCount must be an integer in 0\.\.10 .* got 11/);
  });

  test('images and labels of different N are refused', () => {
    const bad: Dataset = { images: numbered(3).images, labels: new Int32Array(2) };
    expect(() => take(bad, 1)).toThrow('take: images have shape [3,1,2,2] (N=3) but there are 2 labels');
  });
});

describe('batchIndices', () => {
  const sorted = (batches: Int32Array[]): number[] => batches.flatMap((b) => Array.from(b)).sort((a, b) => a - b);

  test.each([
    [10, 3],
    [10, 5],
    [1, 100],
    [101, 10],
  ])('n=%i batch=%i: every index exactly once, last partial batch kept', (n, batchSize) => {
    for (const rng of [null, new Rng(7)]) {
      const batches = batchIndices(n, batchSize, rng);
      expect(batches.length).toBe(Math.ceil(n / batchSize));
      for (let b = 0; b < batches.length - 1; b++) expect(batches[b].length).toBe(batchSize);
      expect(batches[batches.length - 1].length).toBe(n - batchSize * (batches.length - 1));
      expect(sorted(batches)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });

  test('no rng: in order', () => {
    expect(batchIndices(5, 2, null).map((b) => Array.from(b))).toEqual([[0, 1], [2, 3], [4]]);
    expect(batchIndices(0, 2, null)).toEqual([]);
  });

  test('same seed → same batches, different seed → different, successive epochs differ', () => {
    const a = batchIndices(1000, 100, new Rng(1));
    const b = batchIndices(1000, 100, new Rng(1));
    const c = batchIndices(1000, 100, new Rng(2));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).not.toEqual(batchIndices(1000, 100, null));
    const rng = new Rng(1);
    expect(batchIndices(1000, 100, rng)).not.toEqual(batchIndices(1000, 100, rng));
  });

  test('argument checks', () => {
    expect(() => batchIndices(10, 0, null)).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => batchIndices(-1, 2, null)).toThrow(/n must be a non-negative integer, got -1/);
  });
});

describe('gatherBatch', () => {
  test('picks the right images and labels', () => {
    const data = numbered(12);
    const { x, labels } = gatherBatch(data, Int32Array.from([11, 0, 5]));
    expect(x.shape).toEqual([3, 1, 2, 2]);
    expect(x.dtype).toBe('float32');
    expect(x.toArray()).toEqual([110, 111, 112, 113, 0, 1, 2, 3, 50, 51, 52, 53]);
    expect(Array.from(labels)).toEqual([1, 0, 5]);
  });

  test('batches of a shuffled epoch reassemble the dataset', () => {
    const data = numbered(23);
    const seen = new Array<number>(23).fill(0);
    for (const indices of batchIndices(23, 5, new Rng(3))) {
      const { x, labels } = gatherBatch(data, indices);
      for (let b = 0; b < indices.length; b++) {
        expect(x.data[b * 4]).toBe(10 * indices[b]);
        expect(labels[b]).toBe(indices[b] % 10);
        seen[indices[b]]++;
      }
    }
    expect(seen).toEqual(new Array<number>(23).fill(1));
  });

  test('an index out of range names the position and the size', () => {
    expect(() => gatherBatch(numbered(4), [0, 4])).toThrow('gatherBatch: indices[1] = 4 is out of range for a dataset of 4 samples');
  });
});
