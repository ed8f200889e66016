/**
 * The im2col + GEMM path of conv2d: the batch lowered to one matrix product. It speeds up
 * kernels/reference/conv2d.ts and is the explicit kernels/reference/im2col.ts + GEMM
 * (layers/conv2d-im2col.ts) without its buffers; a first reader reads those instead.
 * Sizes as there, R = C·KH·KW, Q = OH·OW:
 *
 *   cols [R, N·Q] = im2col(x)           Y [OC, N·Q] = weight [OC, R] · cols,  y = Y regrouped by image
 *   dY [OC, N·Q]  = dy regrouped        dWeight = dY · colsᵀ,  dcols = weightᵀ · dY,  dx = col2im(dcols)
 *
 * None of cols, Y, dY or dcols is ever stored. cols[r, j] = x[rowOffset[r] + colOffset[j]]
 * (lowering.ts) is packed by the GEMM straight from x; Y and dY are y and dy read as [OC, N·Q]
 * through offsets (nchwAsMatrix); and dcols is added into dx through the im2col offsets as the
 * GEMM produces it, which is col2im (kernels/gemm/gemm.ts, gemmIndexed). A padded x is first
 * copied into a zero border, R/S² times smaller than cols.
 */
import { allocate, Tensor, type FloatArray } from '../../tensor/tensor.ts';
import type { ConvGeometry, WindowGeometry } from '../../tensor/window.ts';
import { gemmIndexed } from '../gemm/gemm.ts';
import { NR } from '../gemm/pack.ts';
import { cropImages, im2colOffsets, nchwAsMatrix, padImages } from './lowering.ts';

/** Which gradients a backward pass computes (the op skips those no input needs). */
export interface Conv2dNeeds {
  dx: boolean;
  dWeight: boolean;
  dBias: boolean;
}

/** A backward pass's gradients, null where not needed. */
export interface Conv2dGradients {
  dx: Tensor | null;
  dWeight: Tensor | null;
  dBias: Tensor | null;
}

/** The im2col matrix of a convolution's input, as offsets into x (or into its zero-padded copy). */
export interface LoweredInput {
  /** x, or x copied into a zero border of width pad: [N, C, H + 2P, W + 2P] */
  src: Float32Array | Float64Array;
  /** [R] and [N·Q]: cols[r, j] = src[rowOffset[r] + colOffset[j]] */
  rowOffset: Int32Array;
  colOffset: Int32Array;
}

/** x as an implicit im2col matrix (see the file header). */
export function lowerInput(x: Tensor, g: WindowGeometry): LoweredInput {
  const { xp: src, gp } = g.pad === 0 ? { xp: x.data, gp: g } : padImages(x.data, g);
  return { src, ...im2colOffsets(gp) };
}

/**
 * Fast forward: Y [OC, N·Q] = weight [OC, R] · cols [R, N·Q], with cols gathered from x and Y + bias
 * stored straight into y [N, OC, OH, OW]. Returns y and the lowered x
 * that backward needs for dWeight.
 */
export function conv2dGemmForward(x: Tensor, weight: Tensor, bias: Tensor | null, g: ConvGeometry): { y: Tensor; lowered: LoweredInput } {
  const { N, C, KH, KW, OH, OW, OC } = g;
  const R = C * KH * KW;
  const Q = OH * OW;
  const lowered = lowerInput(x, g);
  const y = allocate(x.dtype, N * OC * Q); // [N, OC, OH, OW]
  // every cell of y is written once, as the product plus bias[oc] (the GEMM's row addend)
  gemmIndexed(OC, N * Q, R, { data: weight.data, ld: R, trans: false }, { data: lowered.src, rowOffset: lowered.rowOffset, colOffset: lowered.colOffset }, 0, {
    data: y, ...nchwAsMatrix(N, OC, Q),
  }, bias === null ? undefined : { rows: bias.data });
  return { y: new Tensor(y, [N, OC, OH, OW]), lowered };
}

