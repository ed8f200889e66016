/**
 * Winograd's forward pass (tensor/winograd.ts) with its stages chained through packed panels.
 *
 * Each stage of winogradForward is a GEMM whose op(B) is the previous stage's result, and a GEMM
 * first copies its op(B) into k-major panels of NR columns (tensor/gemm-pack.ts). The stages are
 * shallow (depth α = 12 or C = 20 for LeNet's conv2), so that copy costs about one memory pass per
 * 8–20 multiply-adds. Here each stage instead stores its result straight into the panels of the
 * next stage's op(B) (a gathered C whose offsets are panelOffset), and the next stage multiplies
 * on them as they are (gemmOnPanels): only the first stage packs, gathering the tiles from x.
 * Same panels, same kernel, same sums: the results are winogradForward's bit for bit
 * (test/tensor/winograd-panels.test.ts). The chain, ξ = (i, j) a transform point, t a tile:
 *
 *   stage      its product                                   stored as the next stage's op(B)
 *   in-rows    R[i, (w,c,t)] = Σ_k Bᵀ[i,k]·d[c,t][k,w]      R_i = [α (w), C·T]      (in-cols, one per i)
 *   in-cols    V[(i,j), (c,t)] = Σ_w Bᵀ[j,w]·R_i[w, (c,t)]  V_ξ = [C, T]            (element-wise, one per ξ)
 *   element    M[ξ, (oc,t)] = Σ_c U[ξ,oc,c]·V_ξ[c, t]       M = [α (i), α·OC·T]     (out-rows)
 *   out-rows   H[a, (j,oc,t)] = Σ_i Aᵀ[a,i]·M[i, (j,oc,t)]  H_a = [α (j), OC·T]     (out-cols, one per a)
 *   out-cols   y[n, oc, th·m + a, tw·m + b] = Σ_j Aᵀ[b,j]·H_a[j, (oc,t)] + bias[oc]   (straight into y)
 *
 * Each store must be rowOffset[row] + colOffset[column]. For M that needs T to be a multiple of NR
 * (a panel of M's columns then never straddles two output channels), and out-cols needs every
 * tile inside y (OH and OW multiples of m); winogradPanelsApply says when both hold, and
 * layers/conv2d.ts takes this path then. Every buffer starts with room for the stage's packed
 * op(A) (panelARegion), since the kernel reads both operands from one array.
 */
import { gemmIndexed, gemmOnPanels, MAX_PANEL_DEPTH, panelARegion, panelOffset, panelSize } from './gemm.ts';
import { NR } from './gemm-pack.ts';
import { pooledArray } from './recycle.ts';
import { ShapeCache } from './shape-cache.ts';
import type { FloatArray } from './tensor.ts';
import {
  cachedOutputOffsets, cachedTileOffsets, columnBias, dense, extendInput, scratch, winogradMatrices,
  type WinogradGeometry, type WinogradSaved,
} from './winograd.ts';

/** Whether winogradForwardPanels can run this geometry (see the file header). */
export function winogradPanelsApply(wg: WinogradGeometry): boolean {
  const { T, OH, OW, m, C, alpha, OC } = wg;
  return T % NR === 0 && OH % m === 0 && OW % m === 0 && m > 1 && OC * T > 1 && C <= MAX_PANEL_DEPTH && alpha <= MAX_PANEL_DEPTH;
}

/** Where each stage stores its result: rows and columns of its C, as offsets into the next stage's buffer. */
interface PanelTables {
  /** in-rows: [α] (i) and [α·C·T] (w, c, t) into R */
  rRows: Int32Array; rCols: Int32Array;
  /** in-cols: [α, α] (i, j) and [C·T] (c, t) into V */
  vRows: Int32Array; vCols: Int32Array;
  /** element-wise: [α², OC] (ξ, oc) and [T] into M */
  mRows: Int32Array; mCols: Int32Array;
  /** out-rows: [m] (a) and [α·OC·T] (j, oc, t) into H */
  hRows: Int32Array; hCols: Int32Array;
}

/** The buffers' layout: op(A) region, then one op(B) of `stride` elements per row of the previous stage. */
function layout(wg: WinogradGeometry): { aR: number; sR: number; aV: number; sV: number; aM: number; aH: number; sH: number } {
  const { C, OC, m, alpha, T } = wg;
  return {
    aR: panelARegion(alpha, alpha), sR: panelSize(alpha, C * T), // R_i: [α, C·T]
    aV: panelARegion(OC, C), sV: panelSize(C, T), // V_ξ: [C, T]
    aM: panelARegion(m, alpha), // M: [α, α·OC·T]
    aH: panelARegion(m, alpha), sH: panelSize(alpha, OC * T), // H_a: [α, OC·T]
  };
}

