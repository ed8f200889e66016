/**
 * Winograd's pipeline (plain.ts, which a first reader reads instead; the math is in matrices.ts)
 * with its stages chained through packed panels: the same sums with fewer copies.
 *
 * Each stage of winogradForward is a GEMM whose op(B) is the previous stage's result, and a GEMM
 * first copies its op(B) into k-major panels of NR columns (kernels/gemm/pack.ts). The stages are
 * shallow (depth α = 12 or C = 20 for LeNet's conv2), so that copy costs about one memory pass per
 * 8–20 multiply-adds. Here each stage instead stores its result straight into the panels of the
 * next stage's op(B) (a gathered C whose offsets are panelOffset), and the next stage multiplies
 * on them as they are (gemmOnPanels): only the first stage packs, gathering the tiles from x.
 * Same panels, same kernel, same sums: the results are winogradForward's bit for bit
 * (test/kernels/winograd/panels.test.ts). The chain, ξ = (i, j) a transform point, t a tile:
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
 * kernels/conv2d/winograd-path.ts takes this path then. Every buffer starts with room for the stage's packed
 * op(A) (panelARegion), since the kernel reads both operands from one array.
 */
import { pooledArray } from '../../tensor/recycle.ts';
import type { FloatArray } from '../../tensor/tensor.ts';
import { gemmIndexed, gemmOnPanels, MAX_PANEL_DEPTH, panelARegion, panelOffset, panelSize } from '../gemm/gemm.ts';
import { NR } from '../gemm/pack.ts';
import { ShapeCache } from '../shape-cache.ts';
import {
  cachedOutputOffsets, cachedTileOffsets, cropInput, dense, extendInput, panelColumnsAsRows, type WinogradGeometry, type WinogradSaved,
} from './geometry.ts';
import { weightGradient } from './kernel-transform.ts';
import { winogradMatrices } from './matrices.ts';
import { columnBias } from './plain.ts';
import { assertHeld, winogradBuffer } from './workspace.ts';

/** Whether winogradForwardPanels can run this geometry (see the file header). */
export function winogradPanelsApply(wg: WinogradGeometry): boolean {
  const { T, OH, OW, m, C, alpha, OC } = wg;
  return T % NR === 0 && OH % m === 0 && OW % m === 0 && m > 1 && OC * T > 1 && Math.max(C, OC, alpha) <= MAX_PANEL_DEPTH;
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
  const R = winogradBuffer('inputRows', aR + alpha * sR);
  gemmIndexed(alpha, alpha * CT, alpha, dense(BT, alpha, false), { data: extendInput(x, wg), ...cachedTileOffsets(wg) }, 0, { data: R, rowOffset: tb.rRows, colOffset: tb.rCols });
  // in-cols: V_ξ = (Bᵀ·d·B)[ξ]
  const vSize = aV + alpha * alpha * sV;
  const V = keep ? pooledArray(Float64Array, vSize) : winogradBuffer('inputTilesNoGrad', vSize);
  assertHeld('inputRows');
  for (let i = 0; i < alpha; i++) {
    gemmOnPanels(alpha, CT, alpha, dense(BT, alpha, false), R, aR + i * sR, 0, { data: V, rowOffset: tb.vRows.subarray(i * alpha, (i + 1) * alpha), colOffset: tb.vCols });
  }
  // element-wise: M[ξ] = U[ξ]·V_ξ, summed over channels
  const M = winogradBuffer('products', aM + panelSize(alpha, alpha * OT));
  for (let xi = 0; xi < alpha * alpha; xi++) {
    gemmOnPanels(OC, T, C, dense(U.subarray(xi * OC * C), C, false), V, aV + xi * sV, 0, { data: M, rowOffset: tb.mRows.subarray(xi * OC, (xi + 1) * OC), colOffset: tb.mCols });
  }
  // out-rows: Aᵀ along i
  const H = winogradBuffer('outputRows', aH + m * sH);
  assertHeld('products');
  gemmOnPanels(m, alpha * OT, alpha, dense(AT, alpha, false), M, aM, 0, { data: H, rowOffset: tb.hRows, colOffset: tb.hCols });
  // out-cols: Aᵀ along j, each output row a of the tiles straight into y with the bias
  const { rowOffset, colOffset } = cachedOutputOffsets(wg);
  const add = bias === null ? undefined : { cols: columnBias(bias, OC, T) };
  assertHeld('outputRows');
  for (let a = 0; a < m; a++) {
    gemmOnPanels(m, OT, alpha, dense(AT, alpha, false), H, aH + a * sH, 0, { data: y, rowOffset: rowOffset.subarray(a * m, (a + 1) * m), colOffset }, add);
  }
  return { wg, mat, U, V, vPanels: { base: aV, stride: sV } };
}

