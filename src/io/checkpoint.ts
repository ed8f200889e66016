/**
 * Checkpoints: a model's parameters, the mean image, the training config and metrics, and the SGD
 * state that makes resuming bit-exact, in one self-checking binary file that a 20-line Python script
 * can read (docs/checkpoint-format.md has the layout byte by byte and that script).
 *
 * Layout. Integers and floats are little-endian; every tensor starts on an 8-byte boundary of the
 * file, so a reader can map Float64 data in place.
 *
 *   offset      size  field
 *   0           8     magic, ASCII "ADVGCKPT"
 *   8           4     uint32 format version = 1
 *   12          4     uint32 H, header length in bytes, a multiple of 8
 *   16          8     uint64 D, data-section length in bytes, a multiple of 8
 *   24          H     header: UTF-8 JSON, padded with spaces (0x20) to H bytes
 *   24+H        D     data section: each tensor at 24 + H + its `offset`, zero bytes between them
 *   24+H+D      4     uint32 CRC-32 (IEEE 802.3 polynomial, as zlib.crc32) of bytes [0, 24+H+D)
 *   file length = 24 + H + D + 4
 *
 * Header JSON:
 *   { "format": "advgrad-checkpoint", "version": 1, "architecture": "lenet-mnist-matconvnet",
 *     "createdAt": ISO 8601, "epoch": number, "config": {…}, "metrics": {…} | null,
 *     "optimizer": { "name": "sgd", "lr", "momentum", "weightDecay", "steps" } | null,
 *     "normalization": "scalar"   (only then; absent: "image", as in every older checkpoint),
 *     "tensors": [ { "name", "shape": [ints], "dtype": "float32" | "float64",
 *                    "offset": bytes from the start of the data section, "length": bytes }, … ] }
 *
 * Tensors, contiguous row-major, NCHW / OIHW as PyTorch:
 *   <parameter name>                    the model's parameters in model order, e.g. conv1.weight
 *                                       [20,1,5,5]; stored in the model's dtype (float32 for training)
 *   meanImage                           [1,1,28,28] float32, the image subtracted from every input;
 *                                       with "normalization": "scalar", every value is the one mean
 *                                       grey level (data/dataset.ts scalarMeanImage), so a reader that
 *                                       subtracts meanImage prepares inputs right either way
 *   optimizer.velocity.<parameter>      float64, the parameter's shape: SGD's v, kept in float64 so
 *                                       resuming repeats the uninterrupted run bit for bit
 *
 * Loading checks everything (magic, version, declared sizes, checksum, header fields, every tensor's
 * offset, length and shape, duplicates, finiteness) and names the file and what is wrong.
 *
 * This file works on bytes and runs anywhere; reading and writing files is checkpoint-file.ts.
 * It stays one file because the writer and the checking reader are the two halves of the layout
 * above (every size, offset and alignment rule is used by both, and a change to one must be seen
 * beside the other); the model's side (checkpointFromModel, restoreModel, restoreOptimizer) is the
 * last 80 lines.
 */
import { crc32 } from './crc32.ts';
import { isScalarMean, NORMALIZATIONS, type Normalization } from '../data/dataset.ts';
import type { Module } from '../layers/module.ts';
import { formatShape, sameShape, shapeSize, type Shape } from '../tensor/shape.ts';
import { Tensor, type DType, type FloatArray } from '../tensor/tensor.ts';
import type { SGD } from '../train/sgd.ts';

export const CHECKPOINT_MAGIC = 'ADVGCKPT';
export const CHECKPOINT_FORMAT = 'advgrad-checkpoint';
export const CHECKPOINT_VERSION = 1;
/** magic (8) + version (4) + H (4) + D (8). */
const PREFIX_BYTES = 24;
const CRC_BYTES = 4;
const MEAN_IMAGE = 'meanImage';
const VELOCITY_PREFIX = 'optimizer.velocity.';
const BYTES_PER: Record<DType, number> = { float32: 4, float64: 8 };

/** SGD's state as stored: hyperparameters, step count, and one float64 velocity per parameter. */
export interface OptimizerState {
  name: 'sgd';
  lr: number;
  momentum: number;
  weightDecay: number;
  steps: number;
  /** velocity[i] belongs to params[i]; same number of elements. */
  velocity: Float64Array[];
}