function makeTables(wg: WinogradGeometry): PanelTables {
  const { C, OC, m, alpha, T } = wg;
  const { aR, sR, aV, sV, aM, aH, sH } = layout(wg);
  const CT = C * T;
  const OT = OC * T;
  const rRows = Int32Array.from({ length: alpha }, (_, i) => aR + i * sR);
  const rCols = new Int32Array(alpha * CT); // column (w, c, t) of in-rows is element (w, c·T + t) of R_i
  for (let w = 0, j = 0; w < alpha; w++) for (let ct = 0; ct < CT; ct++, j++) rCols[j] = panelOffset(w, ct, alpha);
  const vRows = Int32Array.from({ length: alpha * alpha }, (_, xi) => aV + xi * sV);
  const vCols = Int32Array.from({ length: CT }, (_, ct) => panelOffset(Math.floor(ct / T), ct % T, C));
  // M[i, (j·OC + oc)·T + t]: with T a multiple of NR, panel ⌊((j·OC + oc)·T + t)/NR⌋ splits into a row part and ⌊t/NR⌋
  const mRows = new Int32Array(alpha * alpha * OC);
  for (let i = 0, r = 0; i < alpha; i++) for (let j = 0; j < alpha; j++) for (let oc = 0; oc < OC; oc++, r++) mRows[r] = aM + panelOffset(i, (j * OC + oc) * T, alpha);
  const mCols = Int32Array.from({ length: T }, (_, t) => panelOffset(0, t, alpha));
  const hRows = Int32Array.from({ length: m }, (_, a) => aH + a * sH);
  const hCols = new Int32Array(alpha * OT); // column (j, oc, t) of out-rows is element (j, oc·T + t) of H_a
  for (let j = 0, q = 0; j < alpha; j++) for (let ot = 0; ot < OT; ot++, q++) hCols[q] = panelOffset(j, ot, alpha);
  return { rRows, rCols, vRows, vCols, mRows, mCols, hRows, hCols };
}

const tablesCache = new ShapeCache<PanelTables>();

/**
 * winogradForward (same arguments, same results bit for bit) through the panel chain of the file
 * header; V is kept in panels (WinogradSaved.vPanels). Needs winogradPanelsApply(wg).
 */
export function winogradForwardPanels(x: FloatArray, U: Float64Array, bias: FloatArray | null, wg: WinogradGeometry, y: FloatArray, keep = true): WinogradSaved {
  if (!winogradPanelsApply(wg)) throw new RangeError(`winogradForwardPanels: needs T a multiple of ${NR} and whole tiles, got T = ${wg.T}, ${wg.OH}×${wg.OW} outputs in ${wg.m}×${wg.m} tiles`);
  const { C, OC, m, alpha, T, r } = wg;
  const mat = winogradMatrices(m, r);
  const { AT, BT } = mat;
  const CT = C * T;
  const OT = OC * T;
  const { aR, sR, aV, sV, aM, aH, sH } = layout(wg);
  const tb = tablesCache.get(`${wg.N},${C},${OC},${wg.H},${wg.W},${wg.pad},${m},${r}`, () => makeTables(wg));
  // in-rows: Bᵀ·d for every tile, channel and column w, gathered from x (the one packing pass)
  const R = scratch(1, aR + alpha * sR);
  gemmIndexed(alpha, alpha * CT, alpha, dense(BT, alpha, false), { data: extendInput(x, wg), ...cachedTileOffsets(wg) }, 0, { data: R, rowOffset: tb.rRows, colOffset: tb.rCols });
  // in-cols: V_ξ = (Bᵀ·d·B)[ξ]
  const vSize = aV + alpha * alpha * sV;
  const V = keep ? pooledArray(Float64Array, vSize) : scratch(6, vSize);
  for (let i = 0; i < alpha; i++) {
    gemmOnPanels(alpha, CT, alpha, dense(BT, alpha, false), R, aR + i * sR, 0, { data: V, rowOffset: tb.vRows.subarray(i * alpha, (i + 1) * alpha), colOffset: tb.vCols });
  }
  // element-wise: M[ξ] = U[ξ]·V_ξ, summed over channels
  const M = scratch(1, aM + panelSize(alpha, alpha * OT)); // R is no longer needed
  for (let xi = 0; xi < alpha * alpha; xi++) {
    gemmOnPanels(OC, T, C, dense(U.subarray(xi * OC * C), C, false), V, aV + xi * sV, 0, { data: M, rowOffset: tb.mRows.subarray(xi * OC, (xi + 1) * OC), colOffset: tb.mCols });
  }
  // out-rows: Aᵀ along i
  const H = scratch(2, aH + m * sH);
  gemmOnPanels(m, alpha * OT, alpha, dense(AT, alpha, false), M, aM, 0, { data: H, rowOffset: tb.hRows, colOffset: tb.hCols });
  // out-cols: Aᵀ along j, each output row a of the tiles straight into y with the bias
  const { rowOffset, colOffset } = cachedOutputOffsets(wg);
  const add = bias === null ? undefined : { cols: columnBias(bias, OC, T) };
  for (let a = 0; a < m; a++) {
    gemmOnPanels(m, OT, alpha, dense(AT, alpha, false), H, aH + a * sH, 0, { data: y, rowOffset: rowOffset.subarray(a * m, (a + 1) * m), colOffset }, add);
  }
  return { wg, mat, U, V, vPanels: { base: aV, stride: sV } };
}
