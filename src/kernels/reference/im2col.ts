/**
 * im2col and its adjoint col2im, written out: they turn a convolution into one matrix product
 * (layers/conv2d-im2col.ts walks through it). With P = OH·OW output positions per image and
 * R = C·KH·KW window entries,
 *
 *   cols[r, n·P + p] = x[n, c, ih, iw],   r = (c·KH + kh)·KW + kw,  p = oh·OW + ow,
 *                      ih = oh·S + kh − pad,  iw = ow·S + kw − pad   (0 where (ih, iw) is padding)
 *
 * so cols is [R, N·P] and the whole batch is one GEMM. col2im is the transpose of that linear map:
 * every read of x becomes an accumulation into dx, so overlapping windows sum their gradients.
 *
 * These are the plain references: the convolution itself never builds cols. It reads the same
 * matrix through the offset tables of kernels/conv2d/lowering.ts, and gemmIndexed does col2im's
 * accumulation as it computes; tests hold the two against each other.
 */
import type { FloatArray } from '../../tensor/tensor.ts';
import type { WindowGeometry } from '../../tensor/window.ts';

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