/**
 * The backward chain: winogradBackward's stages (dM = A·dY·Aᵀ, dV_ξ = U[ξ]ᵀ·dM_ξ, dd = B·dV·Bᵀ),
 * each storing its result into the next one's panels, the first reading dy through offsets:
 *
 *   stage    its product                                       stored as the next stage's op(B)
 *   dy-rows  D[a, (j,oc,t)] = Σ_b A[j,b]·dy[n,oc,th·m+a,tw·m+b]  D = [m (a), α·OC·T]    (dy-cols)
 *   dy-cols  dM[(i,j), (oc,t)] = Σ_a A[i,a]·D[a, (j,oc,t)]      dM_ξ = [OC, T]          (∂V, one per ξ; ∂U reads it too)
 *   ∂V       dV[(i,j), (c,t)] = Σ_oc U[ξ,oc,c]·dM_ξ[oc, t]      dV_i = [α (j), C·T]     (∂d-rows, one per i)
 *   ∂d-rows  E[w, (i,c,t)] = Σ_j B[w,j]·dV_i[j, (c,t)]           E = [α (i), α·C·T]      (∂d-cols)
 *   ∂d-cols  dx[n,c,th·m+k,tw·m+w] += Σ_i B[k,i]·E[i, (w,c,t)]    (through the tile offsets, as col2im)
 *
 * Same results as winogradBackward bit for bit, under winogradPanelsApply(saved.wg).
 * @param dy [N, OC, OH, OW]   @param dx [N, C, H, W] zeroed, or null   @param dWeight [OC, C, r, r] zeroed, or null
 */
export function winogradBackwardPanels(dy: FloatArray, saved: WinogradSaved, dx: FloatArray | null, dWeight: FloatArray | null): void {
  const { wg, mat, U } = saved;
  if (!winogradPanelsApply(wg)) throw new RangeError(`winogradBackwardPanels: needs T a multiple of ${NR} and whole tiles, got T = ${wg.T}, ${wg.OH}×${wg.OW} outputs in ${wg.m}×${wg.m} tiles`);
  const { N, C, OC, m, alpha, T, HP, WP } = wg;
  const { AT, BT } = mat;
  const CT = C * T;
  const OT = OC * T;
  const L = backwardLayout(wg);
  const tb = backwardTablesCache.get(`${N},${C},${OC},${wg.H},${wg.W},${wg.pad},${m},${wg.r}`, () => makeBackwardTables(wg));
  // dy-rows: A·dy along b, dy read in place through the output offsets
  const D = winogradBuffer('dOutputRows', L.aD + panelSize(m, alpha * OT));
  const out = cachedOutputOffsets(wg);
  for (let a = 0; a < m; a++) {
    const dyRows = { data: dy, rowOffset: out.rowOffset.subarray(a * m, (a + 1) * m), colOffset: out.colOffset }; // [m (b), OC·T]
    gemmIndexed(alpha, OT, m, dense(AT, alpha, true), dyRows, 0, { data: D, rowOffset: tb.dRows.subarray(a * alpha, (a + 1) * alpha), colOffset: tb.dCols });
  }
  // dy-cols: dM = A·dY·Aᵀ
  const dM = winogradBuffer('dProducts', L.aM + alpha * alpha * L.sM);
  assertHeld('dOutputRows');
  gemmOnPanels(alpha, alpha * OT, m, dense(AT, alpha, true), D, L.aD, 0, { data: dM, rowOffset: tb.mRows, colOffset: tb.mCols });
  if (dWeight !== null) {
    const asA = panelColumnsAsRows(T, OC); // dM_ξ [OC, T] read from its panels
    const dMAt = { rowOffset: asA.colOffset, colOffset: asA.rowOffset };
    weightGradient((xi) => ({ data: dM.subarray(L.aM + xi * L.sM), ...dMAt }), saved, dWeight);
  }
  if (dx === null) return;
  // ∂V: dV_ξ = U[ξ]ᵀ·dM_ξ
  const dV = winogradBuffer('dInputTiles', L.aV + alpha * L.sV);
  assertHeld('dProducts');
  for (let xi = 0; xi < alpha * alpha; xi++) {
    gemmOnPanels(C, T, OC, dense(U.subarray(xi * OC * C), C, true), dM, L.aM + xi * L.sM, 0, { data: dV, rowOffset: tb.vRows.subarray(xi * C, (xi + 1) * C), colOffset: tb.vCols });
  }
  // ∂d-rows: B along j
  const E = winogradBuffer('dInputRows', L.aE + panelSize(alpha, alpha * CT));
  assertHeld('dInputTiles');
  for (let i = 0; i < alpha; i++) {
    gemmOnPanels(alpha, CT, alpha, dense(BT, alpha, true), dV, L.aV + i * L.sV, 0, { data: E, rowOffset: tb.eRows.subarray(i * alpha, (i + 1) * alpha), colOffset: tb.eCols });
  }
  // ∂d-cols: B along i, overlapping tiles added up in float64 (a float32 dx is rounded once)
  const dxs = winogradBuffer('dExtendedInput', N * C * HP * WP); // [N, C, HP, WP]
  assertHeld('dInputRows');
  dxs.fill(0, 0, N * C * HP * WP);
  gemmOnPanels(alpha, alpha * CT, alpha, dense(BT, alpha, true), E, L.aE, 1, { data: dxs, ...cachedTileOffsets(wg) });
  cropInput(dxs, dx, wg);
}

