/**
 * 2-D max pooling, NCHW.
 *
 *   y[n,c,oh,ow] = max_{kh,kw} x[n,c,ih,iw],   ih = oh·S + kh − P,  iw = ow·S + kw − P
 *   dx[n,c,ih*,iw*] += dy[n,c,oh,ow]            (ih*, iw*) = the argmax of that window
 *
 * Output size as every sliding window (tensor/window.ts): OH = ⌊(H + 2P − K)/S⌋ + 1, so a stride
 * that does not divide evenly drops the last rows/columns. Padding cells are not candidates (as if
 * −∞), and pad < size keeps every window touching real input. Ties go to the first maximum in
 * row-major window order, as the test pins down; the gradient is a subgradient there.
 * Forward saves the argmax as an Int32Array of flat input indices: backward needs nothing else.
 *
 * Forward runs the reference loop nest (kernels/reference/max-pool2d.ts, padding allowed) or, for
 * unpadded windows (the LeNet's pools), one of the fast loops of kernels/pool/max-pool2d.ts, which
 * visit the cells in the same order and so give the same y and argmax.
 */
import { defineOp, isGradEnabled, type Variable } from '../autograd/variable.ts';
import { maxPool2x2, maxPoolNoPad } from '../kernels/pool/max-pool2d.ts';
import { maxPool2dReference } from '../kernels/reference/max-pool2d.ts';
import { pooledArray } from '../tensor/recycle.ts';
import { allocate, Tensor } from '../tensor/tensor.ts';
import { windowGeometry, type WindowGeometry } from '../tensor/window.ts';
import { Module } from './module.ts';

export interface MaxPool2dOptions {
  /** Window side K (square window). */
  size: number;
  /** Default: equal to size (non-overlapping windows). */
  stride?: number;
  /** Default 0. Must be < size. */
  pad?: number;
}

export function maxPool2dGeometry(x: Tensor, options: MaxPool2dOptions): WindowGeometry {
  const { size, stride = size, pad = 0 } = options;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`maxPool2d: size must be a positive integer, got ${String(size)}`);
  if (pad >= size) throw new RangeError(`maxPool2d: pad ${pad} must be smaller than the window size ${size}, or a window could see only padding`);
  return windowGeometry('maxPool2d', x.shape, size, size, stride, pad);
}

/**
 * y [N, C, OH, OW] and argmax [N·C·OH·OW] (flat indices into x), written into `argmaxInto` when
 * it is given and long enough (its first N·C·OH·OW entries; the op passes a reused buffer when no
 * backward pass will read them).
 */
export function maxPool2dForward(x: Tensor, options: MaxPool2dOptions, argmaxInto?: Int32Array): { y: Tensor; argmax: Int32Array } {
  const { N, C, H, W, KH, KW, stride: S, pad: P, OH, OW } = maxPool2dGeometry(x, options);
  const y = allocate(x.dtype, N * C * OH * OW); // [N, C, OH, OW]
  const argmax = argmaxInto !== undefined && argmaxInto.length >= y.length ? argmaxInto : pooledArray(Int32Array, y.length);
  const xd = x.data;
  if (P === 0 && KH === 2 && KW === 2 && S === 2) {
    maxPool2x2(xd, N * C, H, W, OH, OW, y, argmax);
    return { y: new Tensor(y, [N, C, OH, OW]), argmax };
  }
  if (P === 0) {
    maxPoolNoPad(xd, N * C, H, W, KH, KW, S, OH, OW, y, argmax);
    return { y: new Tensor(y, [N, C, OH, OW]), argmax };
  }
  maxPool2dReference(xd, N * C, { H, W, KH, KW, stride: S, pad: P, OH, OW }, y, argmax);
  return { y: new Tensor(y, [N, C, OH, OW]), argmax };
}

/** dx [N, C, H, W]: each dy goes to its window's argmax (overlapping windows add up). */
export function maxPool2dBackward(dy: Tensor, x: Tensor, argmax: Int32Array): Tensor {
  const dx = allocate(x.dtype, x.size);
  const g = dy.data;
  for (let o = 0; o < argmax.length; o++) dx[argmax[o]] += g[o];
  return new Tensor(dx, x.shape);
}

/**
 * The argmax of forward passes that record no graph (noGrad: inference, evaluation), grown on
 * demand and overwritten by the next such call: nothing reads it, and a fresh array per call costs
 * more than the pooling (new memory is page-faulted in on first touch).
 */
let unusedArgmax = new Int32Array(0);

/** Differentiable max pooling. @param x [N, C, H, W] @returns [N, C, OH, OW] */
export const maxPool2d = defineOp('maxPool2d', (x: Variable, options: MaxPool2dOptions) => {
  if (!isGradEnabled()) {
    const { N, C, OH, OW } = maxPool2dGeometry(x.value, options);
    const size = N * C * OH * OW;
    if (unusedArgmax.length < size) unusedArgmax = new Int32Array(size);
    const { y } = maxPool2dForward(x.value, options, unusedArgmax);
    return { value: y, backward: () => { throw new Error('maxPool2d: no backward pass under noGrad'); } };
  }
  const { y, argmax } = maxPool2dForward(x.value, options);
  return { value: y, backward: (dy) => [maxPool2dBackward(dy, x.value, argmax)] };
});

export class MaxPool2d extends Module {
  constructor(readonly options: MaxPool2dOptions) {
    super();
  }
  forward(x: Variable): Variable {
    return maxPool2d(x, this.options);
  }
}