/** Everything a checkpoint holds, decoded. */
export interface CheckpointContents {
  architecture: string;
  /** Named parameters in model order, e.g. ['conv1.weight', Tensor [20,1,5,5]]. */
  params: Array<[string, Tensor]>;
  /** [1, 1, 28, 28] float32, or null when the checkpoint has none. */
  meanImage: Tensor | null;
  /**
   * How the inputs were centred: 'image' (absent means 'image', as in every older checkpoint) or
   * 'scalar', meanImage then holding one value everywhere (data/dataset.ts Normalization).
   */
  normalization?: Normalization;
  config: Record<string, unknown>;
  metrics: Record<string, unknown> | null;
  /** Epochs of training behind these parameters. */
  epoch: number;
  optimizer: OptimizerState | null;
  /** ISO 8601 time of writing; set by encodeCheckpoint when absent. */
  createdAt?: string;
  /** The file (or name) it was decoded from; used in error messages, never stored. */
  source?: string;
}

/** What checkpointFromModel adds to the model's parameters. */
export interface CheckpointExtras {
  meanImage?: Tensor | null;
  /**
   * How meanImage centres the inputs. Default: `config.normalize` when it names one (the run's
   * flag, as `advgrad train --normalize` records it), else 'image'.
   */
  normalization?: Normalization;
  config?: Record<string, unknown>;
  metrics?: Record<string, unknown> | null;
  epoch?: number;
  /** Must hold exactly the model's parameters, in model order (as `new SGD(model.parameters())`). */
  optimizer?: SGD | null;
}

/** Every checkpoint problem (a bad file, a model that does not fit) throws this. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

// ---------------------------------------------------------------------------------------------
// Encoding

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: DType;
  offset: number;
  length: number;
}

/** The bytes of a checkpoint (layout in the file header). Throws on contents that would not load. */
export function encodeCheckpoint(c: CheckpointContents): Uint8Array {
  const fail = (msg: string): never => {
    throw new CheckpointError(`encodeCheckpoint: ${msg}`);
  };
  if (typeof c.architecture !== 'string' || c.architecture === '') fail('architecture must be a non-empty string');
  if (!Number.isFinite(c.epoch) || c.epoch < 0) fail(`epoch must be a finite number ≥ 0, got ${c.epoch}`);
  if (!isPlainObject(c.config)) fail('config must be an object');
  if (c.metrics !== null && !isPlainObject(c.metrics)) fail('metrics must be an object or null');

  const tensors: Array<{ name: string; shape: Shape; data: FloatArray }> = [];
  const seen = new Set<string>();
  for (const [name, t] of c.params) {
    if (typeof name !== 'string' || name === '') fail('a parameter has an empty name');
    if (name === MEAN_IMAGE || name.startsWith(VELOCITY_PREFIX)) fail(`parameter name '${name}' is reserved`);
    if (seen.has(name)) fail(`two parameters are named '${name}'`);
    seen.add(name);
    tensors.push({ name, shape: t.shape, data: t.data });
  }
  if (c.meanImage !== null) tensors.push({ name: MEAN_IMAGE, shape: c.meanImage.shape, data: c.meanImage.data });
  const normalization = c.normalization ?? 'image';
  const problem = normalizationProblem(normalization, c.meanImage);
  if (problem !== null) fail(problem);
  const opt = c.optimizer;
  if (opt !== null) {
    if (opt.name !== 'sgd') fail(`optimizer '${String(opt.name)}' is not supported (only 'sgd')`);
    for (const key of ['lr', 'momentum', 'weightDecay'] as const) {
      if (!Number.isFinite(opt[key])) fail(`optimizer.${key} must be a finite number, got ${opt[key]}`);
    }
    if (!Number.isInteger(opt.steps) || opt.steps < 0) fail(`optimizer.steps must be an integer ≥ 0, got ${opt.steps}`);
    if (opt.velocity.length !== c.params.length) {
      fail(`the optimizer has ${opt.velocity.length} velocity tensors but there are ${c.params.length} parameters`);
    }
    c.params.forEach(([name, t], i) => {
      const v = opt.velocity[i];
      if (!(v instanceof Float64Array)) fail(`velocity of ${name} must be a Float64Array`);
      if (v.length !== t.size) fail(`velocity of ${name} has ${v.length} elements but the parameter has ${t.size} (${formatShape(t.shape)})`);
      tensors.push({ name: VELOCITY_PREFIX + name, shape: t.shape, data: v });
    });
  }
  for (const t of tensors) {
    const bad = firstNonFinite(t.data);
    if (bad >= 0) fail(`tensor ${t.name} has a non-finite value (${t.data[bad]}) at flat index ${bad}`);
  }

  // Data section: each tensor 8-aligned, in the order above.
  let dataBytes = 0;
  const entries: TensorEntry[] = tensors.map((t) => {
    const dtype: DType = t.data instanceof Float64Array ? 'float64' : 'float32';
    const entry = { name: t.name, shape: [...t.shape], dtype, offset: dataBytes, length: t.data.length * BYTES_PER[dtype] };
    dataBytes = align8(dataBytes + entry.length);
    return entry;
  });

  const header = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    architecture: c.architecture,
    createdAt: c.createdAt ?? new Date().toISOString(),
    epoch: c.epoch,
    config: c.config,
    metrics: c.metrics,
    optimizer: opt === null ? null : { name: opt.name, lr: opt.lr, momentum: opt.momentum, weightDecay: opt.weightDecay, steps: opt.steps },
    // written only when not the default, so that a mean-image checkpoint keeps its bytes
    ...(normalization === 'image' ? {} : { normalization }),
    tensors: entries,
  };
  let json: string;
  try {
    json = JSON.stringify(header);
  } catch (err) {
    return fail(`config or metrics cannot be written as JSON: ${(err as Error).message}`);
  }
  const headerUtf8 = new TextEncoder().encode(json);
  const headerBytes = align8(headerUtf8.length); // H
  const dataStart = PREFIX_BYTES + headerBytes;
  const crcAt = dataStart + dataBytes;

  const out = new Uint8Array(crcAt + CRC_BYTES);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = CHECKPOINT_MAGIC.charCodeAt(i);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, headerBytes, true);
  view.setBigUint64(16, BigInt(dataBytes), true);
  out.set(headerUtf8, PREFIX_BYTES);
  out.fill(0x20, PREFIX_BYTES + headerUtf8.length, dataStart); // JSON allows trailing spaces
  entries.forEach((e, i) => {
    const data = tensors[i].data;
    let at = dataStart + e.offset; // seek to the tensor
    if (e.dtype === 'float64') for (let j = 0; j < data.length; j++, at += 8) view.setFloat64(at, data[j], true);
    else for (let j = 0; j < data.length; j++, at += 4) view.setFloat32(at, data[j], true);
  });
  view.setUint32(crcAt, crc32(out.subarray(0, crcAt)), true);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Decodes and validates checkpoint bytes; `name` (usually the path) appears in every error. */
