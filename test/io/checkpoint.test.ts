import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { noGrad, variable } from '../../src/autograd/variable.ts';
import { createLeNet, type LeNet } from '../../src/models/lenet.ts';
import { randn } from '../../src/tensor/create.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import {
  CheckpointError,
  checkpointFromModel,
  decodeCheckpoint,
  encodeCheckpoint,
  restoreModel,
  restoreOptimizer,
  type CheckpointContents,
} from '../../src/io/checkpoint.ts';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint-file.ts';
import { crc32 } from '../../src/io/crc32.ts';
import { SGD } from '../../src/train/sgd.ts';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'advgrad-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The raw bytes of a typed array, to compare bit for bit (NaN-safe, -0 ≠ +0). */
function bits(a: Float32Array | Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function sameBits(a: Float32Array | Float64Array, b: Float32Array | Float64Array): boolean {
  return a.constructor === b.constructor && bits(a).equals(bits(b));
}

/** Fake gradients, the same for every call with the same seed. */
function setGrads(model: LeNet, seed: number): void {
  model.parameters().forEach((p, i) => {
    p.grad = randn(p.value.shape, { rng: seed * 100 + i });
  });
}

/** A LeNet moved off its initialisation by two SGD steps, so biases and velocities are non-trivial. */
function trainedLeNet(): { model: LeNet; sgd: SGD } {
  const model = createLeNet({ seed: 1 });
  const sgd = new SGD(model.parameters(), { lr: 0.01 });
  for (const step of [1, 2]) {
    setGrads(model, step);
    sgd.step();
  }
  return { model, sgd };
}

const meanImage = randn([1, 1, 28, 28], { rng: 7, mean: 33, std: 10 });

function fullCheckpoint(): CheckpointContents {
  const { model, sgd } = trainedLeNet();
  return checkpointFromModel(model, {
    meanImage,
    config: { eps: 0.25, clip: false, schedule: 'batch', epochs: { standard: 3 } },
    metrics: { clean: { accuracy: 0.9858 }, note: 'ünïcödé' },
    epoch: 3,
    optimizer: sgd,
  });
}

let fileCounter = 0;
function tmpFile(name = 'model.ckpt'): string {
  return path.join(dir, `${fileCounter++}-${name}`);
}

/** Rewrites a valid checkpoint's header (and optionally its prefix version) and fixes the checksum. */
function rewrite(bytes: Uint8Array, edit: (header: any) => void, options: { version?: number; headerText?: string } = {}): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const H = view.getUint32(12, true);
  const data = bytes.subarray(24 + H, bytes.length - 4);
  const header = JSON.parse(Buffer.from(bytes.subarray(24, 24 + H)).toString('utf8'));
  edit(header);
  const text = Buffer.from(options.headerText ?? JSON.stringify(header), 'utf8');
  const newH = Math.ceil(text.length / 8) * 8;
  const out = new Uint8Array(24 + newH + data.length + 4);
  const outView = new DataView(out.buffer);
  out.set(bytes.subarray(0, 8));
  outView.setUint32(8, options.version ?? 1, true);
  outView.setUint32(12, newH, true);
  outView.setBigUint64(16, BigInt(data.length), true);
  out.fill(0x20, 24, 24 + newH);
  out.set(text, 24);
  out.set(data, 24 + newH);
  outView.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

/** The list of tensor entries in an encoded checkpoint's header. */
function headerOf(bytes: Uint8Array): any {
  const H = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  return JSON.parse(Buffer.from(bytes.subarray(24, 24 + H)).toString('utf8'));
}

describe('round trip', () => {
  test('save → load gives bitwise identical parameters, mean image, config, metrics, epoch', () => {
    const c = fullCheckpoint();
    const file = tmpFile();
    saveCheckpoint(file, c);
    const back = loadCheckpoint(file);
    expect(back.architecture).toBe('lenet-mnist-matconvnet');
    expect(back.params.map(([n]) => n)).toEqual(c.params.map(([n]) => n));
    back.params.forEach(([name, t], i) => {
      expect(t.shape, name).toEqual(c.params[i][1].shape);
      expect(t.dtype, name).toBe('float32');
      expect(sameBits(t.data, c.params[i][1].data), name).toBe(true);
    });
    expect(back.meanImage!.shape).toEqual([1, 1, 28, 28]);
    expect(sameBits(back.meanImage!.data, meanImage.data)).toBe(true);
    expect(back.config).toEqual(c.config);
    expect(back.metrics).toEqual(c.metrics);
    expect(back.epoch).toBe(3);
    expect(Number.isNaN(Date.parse(back.createdAt!))).toBe(false);
    expect(back.source).toBe(file);
  });

  test('the file layout: magic, 8-aligned tensors, length, trailing CRC-32', () => {
    const bytes = encodeCheckpoint(fullCheckpoint());
    expect(Buffer.from(bytes.subarray(0, 8)).toString('latin1')).toBe('ADVGCKPT');
    const view = new DataView(bytes.buffer);
    const H = view.getUint32(12, true);
    const D = Number(view.getBigUint64(16, true));
    expect(H % 8).toBe(0);
    expect(bytes.length).toBe(24 + H + D + 4);
    const header = headerOf(bytes);
    expect(header.format).toBe('advgrad-checkpoint');
    expect(header.version).toBe(1);
    expect(header.optimizer).toEqual({ name: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 5e-4, steps: 2 });
    for (const t of header.tensors) expect(t.offset % 8, t.name).toBe(0);
    expect(header.tensors.map((t: any) => t.name)).toContain('optimizer.velocity.conv3.weight');
    expect(view.getUint32(bytes.length - 4, true)).toBe(crc32(bytes.subarray(0, bytes.length - 4)));
  });

  test('a LeNet restored into createLeNet({ seed: 99 }) gives bitwise identical logits', () => {
    const { model } = trainedLeNet();
    const file = tmpFile();
    saveCheckpoint(file, checkpointFromModel(model));
    const fresh = createLeNet({ seed: 99 });
    const x = variable(randn([4, 1, 28, 28], { rng: 3, std: 50 }));
    const want = noGrad(() => model.forward(x)).value.data;
    expect(sameBits(noGrad(() => fresh.forward(x)).value.data, want)).toBe(false);
    restoreModel(fresh, loadCheckpoint(file));
    expect(sameBits(noGrad(() => fresh.forward(x)).value.data, want)).toBe(true);
  });

  test('a checkpoint without mean image, metrics or optimizer round-trips as nulls', () => {
    const back = decodeCheckpoint(encodeCheckpoint(checkpointFromModel(createLeNet({ seed: 2 }))), 'mem');
    expect(back.meanImage).toBeNull();
    expect(back.metrics).toBeNull();
    expect(back.optimizer).toBeNull();
    expect(back.config).toEqual({});
    expect(back.epoch).toBe(0);
  });

  test('float64 parameters keep their dtype and restore into a float32 model rounded', () => {
    const model64 = createLeNet({ seed: 4, dtype: 'float64' });
    const back = decodeCheckpoint(encodeCheckpoint(checkpointFromModel(model64)), 'mem');
    expect(back.params[0][1].dtype).toBe('float64');
    expect(sameBits(back.params[0][1].data, model64.parameters()[0].value.data)).toBe(true);
    const model32 = createLeNet({ seed: 5 });
    restoreModel(model32, back);
    expect(sameBits(model32.parameters()[0].value.data, Float32Array.from(model64.parameters()[0].value.data))).toBe(true);
  });
});

describe('optimizer state', () => {
  test('velocities round-trip exactly in float64, and resuming is bit-exact', () => {
    const { model, sgd } = trainedLeNet();
    const file = tmpFile();
    saveCheckpoint(file, checkpointFromModel(model, { optimizer: sgd, epoch: 1 }));
    const back = loadCheckpoint(file);
    expect(back.optimizer!.steps).toBe(2);
    back.optimizer!.velocity.forEach((v, i) => {
      expect(v).toBeInstanceOf(Float64Array);
      expect(sameBits(v, sgd.velocity[i])).toBe(true);
    });
    // The velocities are not float32-representable: a float32 store would have lost bits.
    expect(sameBits(Float64Array.from(Float32Array.from(sgd.velocity[2])), sgd.velocity[2])).toBe(false);

    // Resume: a fresh model and optimizer, restored, then one more identical step on both.
    const resumed = createLeNet({ seed: 99 });
    const resumedSgd = new SGD(resumed.parameters(), back.optimizer!);
    restoreModel(resumed, back);
    restoreOptimizer(resumedSgd, back);
    expect(resumedSgd.steps).toBe(2);
    expect(resumedSgd.lr).toBe(0.01);
    setGrads(model, 3);
    setGrads(resumed, 3);
    sgd.step();
    resumedSgd.step();
    model.parameters().forEach((p, i) => {
      expect(sameBits(resumed.parameters()[i].value.data, p.value.data)).toBe(true);
      expect(sameBits(resumedSgd.velocity[i], sgd.velocity[i])).toBe(true);
    });
  });

  test('restoreOptimizer without optimizer state names the file', () => {
    const file = tmpFile();
    saveCheckpoint(file, checkpointFromModel(createLeNet()));
    const model = createLeNet();
    expect(() => restoreOptimizer(new SGD(model.parameters()), loadCheckpoint(file))).toThrow(
      `checkpoint ${file}: has no optimizer state`,
    );
  });

  test('checkpointFromModel refuses an optimizer over other parameters', () => {
    const model = createLeNet();
    const other = createLeNet();
    expect(() => checkpointFromModel(model, { optimizer: new SGD(other.parameters()) })).toThrow(/optimizer's parameter 0 is not the model's conv1.weight/);
    expect(() => checkpointFromModel(model, { optimizer: new SGD(model.parameters().slice(1)) })).toThrow(/7 parameters but the model has 8/);
  });
});

describe('corrupt files', () => {
  let good: Uint8Array;
  let dataStart: number;
  beforeAll(() => {
    good = encodeCheckpoint(fullCheckpoint());
    dataStart = 24 + new DataView(good.buffer).getUint32(12, true);
  });

  // Positions: in the header JSON, the first data byte, inside conv3.weight, the last data byte, the CRC.
  test.each([
    ['header', () => 30],
    ['first data byte', () => dataStart],
    ['middle of the data', () => Math.floor((dataStart + good.length) / 2)],
    ['last data byte', () => good.length - 5],
    ['stored checksum', () => good.length - 2],
  ])('a flipped bit in the %s → checksum error', (_, where) => {
    const bad = good.slice();
    bad[where()] ^= 0x04;
    const file = tmpFile();
    fs.writeFileSync(file, bad);
    expect(() => loadCheckpoint(file)).toThrow(
      new RegExp(`^checkpoint ${file}: checksum mismatch: the file is corrupted \\(stored crc32 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\\)$`),
    );
  });

  test('a truncated file', () => {
    const file = tmpFile();
    fs.writeFileSync(file, good.subarray(0, good.length - 1000));
    expect(() => loadCheckpoint(file)).toThrow(new RegExp(`^checkpoint ${file}: truncated: the file has ${good.length - 1000} bytes but its prefix declares ${good.length}`));
    fs.writeFileSync(file, good.subarray(0, 20));
    expect(() => loadCheckpoint(file)).toThrow(`checkpoint ${file}: too short (20 bytes; a checkpoint has at least 28)`);
    fs.writeFileSync(file, new Uint8Array(0));
    expect(() => loadCheckpoint(file)).toThrow(`checkpoint ${file}: too short (0 bytes`);
  });

  test('trailing bytes', () => {
    const bad = new Uint8Array(good.length + 8);
    bad.set(good);
    expect(() => decodeCheckpoint(bad, 'x.ckpt')).toThrow(/trailing bytes/);
  });

  test('bad magic', () => {
    const file = tmpFile('not-a-checkpoint.pt');
    fs.writeFileSync(file, 'PK\x03\x04 this is a zip file, not a checkpoint at all');
    expect(() => loadCheckpoint(file)).toThrow(`checkpoint ${file}: not an advgrad checkpoint`);
    fs.writeFileSync(file, 'hi');
    expect(() => loadCheckpoint(file)).toThrow(`checkpoint ${file}: not an advgrad checkpoint`);
  });

  test('a missing file and a directory', () => {
    const file = path.join(dir, 'nope.ckpt');
    expect(() => loadCheckpoint(file)).toThrow(`checkpoint ${file}: file not found`);
    expect(() => loadCheckpoint(dir)).toThrow(`checkpoint ${dir}: is a directory`);
  });

  test('an unsupported version', () => {
    expect(() => decodeCheckpoint(rewrite(good, () => {}, { version: 2 }), 'v2.ckpt')).toThrow(
      'checkpoint v2.ckpt: format version 2 is not supported (this advgrad reads version 1)',
    );
    expect(() => decodeCheckpoint(rewrite(good, (h) => (h.version = 2)), 'x.ckpt')).toThrow('header version 2 disagrees with the prefix version 1');
  });

  test('header JSON that does not parse, or lacks fields', () => {
    expect(() => decodeCheckpoint(rewrite(good, () => {}, { headerText: '{"format": "advgrad-checkpoint",' }), 'x.ckpt')).toThrow(
      /^checkpoint x\.ckpt: header is not valid JSON/,
    );
    expect(() => decodeCheckpoint(rewrite(good, (h) => (h.format = 'other')), 'x.ckpt')).toThrow(`header format is "other", expected 'advgrad-checkpoint'`);
    expect(() => decodeCheckpoint(rewrite(good, (h) => delete h.architecture), 'x.ckpt')).toThrow('header architecture must be a non-empty string');
    expect(() => decodeCheckpoint(rewrite(good, (h) => (h.optimizer.steps = -1)), 'x.ckpt')).toThrow('header optimizer.steps must be an integer ≥ 0, got -1');
    expect(() => decodeCheckpoint(rewrite(good, (h) => (h.tensors = {})), 'x.ckpt')).toThrow('header tensors must be a list');
  });

  test('tensor offsets and lengths out of range or inconsistent with shape × dtype', () => {
    const last = (h: any) => h.tensors[h.tensors.length - 1];
    expect(() => decodeCheckpoint(rewrite(good, (h) => (last(h).offset += 8)), 'x.ckpt')).toThrow(
      /tensor optimizer\.velocity\.conv4\.bias spans bytes \d+\.\.\d+ but the data section has \d+/,
    );
    expect(() => decodeCheckpoint(rewrite(good, (h) => (h.tensors[1].length = 40)), 'x.ckpt')).toThrow(
      'tensor conv1.bias has length 40 bytes but shape [20] of float32 needs 80',
    );
    expect(() => decodeCheckpoint(rewrite(good, (h) => (h.tensors[1].dtype = 'float64')), 'x.ckpt')).toThrow('tensor conv1.bias has length 80 bytes but shape [20] of float64 needs 160');
    expect(() => decodeCheckpoint(rewrite(good, (h) => (h.tensors[1].dtype = 'int8')), 'x.ckpt')).toThrow(`tensor conv1.bias has dtype "int8"`);
    expect(() => decodeCheckpoint(rewrite(good, (h) => (h.tensors[1].offset = 4)), 'x.ckpt')).toThrow('tensor conv1.bias has offset 4; expected an integer ≥ 0, a multiple of 8');
    expect(() => decodeCheckpoint(rewrite(good, (h) => (h.tensors[1].shape = [20, -1])), 'x.ckpt')).toThrow('tensor conv1.bias has shape [20,-1]');
    expect(() => decodeCheckpoint(rewrite(good, (h) => (h.tensors[1].offset = 8)), 'x.ckpt')).toThrow(/tensor conv1\.bias at offset 8 overlaps tensor conv1\.weight/);
  });

  test('duplicate names, stray and missing velocities', () => {
    expect(() => decodeCheckpoint(rewrite(good, (h) => (h.tensors[1].name = 'conv1.weight')), 'x.ckpt')).toThrow('checkpoint x.ckpt: tensor conv1.weight appears twice');
    expect(() => decodeCheckpoint(rewrite(good, (h) => (h.optimizer = null)), 'x.ckpt')).toThrow(/has optimizer velocities \(conv1\.weight, .*\) but no optimizer in the header/);
    expect(() => decodeCheckpoint(rewrite(good, (h) => (last(h).name = 'optimizer.velocity.conv9.bias')), 'x.ckpt')).toThrow(
      'has velocities for unknown parameters: optimizer.velocity.conv9.bias',
    );
    function last(h: any) {
      return h.tensors[h.tensors.length - 1];
    }
  });

  test('NaN or Infinity in a parameter', () => {
    const c = fullCheckpoint();
    c.params[3][1].data[7] = Number.NaN;
    expect(() => encodeCheckpoint(c)).toThrow('encodeCheckpoint: tensor conv2.bias has a non-finite value (NaN) at flat index 7');
    // A file written by something else: patch a float and fix the checksum.
    const bad = rewrite(good, () => {});
    const header = headerOf(bad);
    const entry = header.tensors.find((t: any) => t.name === 'conv2.weight');
    const H = new DataView(bad.buffer).getUint32(12, true);
    new DataView(bad.buffer).setFloat32(24 + H + entry.offset + 4 * 11, Number.POSITIVE_INFINITY, true);
    new DataView(bad.buffer).setUint32(bad.length - 4, crc32(bad.subarray(0, bad.length - 4)), true);
    expect(() => decodeCheckpoint(bad, 'x.ckpt')).toThrow('checkpoint x.ckpt: tensor conv2.weight has a non-finite value (Infinity) at flat index 11');
  });
});

describe('restoreModel checks the model', () => {
  test('another architecture → an error naming both', () => {
    const c = checkpointFromModel(createLeNet());
    c.architecture = 'resnet-cifar';
    const file = path.join(dir, 'x-standard.ckpt');
    saveCheckpoint(file, c);
    expect(() => restoreModel(createLeNet(), loadCheckpoint(file))).toThrow(
      `checkpoint ${file}: architecture is 'resnet-cifar' but the model is 'lenet-mnist-matconvnet'`,
    );
  });

  test('a shape mismatch → an error naming the parameter and both shapes; the model is untouched', () => {
    const c = checkpointFromModel(createLeNet());
    c.params[2][1] = randn([50, 20, 3, 3], { rng: 1 });
    const file = tmpFile();
    saveCheckpoint(file, c);
    const model = createLeNet({ seed: 8 });
    const before = Float32Array.from(model.parameters()[0].value.data);
    expect(() => restoreModel(model, loadCheckpoint(file))).toThrow(
      `checkpoint ${file}: parameter conv2.weight has shape [50,20,5,5] in the model but [50,20,3,3] in the checkpoint`,
    );
    expect(sameBits(model.parameters()[0].value.data, before)).toBe(true);
  });

  test('missing and extra names are listed', () => {
    const c = checkpointFromModel(createLeNet());
    c.params = c.params.filter(([n]) => n !== 'conv4.bias' && n !== 'conv3.bias');
    c.params.push(['fc5.weight', new Tensor(new Float32Array(4), [2, 2])]);
    expect(() => restoreModel(createLeNet(), c, 'my checkpoint')).toThrow(
      "my checkpoint: the model's parameters conv3.bias, conv4.bias are missing from the checkpoint; the checkpoint's parameter fc5.weight is not in the model",
    );
  });

  test('restoreOptimizer checks the optimizer size', () => {
    const c = fullCheckpoint();
    const model = createLeNet();
    expect(() => restoreOptimizer(new SGD(model.parameters().slice(0, 2)), c, 'ck')).toThrow('ck: has optimizer state for 8 parameters but the optimizer has 2');
  });
});

describe('saving is atomic', () => {
  const leftovers = (d: string) => fs.readdirSync(d).filter((f) => f.includes('.tmp-'));

  test('into a directory that does not exist → an error naming the path, no temp file', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'save-'));
    const file = path.join(sub, 'missing', 'model.ckpt');
    expect(() => saveCheckpoint(file, checkpointFromModel(createLeNet()))).toThrow(
      `saveCheckpoint: cannot write ${file}: directory ${path.join(sub, 'missing')} does not exist`,
    );
    expect(fs.readdirSync(sub)).toEqual([]);
  });

  test('a failing rename (the target is a directory) leaves no temp file', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'save-'));
    const file = path.join(sub, 'model.ckpt');
    fs.mkdirSync(file);
    expect(() => saveCheckpoint(file, checkpointFromModel(createLeNet()))).toThrow(CheckpointError);
    expect(() => saveCheckpoint(file, checkpointFromModel(createLeNet()))).toThrow(`saveCheckpoint: cannot write ${file}:`);
    expect(leftovers(sub)).toEqual([]);
  });

  test('saving over an existing checkpoint leaves the old or the new complete file, no .tmp', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'save-'));
    const file = path.join(sub, 'model.ckpt');
    saveCheckpoint(file, checkpointFromModel(createLeNet({ seed: 1 }), { epoch: 1 }));
    saveCheckpoint(file, checkpointFromModel(createLeNet({ seed: 2 }), { epoch: 2 }));
    expect(loadCheckpoint(file).epoch).toBe(2);
    expect(fs.readdirSync(sub)).toEqual(['model.ckpt']);
    // A save that fails (NaN weights) leaves the previous file as it was.
    const broken = checkpointFromModel(createLeNet({ seed: 3 }), { epoch: 3 });
    broken.params[0][1].data[0] = Number.NaN;
    const before = fs.readFileSync(file);
    expect(() => saveCheckpoint(file, broken)).toThrow(/non-finite/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(loadCheckpoint(file).epoch).toBe(2);
    expect(leftovers(sub)).toEqual([]);
  });
});

const hasPython = spawnSync('python3', ['-c', 'import zlib, struct, json, array'], { stdio: 'ignore' }).status === 0;

describe('docs/checkpoint-format.md', () => {
  test.skipIf(!hasPython)('its Python reader reads a checkpoint written here and verifies the checksum', () => {
    const doc = fs.readFileSync(new URL('../../docs/checkpoint-format.md', import.meta.url), 'utf8');
    const script = /```python\n([\s\S]*?)```/.exec(doc)![1];
    const file = tmpFile();
    saveCheckpoint(file, fullCheckpoint());
    const run = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^lenet-mnist-matconvnet epoch 3 checksum ok\n/);
    expect(run.stdout).toMatch(/conv3\.weight\s+\[500, 50, 4, 4\]/);
    expect(run.stdout).toMatch(/optimizer\.velocity\.conv4\.bias\s+\[10\]/);
    const bad = fs.readFileSync(file);
    bad[bad.length - 100] ^= 1;
    fs.writeFileSync(file, bad);
    const failed = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toMatch(/checksum mismatch/);
  });
});
