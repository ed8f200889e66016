/**
 * 2-D convolution (cross-correlation, as in every deep-learning library), NCHW, weight OIHW, as
 * the definition's loop nest: the reference every fast path (kernels/conv2d/) is tested against,
 * and what `conv2d(…, { algorithm: 'direct' })` runs, so a reader can step through it.
 *
 *   y[n,oc,oh,ow] = bias[oc] + Σ_c Σ_kh Σ_kw weight[oc,c,kh,kw] · x[n,c,ih,iw],
 *       ih = oh·S + kh − P,  iw = ow·S + kw − P   (terms in the zero padding vanish)
 *
 * Backward is the forward loop nest with each multiply-accumulate transposed: every read of
 * x[n,c,ih,iw] and weight[oc,c,kh,kw] that fed y[n,oc,oh,ow] sends dy[n,oc,oh,ow] back:
 *
 *   dx[n,c,ih,iw]       += weight[oc,c,kh,kw] · dy[n,oc,oh,ow]
 *   dWeight[oc,c,kh,kw] += x[n,c,ih,iw]       · dy[n,oc,oh,ow]
 *   dBias[oc]           += dy[n,oc,oh,ow]
 *
 * Sizes: N batch, C input channels, H×W input, OC output channels, KH×KW kernel, S stride,
 * P zero padding, OH×OW output (tensor/window.ts). The geometry is checked by the caller
 * (conv2dGeometry, layers/conv2d.ts).
 */
import { allocate, Tensor } from '../../tensor/tensor.ts';
import type { ConvGeometry } from '../../tensor/window.ts';

/**
 * The header's forward formula as a plain loop nest.
 * @param x [N, C, H, W]   @param weight [OC, C, KH, KW]   @param bias [OC] or null   @param g their geometry
 * @returns y [N, OC, OH, OW]
 */
export function conv2dDirectForward(x: Tensor, weight: Tensor, bias: Tensor | null, g: ConvGeometry): Tensor {
  const { N, C, H, W, KH, KW, stride: S, pad: P, OH, OW, OC } = g;
  const y = allocate(x.dtype, N * OC * OH * OW); // [N, OC, OH, OW]
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let s = bias === null ? 0 : bias.data[oc];
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * S + kh - P;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * S + kw - P;
                if (iw < 0 || iw >= W) continue;
                s += weight.data[((oc * C + c) * KH + kh) * KW + kw] * x.data[((n * C + c) * H + ih) * W + iw];
              }
            }
          y[((n * OC + oc) * OH + oh) * OW + ow] = s;
        }
  return new Tensor(y, [N, OC, OH, OW]);
}

/**
 * The header's backward formulas: the same loop nest, multiply-accumulates transposed.
 * @param dy [N, OC, OH, OW]   @returns dx [N, C, H, W], dWeight [OC, C, KH, KW], dBias [OC]
 */
export function conv2dDirectBackward(dy: Tensor, x: Tensor, weight: Tensor, g: ConvGeometry): { dx: Tensor; dWeight: Tensor; dBias: Tensor } {
  const { N, C, H, W, KH, KW, stride: S, pad: P, OH, OW, OC } = g;
  const dx = allocate(x.dtype, x.size); // [N, C, H, W]
  const dWeight = allocate(x.dtype, weight.size); // [OC, C, KH, KW]
  const dBias = allocate(x.dtype, OC); // [OC]
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const g = dy.data[((n * OC + oc) * OH + oh) * OW + ow];
          dBias[oc] += g;
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * S + kh - P;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * S + kw - P;
                if (iw < 0 || iw >= W) continue;
                const wi = ((oc * C + c) * KH + kh) * KW + kw;
                const xi = ((n * C + c) * H + ih) * W + iw;
                dx[xi] += weight.data[wi] * g;
                dWeight[wi] += x.data[xi] * g;
              }
            }
        }
  return { dx: new Tensor(dx, x.shape), dWeight: new Tensor(dWeight, weight.shape), dBias: new Tensor(dBias, [OC]) };
}
