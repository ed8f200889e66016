/**
 * 2-D convolution as an explicit im2col + GEMM: the middle of three steps from the definition to
 * the fast kernel, each readable alone (all three compute the conv2d.ts header's formula):
 *
 *   1. kernels/reference/conv2d.ts: the formula as a loop nest;
 *   2. this file: the batch lowered to one matrix, cols, and the convolution a single GEMM;
 *   3. kernels/conv2d/gemm-path.ts (what the op's 'gemm' path runs): the same GEMMs reading cols
 *      through offset tables, so cols, Y, dY and dcols are never stored.
 *
 * Sizes: N batch, C input channels, OC output channels, KH×KW kernel, OH×OW output,
 * R = C·KH·KW (one window), Q = OH·OW (output positions per image).
 *
 *   cols [R, N·Q]    = im2col(x)                cols[r, n·Q + q] = the x under window entry r at q
 *   Y [OC, N·Q]      = weight [OC, R] · cols     weight read as a matrix, one row per filter
 *   y[n, oc, q]      = Y[oc, n·Q + q] + bias[oc] regrouped image by image
 *
 * Backward transposes each product (dY is dy regrouped as Y was):
 *
 *   dWeight [OC, R]  = dY · colsᵀ,   dBias[oc] = Σ_j dY[oc, j]
 *   dcols [R, N·Q]   = weightᵀ · dY,  dx = col2im(dcols)   (col2im adds up overlapping windows)
 *
 * The price is cols: R·N·Q values, R/S² times the input (for the LeNet's conv2 at batch 100,
 * 500 × 6,400 = 3.2 M floats, 12.8 MB in float32), written and read again every step; step 3
 * removes it. im2col and col2im are in kernels/reference/im2col.ts.
 */
import { gemm } from '../kernels/gemm/gemm.ts';
import { col2im, im2col } from '../kernels/reference/im2col.ts';
import { formatShape, sameShape } from '../tensor/shape.ts';
import { allocate, Tensor } from '../tensor/tensor.ts';
import { conv2dGeometry, type Conv2dOptions } from './conv2d.ts';

/**
 * Forward by explicit im2col + GEMM.
 * @param x [N, C, H, W]   @param weight [OC, C, KH, KW]   @param bias [OC] or null
 * @returns y [N, OC, OH, OW]
 */
export function conv2dForwardIm2col(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const g = conv2dGeometry(x, weight, bias, options);
  const { N, C, KH, KW, OH, OW, OC } = g;
  const R = C * KH * KW;
  const Q = OH * OW;
  const cols = allocate(x.dtype, R * N * Q); // [R, N·Q]
  im2col(x.data, g, cols);
  const Y = allocate(x.dtype, OC * N * Q); // [OC, N·Q]
  gemm(false, false, OC, N * Q, R, weight.data, R, cols, N * Q, 0, Y, N * Q);
  const y = allocate(x.dtype, N * OC * Q); // [N, OC, OH, OW]
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++) {
      const b = bias === null ? 0 : bias.data[oc];
      const yOff = (n * OC + oc) * Q; // seek to y[n, oc, 0, 0]
      const YOff = oc * N * Q + n * Q; // seek to Y[oc, n·Q]
      for (let q = 0; q < Q; q++) y[yOff + q] = Y[YOff + q] + b;
    }
  return new Tensor(y, [N, OC, OH, OW]);
}

/**
 * Backward by explicit im2col + GEMM.
 * @param dy [N, OC, OH, OW]   @param x [N, C, H, W]   @param weight [OC, C, KH, KW]
 * @returns dx [N, C, H, W], dWeight [OC, C, KH, KW], dBias [OC]
 */
export function conv2dBackwardIm2col(dy: Tensor, x: Tensor, weight: Tensor, options: Conv2dOptions = {}): { dx: Tensor; dWeight: Tensor; dBias: Tensor } {
  const g = conv2dGeometry(x, weight, null, options);
  const { N, C, KH, KW, OH, OW, OC } = g;
  const R = C * KH * KW;
  const Q = OH * OW;
  if (!sameShape(dy.shape, [N, OC, OH, OW])) {
    throw new RangeError(`conv2dBackwardIm2col: dy must have shape ${formatShape([N, OC, OH, OW])} (the output's), got ${formatShape(dy.shape)}`);
  }
  const cols = allocate(x.dtype, R * N * Q); // [R, N·Q]
  im2col(x.data, g, cols);
  const dY = allocate(x.dtype, OC * N * Q); // [OC, N·Q]
  const dBias = allocate(x.dtype, OC); // [OC]
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++) {
      const dyOff = (n * OC + oc) * Q; // seek to dy[n, oc, 0, 0]
      const dYOff = oc * N * Q + n * Q; // seek to dY[oc, n·Q]
      for (let q = 0; q < Q; q++) {
        dY[dYOff + q] = dy.data[dyOff + q];
        dBias[oc] += dy.data[dyOff + q];
      }
    }
  const dWeight = allocate(x.dtype, OC * R); // [OC, R]
  gemm(false, true, OC, R, N * Q, dY, N * Q, cols, N * Q, 0, dWeight, R);
  const dcols = allocate(x.dtype, R * N * Q); // [R, N·Q]
  gemm(true, false, R, N * Q, OC, weight.data, R, dY, N * Q, 0, dcols, N * Q);
  const dx = allocate(x.dtype, x.size); // [N, C, H, W]
  col2im(dcols, g, dx);
  return { dx: new Tensor(dx, x.shape), dWeight: new Tensor(dWeight, weight.shape), dBias: new Tensor(dBias, [OC]) };
}
