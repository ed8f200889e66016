/**
 * Linear bounds by back-substitution (CROWN; Zhang et al. 2018). A lower bound of a linear function
 * of layer k's output, a·h_{k+1} + c (a row of A, M rows at once), is carried to layer k's input:
 *
 *   affine  h' = W h + b:   a·h' + c = (a W)·h + (c + a·b)                           exact
 *   ReLU    with pre-activation bounds l ≤ z ≤ u, neuron by neuron:
 *           u ≤ 0: relu(z) = 0;   l ≥ 0: relu(z) = z                                  exact
 *           l < 0 < u: α·z ≤ relu(z) ≤ s·(z − l),  s = u/(u − l)  (the chord)
 *             α = 1 if u ≥ −l else 0 ('adaptive', CROWN's choice), or α = 0 ('zero')
 *           a coefficient aᵢ ≥ 0 takes the lower line, aᵢ < 0 the upper one, so each term only falls
 *   max-pool y = max_{i∈window} x_i with bounds l_i ≤ x_i ≤ u_i, k = the first argmax of l:
 *           if l_k ≥ u_i for every other i: y = x_k exactly on the box (x_k is always the max)
 *           else  x_k ≤ y ≤ max_i u_i: a coefficient ≥ 0 takes the line x_k (valid since a max is
 *           at least each of its inputs), a negative one the constant max_i u_i (valid since every
 *           x_i ≤ u_i). Both are as tight as the interval bounds of y, [l_k, max u_i], so a pool
 *           step never loosens the bound; a linear upper bound tighter than the constant would need
 *           the inputs' correlations, which the box does not carry.
 *
 * At the input box [l, u] the lower bound is c + Σ_{aᵢ ≥ 0} aᵢ·lᵢ + Σ_{aᵢ < 0} aᵢ·uᵢ, the exact
 * minimum of the final linear function over the box. Each step replaces a·h by something no larger
 * at every point of the boxes, so the result is a sound lower bound.
 *
 * Never looser than IBP. With α = 0 every per-neuron relaxation, minimised on its own over the
 * input box of its layer, gives exactly the interval bound; the minimum of a sum is at least the sum
 * of the minima, so each step back can only raise the bound, and the result is ≥ the IBP bound of
 * the same function. The adaptive α = 1 can drop one term below its interval bound (z ≥ l < 0
 * instead of relu ≥ 0), so it is usually tighter but not always: callers take the max with IBP.
 *
 * One image at a time; A is dense, M rows × the layer's size. Cost per image: M times one
 * transposed pass through the layers (about the multiply-adds of M forward passes).
 */
import type { Box } from './ibp.ts';
import type { BoundLayer, BoundNetwork, ConvBound, LinearBound, PoolBound, ReluBound } from './network.ts';

/** The lower slope of an unstable ReLU: CROWN's adaptive choice, or always 0. */
export type ReluLowerSlope = 'adaptive' | 'zero';

/** M linear functions a_m·h + c_m of one layer's values h (one image): A [M, S], c [M]. */
export interface LinearRows {
  A: Float64Array;
  c: Float64Array;
  M: number;
}

/** One image's bounds, sliced out of a batched box: lower, upper [S]. */
export interface ImageBox {
  lower: Float64Array;
  upper: Float64Array;
}

/** Image n's part of a batched box of S values per image. */
export function imageBox(box: Box, n: number, S: number): ImageBox {
  return { lower: box.lower.subarray(n * S, (n + 1) * S), upper: box.upper.subarray(n * S, (n + 1) * S) };
}

function affineBack(layer: ConvBound | LinearBound, rows: LinearRows): LinearRows {
  const { A, c, M } = rows;
  const w = layer.weight.data;
  const b = layer.bias.data;
  const IN = layer.inSize;
  const OUT = layer.outSize;
  const out = new Float64Array(M * IN); // [M, IN]
  const cOut = Float64Array.from(c); // [M]
  if (layer.kind === 'linear') {
    for (let m = 0; m < M; m++)
      for (let o = 0; o < OUT; o++) {
        const a = A[m * OUT + o];
        if (a === 0) continue;
        cOut[m] += a * b[o];
        const wOff = o * IN; // seek to weight[o, 0]
        const outOff = m * IN; // seek to out[m, 0]
        for (let i = 0; i < IN; i++) out[outOff + i] += a * w[wOff + i];
      }
    return { A: out, c: cOut, M };
  }
  // conv: out[m, ci, ih, iw] += a[m, oc, oh, ow] · weight[oc, ci, kh, kw], the transposed loop nest
  const [OC, C, KH, KW] = layer.weight.shape;
  const [, H, W] = layer.inShape;
  const [, OH, OW] = layer.outShape;
  const S = layer.stride;
  const P = layer.pad;
  for (let m = 0; m < M; m++)
    for (let oc = 0; oc < OC; oc++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const a = A[((m * OC + oc) * OH + oh) * OW + ow];
          if (a === 0) continue;
          cOut[m] += a * b[oc];
          for (let ci = 0; ci < C; ci++) {
            const wOff = (oc * C + ci) * KH * KW; // seek to weight[oc, ci, 0, 0]
            const outOff = (m * C + ci) * H * W; // seek to out[m, ci, 0, 0]
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * S + kh - P;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * S + kw - P;
                if (iw < 0 || iw >= W) continue;
                out[outOff + ih * W + iw] += a * w[wOff + kh * KW + kw];
              }
            }
          }
        }
  return { A: out, c: cOut, M };
}

