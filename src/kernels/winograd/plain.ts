/**
 * The Winograd convolution F(m×m, r×r) (matrices.ts), forward and backward, as a chain of GEMMs
 * on kernels/gemm/gemm.ts. It speeds up kernels/reference/conv2d.ts (the direct loop nest, which
 * a first reader reads instead); panels.ts runs the same stages with fewer copies where the
 * shapes allow it. Per tile of α×α inputs and channel pair (oc, c), at each of the α² points ξ:
 *
 *   U[ξ, oc, c] = (G·weight[oc,c]·Gᵀ)[ξ]                        [α², OC, C]   (kernel-transform.ts)
 *   V[ξ, c, t]  = (Bᵀ·d[n,c,tile]·B)[ξ],   t = n·tiles + tile     [α², C, T]    (T = N·tiles)
 *   M[ξ]        = U[ξ] · V[ξ]                                   [α², OC, T]   α² GEMMs of OC×T×C
 *   y[n,oc,tile] = Aᵀ·M[·, oc, t]·A  (+ bias; outputs past OH, OW dropped)
 *
 * Every stage is linear, so the backward pass is the forward pipeline run backwards with every
 * matrix transposed (as kernels/reference/conv2d.ts says of the loop nest), and it costs what the
 * forward does:
 *
 *   dM[·, oc, t] = A·dy[n,oc,tile]·Aᵀ        dV[ξ] = U[ξ]ᵀ·dM[ξ]        dU[ξ] = dM[ξ]·V[ξ]ᵀ
 *   dx[n,c,tile] += B·dV[·, c, t]·Bᵀ  (overlapping tiles add up, as in col2im)
 *   dWeight[oc,c] = Gᵀ·dU[·, oc, c]·G
 *
 * ∂L/∂x is thus the Winograd transpose rather than a separate full-padding correlation with the
 * flipped kernel: the same α²·OC·C·tiles multiplications and U reused, where the flipped-kernel
 * route would need more tiles (its output is the larger input). ∂L/∂W = dM·Vᵀ reuses the V that
 * forward computed.
 *
 * Every stage, transforms included, is a GEMM on the packed kernel (dense, or reading x and
 * writing dx through offset tables, geometry.ts). The intermediates are Float64 (workspace.ts
 * names them): the kernel accumulates in double precision anyway, so a float32 convolution is
 * rounded to float32 once, at the end, and Winograd's error amplification (large for big tiles in
 * float32 arithmetic) acts on float64 rounding errors instead. The float32 error is then the
 * rounding of the result itself, half an ulp of the largest value; the tests hold every m to
 * 1.2e-7 of the largest value on real activations, and in float64 to 1e-11 (the transform entries
 * reach 3⁷ = 2187 in Aᵀ and 55 in Bᵀ: that is the amplification). The measured errors per m are in
 * docs/performance.md (bench/winograd-accuracy.ts).
 *
 * Every output column t (one tile of one image) is computed from that image alone, with a
 * summation order that depends only on C, OC and the tile: a row's result does not depend on the
 * batch around it (the worker engine relies on that), not even in a batch of one image (the stages
 * whose width is T never take the GEMM's matrix–vector path, see packedGemm). dU sums over the
 * batch, like dWeight always. Sizes: geometry.ts.
 */
import { pooledArray } from '../../tensor/recycle.ts';
import type { FloatArray } from '../../tensor/tensor.ts';
import { gemm, gemmIndexed } from '../gemm/gemm.ts';
import {
  cachedOutputOffsets, cachedTileOffsets, cropInput, dense, extendInput, outputTileIndex, packedGemm,
  type WinogradGeometry, type WinogradSaved,
} from './geometry.ts';
import { weightGradient } from './kernel-transform.ts';
import { winogradMatrices } from './matrices.ts';
import { assertHeld, winogradBuffer } from './workspace.ts';

export type { WinogradSaved } from './geometry.ts';