export function decodeCheckpoint(bytes: Uint8Array, name: string): CheckpointContents {
  const fail = (msg: string): never => {
    throw new CheckpointError(`checkpoint ${name}: ${msg}`);
  };
  const minimum = PREFIX_BYTES + CRC_BYTES;
  for (let i = 0; i < Math.min(8, bytes.length); i++) {
    if (bytes[i] !== CHECKPOINT_MAGIC.charCodeAt(i)) fail(`not an advgrad checkpoint (the file does not start with "${CHECKPOINT_MAGIC}")`);
  }
  if (bytes.length < minimum) fail(`too short (${bytes.length} bytes; a checkpoint has at least ${minimum})`);

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) fail(`format version ${version} is not supported (this advgrad reads version ${CHECKPOINT_VERSION})`);
  const headerBytes = view.getUint32(12, true); // H
  const dataBytes = Number(view.getBigUint64(16, true)); // D
  const declared = PREFIX_BYTES + headerBytes + dataBytes + CRC_BYTES;
  if (declared !== bytes.length) {
    fail(
      bytes.length < declared
        ? `truncated: the file has ${bytes.length} bytes but its prefix declares ${declared} (header ${headerBytes}, data ${dataBytes})`
        : `the file has ${bytes.length} bytes but its prefix declares only ${declared} (header ${headerBytes}, data ${dataBytes}): trailing bytes`,
    );
  }
  if (headerBytes % 8 !== 0 || dataBytes % 8 !== 0) fail(`header length ${headerBytes} and data length ${dataBytes} must be multiples of 8`);

  const crcAt = bytes.length - CRC_BYTES;
  const stored = view.getUint32(crcAt, true);
  const computed = crc32(bytes.subarray(0, crcAt));
  if (stored !== computed) fail(`checksum mismatch: the file is corrupted (stored crc32 ${hex32(stored)}, computed ${hex32(computed)})`);

  // Header
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes));
    header = JSON.parse(text);
  } catch (err) {
    return fail(`header is not valid JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(header)) return fail('header is not a JSON object');
  if (header.format !== CHECKPOINT_FORMAT) fail(`header format is ${JSON.stringify(header.format)}, expected '${CHECKPOINT_FORMAT}'`);
  if (header.version !== version) fail(`header version ${JSON.stringify(header.version)} disagrees with the prefix version ${version}`);
  const { architecture, config, metrics, epoch, createdAt } = header;
  if (typeof architecture !== 'string' || architecture === '') fail('header architecture must be a non-empty string');
  if (!isPlainObject(config)) fail('header config must be an object');
  if (metrics !== null && !isPlainObject(metrics)) fail('header metrics must be an object or null');
  if (typeof epoch !== 'number' || !Number.isFinite(epoch) || epoch < 0) fail(`header epoch must be a number ≥ 0, got ${JSON.stringify(epoch)}`);
  if (typeof createdAt !== 'string') fail('header createdAt must be a string');
  const optimizer = header.optimizer === null ? null : checkOptimizerHeader(header.optimizer, fail);
  const normalization = header.normalization ?? 'image';
  if (!NORMALIZATIONS.includes(normalization as Normalization)) fail(`header normalization is ${JSON.stringify(header.normalization)}; expected ${NORMALIZATIONS.map((n) => `'${n}'`).join(' or ')} (absent: 'image')`);

  // Tensor table
  if (!Array.isArray(header.tensors)) return fail('header tensors must be a list');
  const entries = header.tensors.map((e, i) => checkEntry(e, i, dataBytes, fail));
  const byName = new Map<string, TensorEntry>();
  for (const e of entries) {
    if (byName.has(e.name)) fail(`tensor ${e.name} appears twice`);
    byName.set(e.name, e);
  }
  const sorted = [...entries].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (sorted[i].offset < prev.offset + prev.length) {
      fail(`tensor ${sorted[i].name} at offset ${sorted[i].offset} overlaps tensor ${prev.name} (bytes ${prev.offset}..${prev.offset + prev.length})`);
    }
  }

  const dataStart = PREFIX_BYTES + headerBytes;
  const read = (e: TensorEntry): Tensor => {
    const n = shapeSize(e.shape);
    let at = dataStart + e.offset; // seek to the tensor
    let data: FloatArray;
    if (e.dtype === 'float64') {
      data = new Float64Array(n);
      for (let j = 0; j < n; j++, at += 8) data[j] = view.getFloat64(at, true);
    } else {
      data = new Float32Array(n);
      for (let j = 0; j < n; j++, at += 4) data[j] = view.getFloat32(at, true);
    }
    const bad = firstNonFinite(data);
    if (bad >= 0) fail(`tensor ${e.name} has a non-finite value (${data[bad]}) at flat index ${bad}`);
    return new Tensor(data, e.shape);
  };

  const params: Array<[string, Tensor]> = [];
  let meanImage: Tensor | null = null;
  const velocities = new Map<string, TensorEntry>();
  for (const e of entries) {
    if (e.name === MEAN_IMAGE) meanImage = read(e);
    else if (e.name.startsWith(VELOCITY_PREFIX)) velocities.set(e.name.slice(VELOCITY_PREFIX.length), e);
    else params.push([e.name, read(e)]);
  }
  const problem = normalizationProblem(normalization as Normalization, meanImage);
  if (problem !== null) fail(problem);

  let optimizerState: OptimizerState | null = null;
  if (optimizer === null) {
    if (velocities.size > 0) fail(`has optimizer velocities (${[...velocities.keys()].join(', ')}) but no optimizer in the header`);
  } else {
    const paramNames = new Set(params.map(([p]) => p));
    const orphans = [...velocities.keys()].filter((v) => !paramNames.has(v));
    if (orphans.length > 0) fail(`has velocities for unknown parameters: ${orphans.map((o) => VELOCITY_PREFIX + o).join(', ')}`);
    const velocity = params.map(([p, t]) => {
      const e = velocities.get(p) ?? fail(`the optimizer has no velocity for parameter ${p} (expected tensor ${VELOCITY_PREFIX}${p})`);
      if (e.dtype !== 'float64') fail(`tensor ${e.name} is ${e.dtype}; velocities must be float64`);
      if (!sameShape(e.shape, t.shape)) fail(`tensor ${e.name} has shape ${formatShape(e.shape)} but parameter ${p} has ${formatShape(t.shape)}`);
      return read(e).data as Float64Array;
    });
    optimizerState = { ...optimizer, velocity };
  }

  return {
    architecture: architecture as string,
    params,
    meanImage,
    normalization: normalization as Normalization,
    config: config as Record<string, unknown>,
    metrics: metrics as Record<string, unknown> | null,
    epoch: epoch as number,
    optimizer: optimizerState,
    createdAt: createdAt as string,
    source: name,
  };
}

function checkOptimizerHeader(o: unknown, fail: (msg: string) => never): Omit<OptimizerState, 'velocity'> {
  if (!isPlainObject(o)) return fail('header optimizer must be an object or null');
  if (o.name !== 'sgd') fail(`optimizer ${JSON.stringify(o.name)} is not supported (only 'sgd')`);
  for (const key of ['lr', 'momentum', 'weightDecay']) {
    if (typeof o[key] !== 'number' || !Number.isFinite(o[key])) fail(`header optimizer.${key} must be a finite number, got ${JSON.stringify(o[key])}`);
  }
  if (typeof o.steps !== 'number' || !Number.isInteger(o.steps) || o.steps < 0) {
    fail(`header optimizer.steps must be an integer ≥ 0, got ${JSON.stringify(o.steps)}`);
  }
  return { name: 'sgd', lr: o.lr as number, momentum: o.momentum as number, weightDecay: o.weightDecay as number, steps: o.steps as number };
}

function checkEntry(e: unknown, i: number, dataBytes: number, fail: (msg: string) => never): TensorEntry {
  if (!isPlainObject(e)) return fail(`header tensors[${i}] is not an object`);
  const { name, shape, dtype, offset, length } = e;
  if (typeof name !== 'string' || name === '') return fail(`header tensors[${i}] has no name`);
  const what = `tensor ${name}`;
  if (!Array.isArray(shape) || !shape.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0)) {
    return fail(`${what} has shape ${JSON.stringify(shape)}; expected a list of integers ≥ 0`);
  }
  if (dtype !== 'float32' && dtype !== 'float64') return fail(`${what} has dtype ${JSON.stringify(dtype)}; expected 'float32' or 'float64'`);
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset % 8 !== 0) {
    return fail(`${what} has offset ${JSON.stringify(offset)}; expected an integer ≥ 0, a multiple of 8`);
  }
  const expected = shapeSize(shape) * BYTES_PER[dtype];
  if (length !== expected) return fail(`${what} has length ${JSON.stringify(length)} bytes but shape ${formatShape(shape)} of ${dtype} needs ${expected}`);
  if (offset + expected > dataBytes) return fail(`${what} spans bytes ${offset}..${offset + expected} but the data section has ${dataBytes}`);
  return { name, shape, dtype, offset, length: expected };
}

// ---------------------------------------------------------------------------------------------
// Models and optimizers

/**
 * A snapshot of `model` (parameters copied, so training on does not change it) with the extras.
 * The optimizer, if given, must hold exactly the model's parameters in model order.
 */
export function checkpointFromModel(model: Module & { architecture: string }, extras: CheckpointExtras = {}): CheckpointContents {
  const named = model.namedParameters();
  let optimizer: OptimizerState | null = null;
  const sgd = extras.optimizer ?? null;
  if (sgd !== null) {
    if (sgd.params.length !== named.length) {
      throw new CheckpointError(`checkpointFromModel: the optimizer has ${sgd.params.length} parameters but the model has ${named.length}`);
    }
    named.forEach(([name, p], i) => {
      if (sgd.params[i] !== p) throw new CheckpointError(`checkpointFromModel: the optimizer's parameter ${i} is not the model's ${name}; build it with new SGD(model.parameters())`);
    });
    const state = sgd.state();
    optimizer = { name: 'sgd', lr: sgd.lr, momentum: sgd.momentum, weightDecay: sgd.weightDecay, steps: state.steps, velocity: state.velocity };
  }
  const normalize = extras.config?.normalize;
  const normalization = extras.normalization ?? (NORMALIZATIONS.includes(normalize as Normalization) ? (normalize as Normalization) : 'image');
  return {
    architecture: model.architecture,
    params: named.map(([name, p]): [string, Tensor] => [name, p.value.clone()]),
    meanImage: extras.meanImage ? extras.meanImage.clone() : null,
    normalization,
    config: extras.config ?? {},
    metrics: extras.metrics ?? null,
    epoch: extras.epoch ?? 0,
    optimizer,
  };
}

/**
 * Copies the checkpoint's parameters into the model's, in place (converting dtype), after checking
 * the architecture, the exact set of names and every shape. Nothing is copied unless all fit.
 * @param source prefix of error messages (default "checkpoint <file it was loaded from>")
 */
export function restoreModel(model: Module & { architecture: string }, c: CheckpointContents, source = describeSource(c)): void {
  if (c.architecture !== model.architecture) {
    throw new CheckpointError(`${source}: architecture is '${c.architecture}' but the model is '${model.architecture}'`);
  }
  const modelParams = model.namedParameters();
  const stored = new Map(c.params);
  const modelNames = new Set(modelParams.map(([name]) => name));
  const missing = modelParams.map(([name]) => name).filter((name) => !stored.has(name));
  const extra = c.params.map(([name]) => name).filter((name) => !modelNames.has(name));
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`the model's parameter${plural(missing)} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing from the checkpoint`);
  if (extra.length > 0) problems.push(`the checkpoint's parameter${plural(extra)} ${extra.join(', ')} ${extra.length === 1 ? 'is' : 'are'} not in the model`);
  for (const [name, p] of modelParams) {
    const t = stored.get(name);
    if (t !== undefined && !sameShape(t.shape, p.value.shape)) {
      problems.push(`parameter ${name} has shape ${formatShape(p.value.shape)} in the model but ${formatShape(t.shape)} in the checkpoint`);
    }
  }
  if (problems.length > 0) throw new CheckpointError(`${source}: ${problems.join('; ')}`);
  for (const [name, p] of modelParams) p.value.data.set(stored.get(name)!.data); // Float64 → Float32 rounds to nearest
}

/**
 * Restores SGD's velocities and step count (via optimizer.loadState) for a bit-exact resume. The
 * optimizer must hold the model's parameters in model order. Its lr, momentum and weight decay stay
 * as constructed: build it with `new SGD(model.parameters(), c.optimizer)` to reuse the stored ones.
 */
export function restoreOptimizer(optimizer: SGD, c: CheckpointContents, source = describeSource(c)): void {
  const state = c.optimizer;
  if (state === null) throw new CheckpointError(`${source}: has no optimizer state (it was saved without one), so training cannot resume from it`);
  if (optimizer.params.length !== c.params.length) {
    throw new CheckpointError(`${source}: has optimizer state for ${c.params.length} parameters but the optimizer has ${optimizer.params.length}`);
  }
  c.params.forEach(([name], i) => {
    const size = optimizer.params[i].value.size;
    if (state.velocity[i].length !== size) {
      throw new CheckpointError(`${source}: the velocity of ${name} has ${state.velocity[i].length} elements but the optimizer's parameter ${i} has ${size}`);
    }
  });
  optimizer.loadState({ steps: state.steps, velocity: state.velocity });
}

// ---------------------------------------------------------------------------------------------

/** Why `mean` cannot be the mean of `normalization`, or null when it can. */
function normalizationProblem(normalization: Normalization, mean: Tensor | null): string | null {
  if (!NORMALIZATIONS.includes(normalization)) return `normalization must be ${NORMALIZATIONS.map((n) => `'${n}'`).join(' or ')}, got ${JSON.stringify(normalization)}`;
  if (normalization !== 'scalar') return null;
  if (mean === null) return "normalization is 'scalar' but there is no meanImage to hold the scalar mean";
  if (!isScalarMean(mean)) return `normalization is 'scalar' but meanImage is not one value everywhere (it holds ${mean.data[0]} and others): a scalar mean is stored as an image of that value`;
  return null;
}

function describeSource(c: CheckpointContents): string {
  return c.source === undefined ? 'checkpoint' : `checkpoint ${c.source}`;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

function plural(list: readonly unknown[]): string {
  return list.length === 1 ? '' : 's';
}

function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

