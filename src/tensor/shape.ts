/**
 * Shapes: validation, sizes and strides of contiguous row-major (C-order) tensors.
 *
 * A shape is a list of non-negative integers. The size is their product (1 for a scalar []).
 * Row-major strides: stride[d] = Π_{k>d} shape[k], so the last axis is contiguous.
 */

export type Shape = readonly number[];

/** `[2,3,5]` as text, for error messages. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** Throws unless every dimension is a finite non-negative integer. `what` names the caller. */
export function assertValidShape(shape: Shape, what: string): void {
  if (!Array.isArray(shape)) {
    throw new TypeError(`${what}: shape must be an array of integers, got ${String(shape)}`);
  }
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new RangeError(
        `${what}: shape ${formatShape(shape)} has dimension ${d} = ${String(n)}; expected a non-negative integer`,
      );
    }
  }
}

/** Number of elements: the product of the dimensions. */
export function shapeSize(shape: Shape): number {
  let size = 1;
  for (const n of shape) size *= n;
  return size;
}

/** Row-major strides in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/** True when both shapes have the same rank and dimensions. */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let d = 0; d < a.length; d++) if (a[d] !== b[d]) return false;
  return true;
}

/** The multi-dimensional index of flat index `i` in a row-major tensor of `shape`. */
export function unravelIndex(i: number, shape: Shape): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return index;
}

/** Throws `op: a has shape [..] but b has shape [..]` unless the shapes are equal. */
export function assertSameShape(op: string, aName: string, a: Shape, bName: string, b: Shape): void {
  if (!sameShape(a, b)) {
    throw new RangeError(`${op}: ${aName} has shape ${formatShape(a)} but ${bName} has shape ${formatShape(b)}`);
  }
}

/** Throws unless `shape` has `rank` dimensions. */
export function assertRank(op: string, name: string, shape: Shape, rank: number, layout?: string): void {
  if (shape.length !== rank) {
    const expected = layout ? `${rank}-D ${layout}` : `${rank}-D`;
    throw new RangeError(`${op}: ${name} must be ${expected}, got shape ${formatShape(shape)}`);
  }
}