/**
 * Fast backward, with dy [N, OC, OH, OW] read in place as dY [OC, N·Q]:
 * dWeight = dY·colsᵀ, dBias = row sums of dY, and dx = col2im(weightᵀ·dY), the product added
 * straight into dx through the im2col offsets. Skips what is not needed.
 */
export function conv2dGemmBackward(
  dy: Tensor, x: Tensor, weight: Tensor, lowered: LoweredInput, g: ConvGeometry, needs: Conv2dNeeds,
): Conv2dGradients {
  const { N, C, KH, KW, OH, OW, OC } = g;
  const R = C * KH * KW;
  const Q = OH * OW;
  const dY = { data: dy.data, ...nchwAsMatrix(N, OC, Q) }; // [OC, N·Q]
  const dBias = needs.dBias ? biasGradient(dy, N, OC, Q) : null;
  let dWeight: Tensor | null = null;
  if (needs.dWeight) {
    const dw = allocate(x.dtype, OC * R); // [OC, R]
    // colsᵀ [N·Q, R] is the implicit matrix with the offset tables swapped
    const colsT = { data: lowered.src, rowOffset: lowered.colOffset, colOffset: lowered.rowOffset };
    gemmIndexed(OC, R, N * Q, dY, colsT, 0, { data: dw, ld: R, trans: false });
    dWeight = new Tensor(dw, weight.shape);
  }
  let dx: Tensor | null = null;
  if (needs.dx) {
    const dsrc = allocate(x.dtype, lowered.src.length); // like src: [N, C, H + 2P, W + 2P]
    const weightT = { data: weight.data, ld: R, trans: true }; // [R, OC]
    const dsrcAt = { data: dsrc, rowOffset: lowered.rowOffset, colOffset: lowered.colOffset };
    if (!sharedPanels(g, Q)) {
      gemmIndexed(R, N * Q, OC, weightT, dY, 1, dsrcAt);
    } else {
      // one product per image, so that every image's columns start a panel (see sharedPanels)
      for (let n = 0; n < N; n++) {
        const cols = (ref: { data: FloatArray; rowOffset: Int32Array; colOffset: Int32Array }) => ({ ...ref, colOffset: ref.colOffset.subarray(n * Q, (n + 1) * Q) });
        gemmIndexed(R, Q, OC, weightT, cols(dY), 1, cols(dsrcAt));
      }
    }
    dx = new Tensor(g.pad === 0 ? dsrc : cropImages(dsrc, g), x.shape);
  }
  return { dx, dWeight, dBias };
}

/**
 * Whether col2im over the whole batch would make an image's ∂L/∂x depend on its place in the
 * batch. The GEMM cuts the N·Q columns into panels of NR = 5 and adds a panel's values into dx
 * panel by panel; where windows overlap (KH > S or KW > S), several columns add into one dx cell,
 * and the order of those float additions follows the panel boundaries. When Q is not a multiple
 * of NR (the LeNet's conv1: Q = 576), image n's columns start at n·Q, at another place within a
 * panel for each n mod 5, so the same image could get other last bits at another row of the batch
 * (with Q = 1, as in conv3, an image has one window and no cell gets two of its columns).
 * Then the product runs image by image (every image starts a panel), which costs an A packing per
 * image (R·OC values, 500 for conv1) and makes a row's ∂L/∂x independent of the batch around it.
 */
function sharedPanels(g: WindowGeometry, Q: number): boolean {
  return g.N > 1 && Q > 1 && Q % NR !== 0 && (g.KH > g.stride || g.KW > g.stride); // Q = 1: one window per image, nothing overlaps
}

/** dBias [OC] = Σ over images and positions of dy [N, OC, Q], summed in double precision whatever the dtype. */
export function biasGradient(dy: Tensor, N: number, OC: number, Q: number): Tensor {
  const sums = new Float64Array(OC); // [OC]
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++) {
      let s = 0; // this image's plane in a register, then into the total
      for (let j = (n * OC + oc) * Q, end = j + Q; j < end; j++) s += dy.data[j];
      sums[oc] += s;
    }
  const db = allocate(dy.dtype, OC);
  db.set(sums);
  return new Tensor(db, [OC]);
}