/**
 * Forward: y [N, OC, OH, OW] = bias + the stride-1 convolution of x with weight (pad wg.pad).
 * @param x [N, C, H, W]   @param U the transformed weight (winogradKernelTransform)   @param bias [OC] or null
 * @param y [N, OC, OH, OW], written (allocated by the caller like x)
 * @param keep false when no backward pass will follow (noGrad): V then lives in the workspace
 *   (fresh memory is page-faulted in on first touch, which costs more than the transform that
 *   fills it), and the returned V is only valid until the next call; true: V comes from the pool
 *   of tensor/recycle.ts, like an op's output
 */
export function winogradForward(x: FloatArray, U: Float64Array, bias: FloatArray | null, wg: WinogradGeometry, y: FloatArray, keep = true): WinogradSaved {
  const { C, OC, OH, OW, m, alpha, T, r } = wg;
  const mat = winogradMatrices(m, r);
  const { AT, BT } = mat;
  const CT = C * T;
  const OT = OC * T;
  // V = Bᵀ·d·B: first along tile rows (all tiles and channels in one GEMM), then along columns
  const xs = extendInput(x, wg);
  const rowsDone = winogradBuffer('inputRows', alpha * alpha * CT); // [α (i), α (w), C, T] = Σ_k Bᵀ[i, k]·d[k, w]
  gemmIndexed(alpha, alpha * CT, alpha, { data: BT, ld: alpha, trans: false }, { data: xs, ...cachedTileOffsets(wg) }, 0, { data: rowsDone, ld: alpha * CT, trans: false });
  const V = keep ? pooledArray(Float64Array, alpha * alpha * CT) : winogradBuffer('inputTilesNoGrad', alpha * alpha * CT); // [α (i), α (j), C, T]
  assertHeld('inputRows');
  for (let i = 0; i < alpha; i++) {
    const at = i * alpha * CT; // seek to row i
    gemm(false, false, alpha, CT, alpha, BT, alpha, rowsDone.subarray(at), CT, 0, V.subarray(at), CT);
  }
  // M[ξ] = U[ξ]·V[ξ]: the element-wise stage, summed over channels
  const M = winogradBuffer('products', alpha * alpha * OT); // [α², OC, T]
  for (let xi = 0; xi < alpha * alpha; xi++) {
    packedGemm(OC, T, C, dense(U.subarray(xi * OC * C), C, false), dense(V.subarray(xi * CT), T, false), M.subarray(xi * OT), T);
  }
  // Y = Aᵀ·M·A: along i (one GEMM), then along j (one per output row a)
  const half = winogradBuffer('outputRows', m * alpha * OT); // [m (a), α (j), OC, T]
  assertHeld('products');
  gemm(false, false, m, alpha * OT, alpha, AT, alpha, M, alpha * OT, 0, half, alpha * OT);
  if (OH % m === 0 && OW % m === 0 && m > 1 && OT > 1) {
    // every tile lies inside y: each output row a of the tiles goes straight to its place in y,
    // bias added in the same store (y[n, oc, th·m + a, tw·m + b] = tilesOut[a, b, oc, t] + bias[oc])
    const { rowOffset, colOffset } = cachedOutputOffsets(wg);
    const add = bias === null ? undefined : { cols: columnBias(bias, OC, T) };
    assertHeld('outputRows');
    const A = dense(AT, alpha, false);
    for (let a = 0; a < m; a++) {
      gemmIndexed(m, OT, alpha, A, dense(half.subarray(a * alpha * OT), OT, false), 0, { data: y, rowOffset: rowOffset.subarray(a * m, (a + 1) * m), colOffset }, add);
    }
    return { wg, mat, U, V, vPanels: null };
  }
  const tilesOut = winogradBuffer('outputTiles', m * m * OT); // [m (a), m (b), OC, T]
  assertHeld('outputRows');
  for (let a = 0; a < m; a++) {
    gemm(false, false, m, OT, alpha, AT, alpha, half.subarray(a * alpha * OT), OT, 0, tilesOut.subarray(a * m * OT), OT);
  }
  // y[n, oc, th·m + a, tw·m + b] = bias[oc] + tilesOut[a, b, oc, t]; positions past OH, OW are dropped
  const at = outputTileIndex(wg);
  const Q = OH * OW;
  for (let plane = 0, i = 0; plane < wg.N * OC; plane++) {
    const b0 = bias === null ? 0 : bias[plane % OC];
    for (let q = 0; q < Q; q++, i++) y[i] = b0 + tilesOut[at[i]];
  }
  return { wg, mat, U, V, vPanels: null };
}

