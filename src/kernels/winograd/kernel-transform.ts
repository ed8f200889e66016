/**
 * Part of the Winograd path, which speeds up kernels/reference/conv2d.ts (a first reader reads that).
 *
 * The kernel side of Winograd: the transform U = G·g·Gᵀ of every (oc, c) filter (matrices.ts),
 * cached while the weights do not change, and its adjoint, which ends both backward pipelines
 * with ∂L/∂W = Gᵀ·dU·G, dU[ξ] = dM[ξ]·V[ξ]ᵀ.
 */
import type { FloatArray } from '../../tensor/tensor.ts';
import { gemm, gemmIndexed, type MatrixRef } from '../gemm/gemm.ts';
import { dense, packedGemm, panelColumnsAsRows, type WinogradSaved } from './geometry.ts';
import type { WinogradMatrices } from './matrices.ts';
import { assertHeld, winogradBuffer } from './workspace.ts';

/**
 * U [α², OC, C] = G·weight[oc,c]·Gᵀ for every channel pair, as two GEMMs (kh, then kw).
 * @param weight [OC, C, r, r]
 */
export function winogradKernelTransform(weight: FloatArray, OC: number, C: number, mat: WinogradMatrices): Float64Array {
  const { r, alpha, G } = mat;
  const OCC = OC * C;
  const half = winogradBuffer('kernelRows', alpha * r * OCC); // [α, r, OC, C]: Σ_kh G[a, kh]·weight[oc, c, kh, kw] at (a, kw, oc, c)
  gemmIndexed(alpha, r * OCC, r, { data: G, ld: r, trans: false }, { data: weight, ...kernelOffsets(OC, C, r) }, 0, { data: half, ld: r * OCC, trans: false });
  const U = new Float64Array(alpha * alpha * OCC); // [α, α, OC, C]
  for (let a = 0; a < alpha; a++) {
    gemm(false, false, alpha, OCC, r, G, r, half.subarray(a * r * OCC), OCC, 0, U.subarray(a * alpha * OCC), OCC);
  }
  return U;
}

/** weight [OC, C, r, r] as the matrix [r (kh), r·OC·C (kw, oc, c)]. */
function kernelOffsets(OC: number, C: number, r: number): { rowOffset: Int32Array; colOffset: Int32Array } {
  const rowOffset = new Int32Array(r); // [r]
  for (let kh = 0; kh < r; kh++) rowOffset[kh] = kh * r;
  const colOffset = new Int32Array(r * OC * C); // [r, OC, C]
  for (let kw = 0, j = 0; kw < r; kw++) for (let q = 0; q < OC * C; q++, j++) colOffset[j] = q * r * r + kw;
  return { rowOffset, colOffset };
}

/** The last transformed kernel per weight array, with the values it was computed from. */
const kernelCache = new WeakMap<FloatArray, { values: Float64Array; m: number; U: Float64Array }>();

/**
 * winogradKernelTransform, reused while the weight's values are unchanged (inference and attacks
 * run many batches on fixed weights; the comparison costs OC·C·r² reads against ~2α²·r of them
 * per channel pair for the transform). U is never modified after it is made, so a forward pass
 * may keep it for its backward pass even if the weights change in between.
 */
export function cachedKernelTransform(weight: FloatArray, OC: number, C: number, mat: WinogradMatrices): Float64Array {
  const hit = kernelCache.get(weight);
  if (hit !== undefined && hit.m === mat.m && hit.values.length === weight.length) {
    const v = hit.values;
    let same = true;
    for (let i = 0; i < v.length; i++) {
      if (v[i] !== weight[i]) {
        same = false;
        break;
      }
    }
    if (same) return hit.U;
  }
  const U = winogradKernelTransform(weight, OC, C, mat);
  kernelCache.set(weight, { values: Float64Array.from(weight), m: mat.m, U });
  return U;
}

/**
 * dWeight += the kernel gradient from dM: dU[ξ] = dM[ξ]·V_ξᵀ (V as forward kept it, plain or in
 * panels), then dWeight = Gᵀ·dU·G. Both backward passes end their ∂L/∂W here.
 * @param dMAt dM[ξ] [OC, T] as a GEMM operand
 */
export function weightGradient(dMAt: (xi: number) => MatrixRef, saved: WinogradSaved, dWeight: FloatArray): void {
  const { wg, mat, V } = saved;
  const { C, OC, alpha, T, r } = wg;
  const { G } = mat;
  const OCC = OC * C;
  const dU = winogradBuffer('kernelGradient', alpha * alpha * OCC); // [α (a), α (b), OC, C]
  const vp = saved.vPanels;
  const vt = vp === null ? null : panelColumnsAsRows(T, C); // V_ξᵀ [T, C] read from the panels
  for (let xi = 0; xi < alpha * alpha; xi++) {
    const Vt: MatrixRef = vp === null ? dense(V.subarray(xi * C * T), T, true) : { data: V.subarray(vp.base + xi * vp.stride), ...vt! };
    packedGemm(OC, C, T, dMAt(xi), Vt, dU.subarray(xi * OCC), C);
  }
  const dHalf = winogradBuffer('kernelGradientRows', alpha * r * OCC); // [α (a), r (kw), OC, C]
  assertHeld('kernelGradient');
  for (let a = 0; a < alpha; a++) {
    gemm(true, false, r, OCC, alpha, G, r, dU.subarray(a * alpha * OCC), OCC, 0, dHalf.subarray(a * r * OCC), OCC);
  }
  gemmIndexed(r, r * OCC, alpha, { data: G, ld: r, trans: true }, { data: dHalf, ld: r * OCC, trans: false }, 1, { data: dWeight, ...kernelOffsets(OC, C, r) });
}
