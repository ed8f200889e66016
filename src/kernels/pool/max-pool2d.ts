/**
 * Fast loops of 2-D max pooling for unpadded windows, which the LeNet's pools are. They speed up
 * kernels/reference/max-pool2d.ts (which a first reader reads instead) and visit the cells in its
 * order, so they give the same y and the same argmax on ties and NaN.
 */
import type { FloatArray } from '../../tensor/tensor.ts';

/**
 * The same loop without padding (the LeNet's case): every window lies inside the input by the
 * output-size formula, so the bounds tests go. Same visiting order, so the same argmax on ties.
 */
export function maxPoolNoPad(
  xd: FloatArray, NC: number, H: number, W: number, KH: number, KW: number, S: number, OH: number, OW: number,
  y: FloatArray, argmax: Int32Array,
): void {
  let o = 0;
  for (let nc = 0; nc < NC; nc++) {
    const xOff = nc * H * W; // seek to x[n, c, 0, 0]
    for (let oh = 0; oh < OH; oh++) {
      const rowOff = xOff + oh * S * W; // seek to x[n, c, oh·S, 0]
      for (let ow = 0; ow < OW; ow++, o++) {
        const corner = rowOff + ow * S; // the window's top-left cell
        let best = xd[corner];
        let bestAt = corner;
        for (let kh = 0; kh < KH; kh++) {
          const r = corner + kh * W;
          for (let kw = kh === 0 ? 1 : 0; kw < KW; kw++) {
            if (xd[r + kw] > best) {
              best = xd[r + kw];
              bestAt = r + kw;
            }
          }
        }
        y[o] = best;
        argmax[o] = bestAt;
      }
    }
  }
}

/**
 * 2×2 windows, stride 2, no padding (both of the LeNet's pools). The same row-major scan as the
 * general loop (so ties and NaN give the same argmax), but without a branch: the index of the best
 * cell so far moves by `+(v > best)·(cell − at)`, a comparison turned into 0 or 1, and the value is
 * read back through that index. The compared values are random, so a branchy version
 * mispredicts about one jump per window, which this one avoids (docs/performance.md).
 */
export function maxPool2x2(xd: FloatArray, NC: number, H: number, W: number, OH: number, OW: number, y: FloatArray, argmax: Int32Array): void {
  let o = 0;
  for (let nc = 0; nc < NC; nc++) {
    for (let oh = 0; oh < OH; oh++) {
      let top = nc * H * W + 2 * oh * W; // seek to x[n, c, 2·oh, 0]: the window row pair starts here
      for (let ow = 0; ow < OW; ow++, o++, top += 2) {
        const bottom = top + W;
        // at = the first maximum of x[top], x[top + 1], x[bottom], x[bottom + 1], in that order
        let at = top + +(xd[top + 1] > xd[top]);
        at += +(xd[bottom] > xd[at]) * (bottom - at);
        at += +(xd[bottom + 1] > xd[at]) * (bottom + 1 - at);
        y[o] = xd[at];
        argmax[o] = at;
      }
    }
  }
}
