/**
 * im2col and its adjoint col2im: they turn a convolution into one matrix product (see
 * layers/conv2d.ts). With P = OH·OW output positions per image and R = C·KH·KW window entries,
 *
 *   cols[r, n·P + p] = x[n, c, ih, iw],   r = (c·KH + kh)·KW + kw,  p = oh·OW + ow,
 *                      ih = oh·S + kh − pad,  iw = ow·S + kw − pad   (0 where (ih, iw) is padding)
 *
 * so cols is [R, N·P] and the whole batch is one GEMM. col2im is the transpose of that linear map:
 * every read of x becomes an accumulation into dx, so overlapping windows sum their gradients.
 *
 * im2col and col2im are the plain references: the convolution itself never builds cols. It reads
 * the same matrix through the offset tables of im2colOffsets, and gemmIndexed does col2im's
 * accumulation as it computes (layers/conv2d.ts); tests hold the two against each other.
 */
import { ShapeCache } from './shape-cache.ts';
import type { FloatArray } from './tensor.ts';
import type { WindowGeometry } from './window.ts';

/** Fills cols [C·KH·KW, N·OH·OW] from x [N, C, H, W]. */
export function im2col(x: FloatArray, g: WindowGeometry, cols: FloatArray): void {
  const { N, C, H, W, KH, KW, stride: S, pad: PAD, OH, OW } = g;
  const P = OH * OW;
  const rowLength = N * P;
  for (let c = 0; c < C; c++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const rowOff = ((c * KH + kh) * KW + kw) * rowLength; // seek to cols[r, 0]
        for (let n = 0; n < N; n++) {
          const xOff = (n * C + c) * H * W; // seek to x[n, c, 0, 0]
          const colOff = rowOff + n * P;
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * S + kh - PAD;
            const outOff = colOff + oh * OW;
            if (ih < 0 || ih >= H) {
              for (let ow = 0; ow < OW; ow++) cols[outOff + ow] = 0;
              continue;
            }
            const inOff = xOff + ih * W;
            for (let ow = 0; ow < OW; ow++) {
              const iw = ow * S + kw - PAD;
              cols[outOff + ow] = iw < 0 || iw >= W ? 0 : x[inOff + iw];
            }
          }
        }
      }
    }
  }
}

/** dx [N, C, H, W] += col2im(dcols [C·KH·KW, N·OH·OW]); dx must start zeroed. */
export function col2im(dcols: FloatArray, g: WindowGeometry, dx: FloatArray): void {
  const { N, C, H, W, KH, KW, stride: S, pad: PAD, OH, OW } = g;
  const P = OH * OW;
  const rowLength = N * P;
  for (let c = 0; c < C; c++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const rowOff = ((c * KH + kh) * KW + kw) * rowLength;
        for (let n = 0; n < N; n++) {
          const xOff = (n * C + c) * H * W;
          const colOff = rowOff + n * P;
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * S + kh - PAD;
            if (ih < 0 || ih >= H) continue; // padding: no input to credit
            const outOff = colOff + oh * OW;
            const inOff = xOff + ih * W;
            for (let ow = 0; ow < OW; ow++) {
              const iw = ow * S + kw - PAD;
              if (iw < 0 || iw >= W) continue;
              dx[inOff + iw] += dcols[outOff + ow];
            }
          }
        }
      }
    }
  }
}

/**
 * The im2col matrix of an unpadded x as two offset tables, for gemmIndexed (tensor/gemm.ts):
 *
 *   cols[r, n·P + p] = x[rowOffset[r] + colOffset[n·P + p]],
 *   rowOffset[r] = (c·H + kh)·W + kw,   colOffset[n·P + p] = n·C·H·W + oh·S·W + ow·S
 *
 * (r = (c·KH + kh)·KW + kw, p = oh·OW + ow). Padding has no offset, so g.pad must be 0: pad x
 * first with padImages and use its geometry. Built once per shape (tensor/shape-cache.ts): the
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
