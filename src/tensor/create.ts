/**
 * Creating tensors: from nested arrays or flat data, constants, and seeded random draws.
 * The default dtype is float32 (the working dtype); float64 is for gradient checks.
 */
import { Rng } from './rng.ts';
import { assertValidShape, formatShape, shapeSize, type Shape } from './shape.ts';
import { allocate, Tensor, type DType, type FloatArray } from './tensor.ts';

type Nested = number | readonly Nested[];

/**
 * A tensor from a flat list or typed array plus a shape, or from a nested array (shape inferred).
 * @example tensor([[1, 2], [3, 4]])            // [2,2] float32
 * @example tensor([1, 2, 3, 4, 5, 6], [2, 3], 'float64')
 */
export function tensor(data: Nested | ArrayLike<number>, shape?: Shape, dtype: DType = 'float32'): Tensor {
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (typeof data === 'number') {
    flat = [data];
    inferred = [];
  } else if (ArrayBuffer.isView(data)) {
    flat = data as ArrayLike<number>;
    inferred = [flat.length];
  } else {
    const out: number[] = [];
    inferred = inferShape(data as readonly Nested[]);
    flatten(data as readonly Nested[], inferred, 0, out);
    flat = out;
  }
  const finalShape = shape ?? inferred;
  assertValidShape(finalShape, 'tensor');
  if (shapeSize(finalShape) !== flat.length) {
    throw new RangeError(`tensor: shape ${formatShape(finalShape)} needs ${shapeSize(finalShape)} elements but data has ${flat.length}`);
  }
  const storage = allocate(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number') throw new TypeError(`tensor: element ${i} is ${typeof v}, expected a number`);
    storage[i] = v;
  }
  return new Tensor(storage, finalShape);
}

/** All zeros. */
export function zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
  assertValidShape(shape, 'zeros');
  return new Tensor(allocate(dtype, shapeSize(shape)), shape);
}

/** All ones. */
export function ones(shape: Shape, dtype: DType = 'float32'): Tensor {
  return full(shape, 1, dtype);
}

/** Every element equal to `value`. */
export function full(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  assertValidShape(shape, 'full');
  const data: FloatArray = allocate(dtype, shapeSize(shape));
  data.fill(value);
  return new Tensor(data, shape);
}

export interface RandomOptions {
  dtype?: DType;
  /** The generator to draw from; a number seeds a new one. Default: seed 0. */
  rng?: Rng | number;
}

/** Independent N(mean, std²) draws. */
export function randn(shape: Shape, options: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  assertValidShape(shape, 'randn');
  const rng = randomSource(options, 'randn');
  const mean = options.mean ?? 0;
  const std = options.std ?? 1;
  const data = allocate(options.dtype ?? 'float32', shapeSize(shape));
  for (let i = 0; i < data.length; i++) data[i] = mean + std * rng.normal();
  return new Tensor(data, shape);
}

/** Independent uniform draws in [low, high). */
export function uniform(shape: Shape, options: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  assertValidShape(shape, 'uniform');
  const rng = randomSource(options, 'uniform');
  const low = options.low ?? 0;
  const high = options.high ?? 1;
  if (!(high >= low)) throw new RangeError(`uniform: need low ≤ high, got low=${low}, high=${high}`);
  const data = allocate(options.dtype ?? 'float32', shapeSize(shape));
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * rng.uniform();
  return new Tensor(data, shape);
}

/**
 * The generator of `options.rng` (an Rng, or a seed; seed 0 by default). An Rng passed in place of
 * the options object would otherwise be read as "no rng given" and silently draw from seed 0.
 */
function randomSource(options: RandomOptions, fn: string): Rng {
  if (options instanceof Rng) throw new TypeError(`${fn}: the second argument is an options object such as { rng }, got an Rng itself; write ${fn}(shape, { rng })`);
  const rng = options.rng;
  return rng instanceof Rng ? rng : new Rng(rng ?? 0);
}

function inferShape(data: readonly Nested[]): number[] {
  const shape: number[] = [];
  let level: Nested = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0] as Nested;
  }
  return shape;
}

function flatten(data: readonly Nested[], shape: number[], depth: number, out: number[]): void {
  if (data.length !== shape[depth]) {
    throw new RangeError(`tensor: ragged nested array: expected ${shape[depth]} entries at depth ${depth}, got ${data.length}`);
  }
  for (const item of data) {
    if (depth + 1 < shape.length) {
      if (!Array.isArray(item)) throw new RangeError(`tensor: ragged nested array: expected an array at depth ${depth + 1}`);
      flatten(item, shape, depth + 1, out);
    } else {
      if (Array.isArray(item)) throw new RangeError(`tensor: ragged nested array: unexpected array at depth ${depth + 1}`);
      out.push(item as number);
    }
  }
}
