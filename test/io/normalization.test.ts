/**
 * Input normalisation as a choice (data/dataset.ts Normalization), recorded in the checkpoint
 * (io/checkpoint.ts). What must hold: the scalar mean is the mean grey level of every pixel of the
 * training images, held as an image of that value; a checkpoint says 'scalar' only for such an
 * image, says nothing for the mean image (so the seed's checkpoints keep their bytes), and reads
 * an older file as 'image'; and a scalar-mean model saved and loaded back is evaluated and attacked
 * to the same numbers as in memory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { isScalarMean, meanImage, normalizationMean, scalarMeanImage, subtractMean, take } from '../../src/data/dataset.ts';
import { checkpointFromModel, decodeCheckpoint, encodeCheckpoint, restoreModel } from '../../src/io/checkpoint.ts';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint-file.ts';
import { crc32 } from '../../src/io/crc32.ts';
import { loadMnist } from '../../src/io/mnist.ts';
import { createLeNet } from '../../src/models/lenet.ts';
import { createLeNetRelu, LENET_RELU_ARCHITECTURE } from '../../src/models/lenet-relu.ts';
import { createModel } from '../../src/models/registry.ts';
import { randn } from '../../src/tensor/create.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { Adam } from '../../src/train/adam.ts';
import { evaluate } from '../../src/train/evaluate.ts';
import { train } from '../../src/train/train.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'advgrad-normalization-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the scalar mean', () => {
  test('one value everywhere: the float64 mean of every pixel of every image, shaped as the mean image', () => {
    const images = randn([5, 1, 28, 28], { rng: 1, mean: 40, std: 30 });
    let total = 0;
    images.data.forEach((v) => (total += v));
    const m = scalarMeanImage(images);
    expect(m.shape).toEqual([1, 1, 28, 28]);
    expect(m.dtype).toBe('float32');
    expect(isScalarMean(m)).toBe(true);
    expect(m.data[0]).toBe(Math.fround(total / images.size));
    expect(isScalarMean(meanImage(images))).toBe(false);
    expect(normalizationMean(images, 'scalar').data).toEqual(m.data);
    expect(normalizationMean(images).data).toEqual(meanImage(images).data);
    expect(() => normalizationMean(images, 'pixel' as never)).toThrow("normalizationMean: normalization must be one of image, scalar, got 'pixel'");
  });
});

describe('normalisation in the checkpoint', () => {
  const model = createLeNet({ seed: 1 });
  const image = randn([1, 1, 28, 28], { rng: 2, mean: 33, std: 10 });
  const scalar = new Tensor(new Float32Array(784).fill(33.25), [1, 1, 28, 28]);
  const header = (bytes: Uint8Array): string => new TextDecoder().decode(bytes.subarray(24, 24 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true)));

  test("the mean image: no header field (the bytes of a checkpoint written before the choice existed), read back as 'image'", () => {
    const fixed = { createdAt: '2026-01-01T00:00:00.000Z' };
    const before = encodeCheckpoint({ ...checkpointFromModel(model, { meanImage: image }), ...fixed, normalization: undefined });
    const now = encodeCheckpoint({ ...checkpointFromModel(model, { meanImage: image, normalization: 'image' }), ...fixed });
    expect(Buffer.from(now).equals(Buffer.from(before))).toBe(true);
    expect(header(now)).not.toContain('normalization');
    expect(decodeCheckpoint(before, 'old.ckpt').normalization).toBe('image');
  });

  test("'scalar' round-trips, explicitly or from the run's config (normalize: 'scalar')", () => {
    const explicit = decodeCheckpoint(encodeCheckpoint(checkpointFromModel(model, { meanImage: scalar, normalization: 'scalar' })), 'a.ckpt');
    expect(explicit.normalization).toBe('scalar');
    expect(Array.from(explicit.meanImage!.data)).toEqual(Array.from(scalar.data));
    const bytes = encodeCheckpoint(checkpointFromModel(model, { meanImage: scalar, config: { normalize: 'scalar' } }));
    expect(header(bytes)).toContain('"normalization":"scalar"');
    expect(decodeCheckpoint(bytes, 'b.ckpt').normalization).toBe('scalar');
  });

  test("'scalar' with a mean that is not one value, or with none, is refused on writing and on reading; an unknown value on reading", () => {
    expect(() => encodeCheckpoint(checkpointFromModel(model, { meanImage: image, normalization: 'scalar' }))).toThrow(
      /encodeCheckpoint: normalization is 'scalar' but meanImage is not one value everywhere/,
    );
    expect(() => encodeCheckpoint(checkpointFromModel(model, { normalization: 'scalar' }))).toThrow("encodeCheckpoint: normalization is 'scalar' but there is no meanImage");
    // a file whose header says 'scalar' over a mean image, and one with an unknown name: same length, CRC recomputed
    const edit = (from: string, to: string): Uint8Array => {
      const bytes = encodeCheckpoint(checkpointFromModel(model, { meanImage: scalar, normalization: 'scalar' })).slice();
      const at = header(bytes).indexOf(from);
      bytes.set(new TextEncoder().encode(to), 24 + at);
      new DataView(bytes.buffer).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
      return bytes;
    };
    expect(() => decodeCheckpoint(edit('"normalization":"scalar"', '"normalization":"pixels"'), 'c.ckpt')).toThrow(
      `checkpoint c.ckpt: header normalization is "pixels"; expected 'image' or 'scalar' (absent: 'image')`,
    );
    const mixed = encodeCheckpoint(checkpointFromModel(model, { meanImage: scalar, normalization: 'scalar' })).slice();
    const dataStart = 24 + new DataView(mixed.buffer).getUint32(12, true);
    const meanEntry = decodeCheckpoint(mixed, 'd.ckpt'); // where the mean sits: after the parameters
    const paramBytes = meanEntry.params.reduce((a, [, t]) => a + Math.ceil((t.size * 4) / 8) * 8, 0);
    new DataView(mixed.buffer).setFloat32(dataStart + paramBytes + 4, 34, true); // its second value
    new DataView(mixed.buffer).setUint32(mixed.length - 4, crc32(mixed.subarray(0, mixed.length - 4)), true);
    expect(() => decodeCheckpoint(mixed, 'd.ckpt')).toThrow(/checkpoint d\.ckpt: normalization is 'scalar' but meanImage is not one value everywhere/);
  });
});

test('a scalar-mean lenet-relu, saved and loaded back, is evaluated and attacked (PGD with clip, FGSM) to the numbers in memory', async () => {
  const mnist = loadMnist();
  const rawTrain = take(mnist.train, 600);
  const rawTest = take(mnist.test, 60);
  const mean = scalarMeanImage(rawTrain.images); // [1, 1, 28, 28], one grey level
  const model = createLeNetRelu({ seed: 0 });
  await train(model, { images: subtractMean(rawTrain.images, mean), labels: rawTrain.labels }, { optimizer: new Adam(model.parameters()), epochs: 1, seed: 0 });
  const pgd = { attack: 'pgd' as const, eps: 0.1, steps: 5, clip: true, seed: 3 };
  const figures = async (m: typeof model, meanImageUsed: Tensor): Promise<unknown[]> => {
    const x = subtractMean(rawTest.images, meanImageUsed); // the inputs prepared as the model was trained
    return [
      await evaluate(m, x, rawTest.labels),
      await evaluate(m, x, rawTest.labels, { attack: { ...pgd, mean: meanImageUsed } }),
      await evaluate(m, x, rawTest.labels, { attack: { eps: 0.1, clip: true, mean: meanImageUsed } }),
    ];
  };
  const inMemory = await figures(model, mean);
  expect((inMemory[0] as { accuracy: number }).accuracy).toBeGreaterThan(0.5); // trained: the numbers mean something
  const file = path.join(dir, 'scalar.ckpt');
  saveCheckpoint(file, checkpointFromModel(model, { meanImage: mean, config: { normalize: 'scalar' } }));
  const loaded = loadCheckpoint(file);
  expect([loaded.architecture, loaded.normalization]).toEqual([LENET_RELU_ARCHITECTURE, 'scalar']);
  const back = createModel(loaded.architecture);
  restoreModel(back, loaded);
  expect(await figures(back as typeof model, loaded.meanImage!)).toEqual(inMemory);
});