/** The backward buffers: op(A) region, then one op(B) of `s·` elements per row of the previous stage. */
function backwardLayout(wg: WinogradGeometry): { aD: number; aM: number; sM: number; aV: number; sV: number; aE: number } {
  const { C, OC, m, alpha, T } = wg;
  return {
    aD: panelARegion(alpha, m), // D: [m, α·OC·T]
    aM: panelARegion(C, OC), sM: panelSize(OC, T), // dM_ξ: [OC, T]
    aV: panelARegion(alpha, alpha), sV: panelSize(alpha, C * T), // dV_i: [α, C·T]
    aE: panelARegion(alpha, alpha), // E: [α, α·C·T]
  };
}

/** Where each backward stage stores its result (see winogradBackwardPanels). */
interface BackwardTables {
  /** dy-rows: [m, α] (a, j) and [OC·T] into D */
  dRows: Int32Array; dCols: Int32Array;
  /** dy-cols: [α] (i) and [α·OC·T] (j, oc, t) into dM */
  mRows: Int32Array; mCols: Int32Array;
  /** ∂V: [α², C] (ξ, c) and [T] into dV */
  vRows: Int32Array; vCols: Int32Array;
  /** ∂d-rows: [α, α] (i, w) and [C·T] into E */
  eRows: Int32Array; eCols: Int32Array;
}

function makeBackwardTables(wg: WinogradGeometry): BackwardTables {
  const { C, OC, m, alpha, T } = wg;
  const { aD, aM, sM, aV, sV, aE } = backwardLayout(wg);
  const CT = C * T;
  const OT = OC * T;
  // D[a, j·OT + q]: OT is a multiple of NR, so the panel splits into j's part and q's
  const dRows = new Int32Array(m * alpha);
  for (let a = 0, k = 0; a < m; a++) for (let j = 0; j < alpha; j++, k++) dRows[k] = aD + panelOffset(a, j * OT, m);
  const dCols = Int32Array.from({ length: OT }, (_, q) => panelOffset(0, q, m));
  const mRows = Int32Array.from({ length: alpha }, (_, i) => aM + i * alpha * sM);
  const mCols = new Int32Array(alpha * OT); // column (j, oc, t) of dy-cols is element (oc, t) of dM_(i,j)
  for (let j = 0, k = 0; j < alpha; j++) for (let q = 0; q < OT; q++, k++) mCols[k] = j * sM + panelOffset(Math.floor(q / T), q % T, OC);
  // dV_i[j, c·T + t]: T is a multiple of NR
  const vRows = new Int32Array(alpha * alpha * C);
  for (let i = 0, k = 0; i < alpha; i++) for (let j = 0; j < alpha; j++) for (let c = 0; c < C; c++, k++) vRows[k] = aV + i * sV + panelOffset(j, c * T, alpha);
  const vCols = Int32Array.from({ length: T }, (_, t) => panelOffset(0, t, alpha));
  // E[i, w·CT + ct]: CT is a multiple of NR
  const eRows = new Int32Array(alpha * alpha);
  for (let i = 0, k = 0; i < alpha; i++) for (let w = 0; w < alpha; w++, k++) eRows[k] = aE + panelOffset(i, w * CT, alpha);
  const eCols = Int32Array.from({ length: CT }, (_, ct) => panelOffset(0, ct, alpha));
  return { dRows, dCols, mRows, mCols, vRows, vCols, eRows, eCols };
}

const backwardTablesCache = new ShapeCache<BackwardTables>();
