/**
 * Tensor: contiguous row-major storage, a shape and a dtype. No gradients live here (see
 * autograd/variable.ts): a Tensor is plain data, and the ops in this folder treat their inputs as
 * immutable and allocate their outputs with the dtype of their input.
 *
 *   element [i₀, i₁, …, i_{r−1}] lives at data[Σ_d i_d · stride_d],  stride_d = Π_{k>d} shape_k
 */
import { pooledArray } from './recycle.ts';
import { assertValidShape, formatShape, shapeSize, type Shape } from './shape.ts';

export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;

export class Tensor {
  readonly data: FloatArray;
  readonly shape: Shape;

  /** Wraps `data` (not copied) with `shape`; throws if the sizes disagree. */
  constructor(data: FloatArray, shape: Shape) {
    assertValidShape(shape, 'Tensor');
    if (!(data instanceof Float32Array || data instanceof Float64Array)) {
      throw new TypeError(`Tensor: data must be a Float32Array or Float64Array, got ${describe(data)}`);
    }
    const size = shapeSize(shape);
    if (data.length !== size) {
      throw new RangeError(`Tensor: shape ${formatShape(shape)} needs ${size} elements but data has ${data.length}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  get dtype(): DType {
    return this.data instanceof Float64Array ? 'float64' : 'float32';
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The same data seen with another shape of equal size (no copy). */
  reshape(shape: Shape): Tensor {
    assertValidShape(shape, 'reshape');
    if (shapeSize(shape) !== this.size) {
      throw new RangeError(
        `reshape: cannot view shape ${formatShape(this.shape)} (${this.size} elements) as ${formatShape(shape)} (${shapeSize(shape)} elements)`,
      );
    }
    return new Tensor(this.data, shape);
  }

  /** A copy with its own storage, optionally converted to `dtype`. */
  clone(dtype: DType = this.dtype): Tensor {
    return new Tensor(dtype === 'float64' ? Float64Array.from(this.data) : Float32Array.from(this.data), this.shape);
  }

  /** A plain-number copy of the data, for tests and printing. */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /** The single element of a size-1 tensor. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`item: tensor of shape ${formatShape(this.shape)} has ${this.size} elements, expected 1`);
    return this.data[0];
  }

  toString(): string {
    return `Tensor(${this.dtype}, ${formatShape(this.shape)})`;
  }
}

/**
 * A zero-filled array of `dtype` that nobody else references: new, or recycled from earlier work
 * that is over (tensor/recycle.ts).
 */
export function allocate(dtype: DType, size: number): FloatArray {
  return dtype === 'float64' ? pooledArray(Float64Array, size) : pooledArray(Float32Array, size);
}

/** A zero tensor with the shape and dtype of `t` (or of `shape`, `dtype`). */
export function zerosLike(t: Tensor): Tensor {
  return new Tensor(allocate(t.dtype, t.size), t.shape);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}