function reluBack(layer: ReluBound, rows: LinearRows, pre: ImageBox, slope: ReluLowerSlope): LinearRows {
  const { A, c, M } = rows;
  const S = layer.inSize;
  const out = new Float64Array(M * S); // [M, S]
  const cOut = Float64Array.from(c); // [M]
  for (let i = 0; i < S; i++) {
    const l = pre.lower[i];
    const u = pre.upper[i];
    if (u <= 0) continue; // relu = 0 on the box
    if (l >= 0) {
      for (let m = 0; m < M; m++) out[m * S + i] = A[m * S + i];
      continue;
    }
    const alpha = slope === 'adaptive' && u >= -l ? 1 : 0;
    const s = u / (u - l);
    for (let m = 0; m < M; m++) {
      const a = A[m * S + i];
      if (a >= 0) out[m * S + i] = alpha * a;
      else {
        out[m * S + i] = a * s;
        cOut[m] -= a * s * l;
      }
    }
  }
  return { A: out, c: cOut, M };
}

/** The flat input indices of one pooling window (padding cells are not candidates); returns how many. */
function windowCells(layer: PoolBound, ci: number, oh: number, ow: number, cells: Int32Array): number {
  const [, H, W] = layer.inShape;
  const { size: K, stride: S, pad: P } = layer;
  let count = 0;
  for (let kh = 0; kh < K; kh++) {
    const ih = oh * S + kh - P;
    if (ih < 0 || ih >= H) continue;
    for (let kw = 0; kw < K; kw++) {
      const iw = ow * S + kw - P;
      if (iw >= 0 && iw < W) cells[count++] = (ci * H + ih) * W + iw;
    }
  }
  return count;
}

function poolBack(layer: PoolBound, rows: LinearRows, pre: ImageBox): LinearRows {
  const { A, c, M } = rows;
  const C = layer.inShape[0];
  const [, OH, OW] = layer.outShape;
  const IN = layer.inSize;
  const OUT = layer.outSize;
  const out = new Float64Array(M * IN); // [M, C, H, W]
  const cOut = Float64Array.from(c); // [M]
  const cells = new Int32Array(layer.size * layer.size); // one window's input indices
  for (let ci = 0; ci < C; ci++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const count = windowCells(layer, ci, oh, ow, cells);
        // k: the first cell with the largest lower bound; uMax, uOther: the largest upper bound of
        // the window, and of its cells other than k
        let k = cells[0];
        for (let j = 1; j < count; j++) if (pre.lower[cells[j]] > pre.lower[k]) k = cells[j];
        let uMax = pre.upper[k];
        let uOther = -Infinity;
        for (let j = 0; j < count; j++) {
          if (cells[j] === k) continue;
          uMax = Math.max(uMax, pre.upper[cells[j]]);
          uOther = Math.max(uOther, pre.upper[cells[j]]);
        }
        const exact = pre.lower[k] >= uOther;
        const o = (ci * OH + oh) * OW + ow;
        for (let m = 0; m < M; m++) {
          const a = A[m * OUT + o];
          if (a === 0) continue;
          if (a > 0 || exact) out[m * IN + k] += a;
          else cOut[m] += a * uMax;
        }
      }
  return { A: out, c: cOut, M };
}

/** Carries `rows` (functions of layer's output) back to functions of its input. */
export function backLayer(layer: BoundLayer, rows: LinearRows, pre: ImageBox, slope: ReluLowerSlope): LinearRows {
  if (layer.kind === 'relu') return reluBack(layer, rows, pre, slope);
  if (layer.kind === 'pool') return poolBack(layer, rows, pre);
  return affineBack(layer, rows);
}

/**
 * Carries `rows`, functions of the output of layer `from − 1`, back through layers from − 1 … to,
 * giving functions of layer `to`'s input. `boxes(k)` is this image's box at layer k's input.
 */
export function backSubstitute(net: BoundNetwork, rows: LinearRows, from: number, to: number, boxes: (k: number) => ImageBox, slope: ReluLowerSlope): LinearRows {
  let r = rows;
  for (let k = from - 1; k >= to; k--) r = backLayer(net.layers[k], r, boxes(k), slope);
  return r;
}

/** min over the box of a_m·h + c_m, for each row m: [M]. */
export function concretizeLower(rows: LinearRows, box: ImageBox): Float64Array {
  const { A, c, M } = rows;
  const S = box.lower.length;
  const out = new Float64Array(M); // [M]
  for (let m = 0; m < M; m++) {
    let s = c[m];
    for (let i = 0; i < S; i++) {
      const a = A[m * S + i];
      s += a >= 0 ? a * box.lower[i] : a * box.upper[i];
    }
    out[m] = s;
  }
  return out;
}
