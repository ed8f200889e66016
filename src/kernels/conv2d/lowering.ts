/**
 * The fast path's view of a convolution's input and output as matrices, without building them
 * (speeds up kernels/reference/im2col.ts; a first reader reads that file instead). With
 * P = OH·OW output positions per image and R = C·KH·KW window entries, the im2col matrix
 *
 *   cols[r, n·P + p] = x[n, c, ih, iw],   r = (c·KH + kh)·KW + kw,  p = oh·OW + ow
 *
 * is never stored: gemmIndexed (kernels/gemm/gemm.ts) packs it straight from x through the two
 * offset tables of im2colOffsets, and does col2im's accumulation through the same tables as it
 * computes. A padded x is first copied into a zero border (padImages), R/S² times smaller than cols.
 */
import type { FloatArray } from '../../tensor/tensor.ts';
import type { WindowGeometry } from '../../tensor/window.ts';
import { ShapeCache } from '../shape-cache.ts';

/**
 * The im2col matrix of an unpadded x as two offset tables, for gemmIndexed (kernels/gemm/gemm.ts):
 *
 *   cols[r, n·P + p] = x[rowOffset[r] + colOffset[n·P + p]],
 *   rowOffset[r] = (c·H + kh)·W + kw,   colOffset[n·P + p] = n·C·H·W + oh·S·W + ow·S
 *
 * (r = (c·KH + kh)·KW + kw, p = oh·OW + ow). Padding has no offset, so g.pad must be 0: pad x
 * first with padImages and use its geometry. Built once per shape (kernels/shape-cache.ts): the
 * tables are shared, read-only.
 */
export function im2colOffsets(g: WindowGeometry): { rowOffset: Int32Array; colOffset: Int32Array } {
  const { N, C, H, W, KH, KW, stride: S, pad } = g;
  if (pad !== 0) throw new RangeError(`im2colOffsets: the geometry must be unpadded (pad x with padImages first), got pad ${pad}`);
  return im2colCache.get(`${N},${C},${H},${W},${KH},${KW},${S}`, () => makeIm2colOffsets(g));
}

const im2colCache = new ShapeCache<{ rowOffset: Int32Array; colOffset: Int32Array }>();

function makeIm2colOffsets(g: WindowGeometry): { rowOffset: Int32Array; colOffset: Int32Array } {
  const { N, C, H, W, KH, KW, stride: S, OH, OW } = g;
  const rowOffset = new Int32Array(C * KH * KW); // [R]
  for (let c = 0, r = 0; c < C; c++)
    for (let kh = 0; kh < KH; kh++)
      for (let kw = 0; kw < KW; kw++, r++) rowOffset[r] = (c * H + kh) * W + kw;
  const colOffset = new Int32Array(N * OH * OW); // [N·P]
  for (let n = 0, j = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++, j++) colOffset[j] = n * C * H * W + oh * S * W + ow * S;
  return { rowOffset, colOffset };
}

/**
 * x [N, C, H, W] copied into the middle of zeros [N, C, H + 2P, W + 2P], with the geometry of the
 * copy (same window, pad 0): a padded convolution is then an unpadded one.
 */
export function padImages<T extends FloatArray>(x: T, g: WindowGeometry): { xp: T; gp: WindowGeometry } {
  const xp = new (x.constructor as new (n: number) => T)(g.N * g.C * (g.H + 2 * g.pad) * (g.W + 2 * g.pad)); // [N, C, H+2P, W+2P]
  copyInterior(x, xp, g, true);
  return { xp, gp: { ...g, H: g.H + 2 * g.pad, W: g.W + 2 * g.pad, pad: 0 } };
}

/** The adjoint of padImages: the middle H×W of each padded plane of xp [N, C, H + 2P, W + 2P]. */
export function cropImages<T extends FloatArray>(xp: T, g: WindowGeometry): T {
  const x = new (xp.constructor as new (n: number) => T)(g.N * g.C * g.H * g.W); // [N, C, H, W]
  copyInterior(x, xp, g, false);
  return x;
}

/** Copies every plane of x [N, C, H, W] into (toPadded) or out of the interior of xp [N, C, H+2P, W+2P]. */
function copyInterior(x: FloatArray, xp: FloatArray, g: WindowGeometry, toPadded: boolean): void {
  const { N, C, H, W, pad: PAD } = g;
  const HP = H + 2 * PAD;
  const WP = W + 2 * PAD;
  for (let img = 0; img < N * C; img++)
    for (let h = 0; h < H; h++) {
      const at = (img * H + h) * W; // seek to x[n, c, h, 0]
      const atPadded = (img * HP + h + PAD) * WP + PAD; // seek to xp[n, c, h+P, P]
      if (toPadded) for (let w = 0; w < W; w++) xp[atPadded + w] = x[at + w];
      else for (let w = 0; w < W; w++) x[at + w] = xp[atPadded + w];
    }
}

/**
 * An NCHW tensor y [N, C, Q] (Q = H·W) seen as the matrix Y [C, N·Q] that a convolution's GEMM
 * produces, without moving it:  Y[c, n·Q + q] = y[rowOffset[c] + colOffset[n·Q + q]],
 * rowOffset[c] = c·Q, colOffset[n·Q + q] = n·C·Q + q. Built once per shape; shared, read-only.
 */
export function nchwAsMatrix(N: number, C: number, Q: number): { rowOffset: Int32Array; colOffset: Int32Array } {
  return nchwCache.get(`${N},${C},${Q}`, () => makeNchwAsMatrix(N, C, Q));
}

const nchwCache = new ShapeCache<{ rowOffset: Int32Array; colOffset: Int32Array }>();

function makeNchwAsMatrix(N: number, C: number, Q: number): { rowOffset: Int32Array; colOffset: Int32Array } {
  const rowOffset = new Int32Array(C); // [C]
  for (let c = 0; c < C; c++) rowOffset[c] = c * Q;
  const colOffset = new Int32Array(N * Q); // [N·Q]
  for (let n = 0, j = 0; n < N; n++) for (let q = 0; q < Q; q++, j++) colOffset[j] = n * C * Q + q;
  return { rowOffset, colOffset };
}