/** bias [OC] as one value per column (oc, t) of the output transform: [OC·T]. */
export function columnBias(bias: FloatArray, OC: number, T: number): Float64Array {
  const cols = winogradBuffer('columnBias', OC * T); // [OC, T]
  for (let oc = 0; oc < OC; oc++) cols.fill(bias[oc], oc * T, (oc + 1) * T);
  return cols;
}

/**
 * Backward (the transposed pipeline of the file header).
 * @param dy [N, OC, OH, OW]
 * @param dx [N, C, H, W] zeroed (allocated like x) or null when not needed
 * @param dWeight [OC, C, r, r] zeroed, or null
 */
export function winogradBackward(dy: FloatArray, saved: WinogradSaved, dx: FloatArray | null, dWeight: FloatArray | null): void {
  const { wg, mat, U } = saved;
  const { N, C, OC, OH, OW, m, alpha, T, HP, WP } = wg;
  const { AT, BT } = mat;
  const CT = C * T;
  const OT = OC * T;
  // dy as tiles [m (a), m (b), OC, T], zero past OH, OW
  const dTiles = winogradBuffer('dOutputTiles', m * m * OT);
  if (OH % m !== 0 || OW % m !== 0) dTiles.fill(0, 0, m * m * OT);
  const at = outputTileIndex(wg);
  for (let i = 0; i < N * OC * OH * OW; i++) dTiles[at[i]] = dy[i];
  // dM = A·dY·Aᵀ: along b (one GEMM per a), then along a
  const half = winogradBuffer('dOutputRows', m * alpha * OT); // [m (a), α (j), OC, T]
  assertHeld('dOutputTiles');
  for (let a = 0; a < m; a++) {
    gemm(true, false, alpha, OT, m, AT, alpha, dTiles.subarray(a * m * OT), OT, 0, half.subarray(a * alpha * OT), OT);
  }
  const dM = winogradBuffer('dProducts', alpha * alpha * OT); // [α², OC, T]
  assertHeld('dOutputRows');
  gemm(true, false, alpha, alpha * OT, m, AT, alpha, half, alpha * OT, 0, dM, alpha * OT);

  if (dWeight !== null) weightGradient((xi) => dense(dM.subarray(xi * OT), T, false), saved, dWeight);

  if (dx !== null) {
    // dV[ξ] = U[ξ]ᵀ·dM[ξ], then dd = B·dV·Bᵀ added into the (extended) dx through the tile offsets
    const dV = winogradBuffer('dInputTiles', alpha * alpha * CT); // [α (i), α (j), C, T]
    assertHeld('dProducts');
    for (let xi = 0; xi < alpha * alpha; xi++) {
      packedGemm(C, T, OC, dense(U.subarray(xi * OC * C), C, true), dense(dM.subarray(xi * OT), T, false), dV.subarray(xi * CT), T);
    }
    const dRows = winogradBuffer('dInputRows', alpha * alpha * CT); // [α (i), α (w), C, T]
    assertHeld('dInputTiles');
    for (let i = 0; i < alpha; i++) {
      const at = i * alpha * CT; // seek to row i
      gemm(true, false, alpha, CT, alpha, BT, alpha, dV.subarray(at), CT, 0, dRows.subarray(at), CT);
    }
    // overlapping tiles add up in float64, so a float32 dx is rounded once, as y is
    const dxs = winogradBuffer('dExtendedInput', N * C * HP * WP); // [N, C, HP, WP]
    assertHeld('dInputRows');
    dxs.fill(0, 0, N * C * HP * WP);
    gemmIndexed(alpha, alpha * CT, alpha, { data: BT, ld: alpha, trans: true }, { data: dRows, ld: alpha * CT, trans: false }, 1, { data: dxs, ...cachedTileOffsets(wg) });
    cropInput(dxs, dx, wg);
  }
}
