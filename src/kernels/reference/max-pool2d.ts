/**
 * 2-D max pooling as its definition's loop nest (layers/max-pool2d.ts has the math): the
 * reference the fast loops of kernels/pool/max-pool2d.ts are held to, and the path of padded
 * windows. Padding cells are not candidates (as if −∞); ties go to the first maximum in row-major
 * window order.
 */
import type { FloatArray } from '../../tensor/tensor.ts';
import type { WindowGeometry } from '../../tensor/window.ts';

/**
 * y [NC, OH, OW] and argmax (flat indices into x) of every window of x [NC, H, W] (NC = N·C planes).
 * @param g the window's geometry (its N and C are not used: the planes are NC)
 */
export function maxPool2dReference(
  xd: FloatArray, NC: number, g: Omit<WindowGeometry, 'N' | 'C'>, y: FloatArray, argmax: Int32Array,
): void {
  const { H, W, KH, KW, stride: S, pad: P, OH, OW } = g;
  for (let nc = 0; nc < NC; nc++) {
    const xOff = nc * H * W; // seek to plane nc of x: x[n, c, 0, 0]
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        let best = -Infinity;
        let bestAt = -1;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * S + kh - P;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * S + kw - P;
            if (iw < 0 || iw >= W) continue;
            const i = xOff + ih * W + iw;
            // bestAt < 0: the first real cell wins even if it is −∞ or NaN, so argmax is always valid
            if (bestAt < 0 || xd[i] > best) {
              best = xd[i];
              bestAt = i;
            }
          }
        }
        const o = (nc * OH + oh) * OW + ow;
        y[o] = best;
        argmax[o] = bestAt;
      }
  }
}
