/**
 * The blocked GEMM loop nest and its micro-kernel: the hot loop of every layer (gemm.ts is the
 * entry; it speeds up kernels/reference/gemm.ts, which a first reader reads instead).
 *
 * Algorithm (Goto / BLIS loop nest, scalar edition):
 *
 *   for each column block  j0 .. j0+nc   (nc ≤ NC)
 *     for each depth block k0 .. k0+kc   (kc ≤ KC)     β applies on the first depth block only, 1 after
 *       pack op(B)[k0:k0+kc, j0:j0+nc] → B panels: ⌈nc/NR⌉ panels, each kc×NR, k-major:
 *           P[jp·kc·NR + p·NR + c] = op(B)[k0+p, j0+jp·NR+c]     (zero past column nc)
 *       for each row block i0 .. i0+mc   (mc ≤ MC)
 *         pack op(A)[i0:i0+mc, k0:k0+kc] → A panels: ⌈mc/MR⌉ panels, each kc×MR, k-major:
 *           P[aBase + ip·kc·MR + p·MR + r] = op(A)[i0+ip·MR+r, k0+p]     (zero past row mc)
 *         for each B panel jp, for each A panel ip:
 *           C[MR×NR tile] (+)= Σ_p A panel[ip, p, 0:MR] ⊗ B panel[jp, p, 0:NR]     (micro-kernel)
 *
 * Why this shape (the measurements behind each choice are in docs/performance.md):
 * - Transposes are handled once, at pack time (pack.ts), so one micro-kernel serves
 *   NN, NT, TN and TT, and it reads both panels with unit stride. The same holds for gathered
 *   operands (gemmIndexed): an im2col matrix is packed straight from the image, never stored.
 * - Panels are Float64 whatever the input dtype: the kernel sees one array type (V8 keeps it
 *   monomorphic), float32 inputs are widened once per element instead of once per use, and float32
 *   results are accumulated in double precision (more accurate than the naive float32 loop).
 * - V8 has no SIMD and no FMA, so the speed comes from the register tile: MR·NR scalar `let`
 *   accumulators in XMM registers; every k step loads MR + NR values and does MR·NR multiply-adds.
 *   In V8's machine code a typed-array load is about six instructions (index arithmetic, sign
 *   extension, bounds check, base pointer, load), so the kernel is bound by instruction throughput,
 *   not by the FPU, and three things pay:
 *   · both packed panels live in ONE Float64Array: one map check, one length and one base pointer
 *     per k step instead of two, which frees general-purpose registers;
 *   · every index is `(i + c) | 0`: the truncation lets TurboFan drop the int32 overflow check;
 *   · a tile small enough that accumulators, MR a-values and NR b-values (17 doubles for 2×5)
 *     barely exceed the 16 XMM registers, so almost nothing spills to the stack.
 *   Of the tiles tried (bench/tiles.ts), 2×5 is the fastest kernel alone. And 2×5 tiles the
 *   LeNet exactly: M ∈ {10, 20, 50, 500, 800} is even and N ∈ {25, 100, 500, 800, 1600, 14400}
 *   a multiple of 5, so almost no edge tile is computed.
 * - KC·NR·8 bytes of B panel (10 KiB) stay in L1 while every A panel of the block streams past
 *   it; the MC×KC A block (240 KiB) stays in L2; the KC×NC B block in L3.
 * - Tiles that stick out of C (mr < MR or nr < NR) are computed whole over the zero-padded panels
 *   into a scratch tile (microKernelEdge), and only the valid part is copied, so the hot kernel's
 *   stores stay unconditional.
 * - N = 1 and M = 1 are matrix-vector products: padding them to a tile would waste most of the
 *   work, so they take a plain GEMV loop instead.
 * - The packing buffer lives at module level and grows on demand: no allocation per call once warm.
 *
 * One file because the loop nest, the micro-kernel and its constants are one unit: the tile sizes
 * must be this module's own literals (see MR below), and the kernel is written out by hand; the
 * file is about 200 lines of code because the micro-kernel's 2×5 tile is spelled out.
 */
import type { FloatArray } from '../../tensor/tensor.ts';
import { MR as PACK_MR, NR as PACK_NR, type PackA, type PackB } from './pack.ts';

/**
 * The register tile again, as this module's own literals: TurboFan folds a module's own `const`
 * into the kernel's index arithmetic but loads an imported binding on every use, which slows the
 * micro-kernel markedly (docs/performance.md).
 */
const MR = 2;
const NR = 5;
if (MR !== PACK_MR || NR !== PACK_NR) throw new Error(`gemm: tile ${MR}×${NR} differs from the packing's ${PACK_MR}×${PACK_NR}`);

/** Depth block: a KC×NR B panel stays in L1. */
const KC = 256;
/** Row block: an MC×KC A block stays in L2 (a multiple of MR). */
const MC = 120;
/** Column block: a KC×NC B block stays in L3 (a multiple of NR). */
const NC = 2000;
/** KC and MC for the other modules of the GEMM (exported under other names: the kernel reads its own literals). */
export const DEPTH_BLOCK = KC;
export const ROW_BLOCK = MC;

/** Both packed blocks: B panels [⌈nc/NR⌉, kc, NR] from 0, A panels [⌈mc/MR⌉, kc, MR] from aBase. */
let pack = new Float64Array((MC + NR * 8) * KC);
/** Scratch tile for edge tiles, [MR, NR], and where its rows start. */
const tile = new Float64Array(MR * NR);
const TILE_ROWS = Int32Array.from({ length: MR }, (_, r) => r * NR);
/** Column offsets of a dense C block: C[r + IDENTITY[c]] = C[r + c]. */
const IDENTITY = Int32Array.from({ length: NC }, (_, c) => c);

/**
 * The blocked loop nest of the file header, for M, N, K ≥ 1; A and B arrive through their packers.
 * C is dense (C[i·ldc + j], scatter null) or gathered (C[scatter.rowOffset[i] + scatter.colOffset[j]]).
 * addCols non-null (β = 0): the first depth block stores s + (addRows[i] + addCols[j]), addRows
 * null counting as zeros (see gemmIndexed).
 */
export function gemmPacked(
  M: number, N: number, K: number, packA: PackA, packB: PackB | null,
  beta: number, C: FloatArray, ldc: number, scatter: { rowOffset: Int32Array; colOffset: Int32Array } | null,
  addRows: FloatArray | null, addCols: Float64Array | null, panels: { W: Float64Array; bBase: number } | null = null,
): void {
  // depth blocks of equal size (K = 800 → 2 × 400, not 512 + 288): no short block pays the
  // per-tile costs (stores, scatter) for little work
  const kcMax = Math.ceil(K / Math.ceil(K / KC));
  let P: Float64Array;
  let aBase: number;
  if (panels === null) {
    aBase = Math.min(NC, roundUp(N, NR)) * kcMax; // B panels first, then A panels
    const need = aBase + Math.min(MC, roundUp(M, MR)) * kcMax;
    if (pack.length < need) pack = new Float64Array(need);
    P = pack;
  } else {
    P = panels.W; // A panels at the start, B panels (all of them, K ≤ KC) from bBase
    aBase = 0;
  }
  for (let j0 = 0; j0 < N; j0 += NC) {
    const nc = Math.min(NC, N - j0);
    for (let k0 = 0; k0 < K; k0 += kcMax) {
      const kc = Math.min(kcMax, K - k0);
      const b = k0 === 0 ? beta : 1; // later depth blocks add to what the first one wrote
      if (packB !== null) packB(k0, kc, j0, nc, P);
      const bStart = panels === null ? 0 : panels.bBase + j0 * kc; // seek to the block's first B panel
      for (let i0 = 0; i0 < M; i0 += MC) {
        const mc = Math.min(MC, M - i0);
        packA(i0, mc, k0, kc, P, aBase);
        // where each row of the block starts in C, and the columns' offsets from there: C[rowAt[ir] + cols[j + c]]
        const rowAt = rowStarts;
        for (let ir = 0; ir < mc; ir++) rowAt[ir] = scatter === null ? (i0 + ir) * ldc + j0 : scatter.rowOffset[i0 + ir];
        const cols = scatter === null ? IDENTITY : scatter.colOffset;
        const jBase = scatter === null ? 0 : j0;
        // the addend, on the first depth block only: per block row, and per column of C
        const eRow = k0 === 0 && addCols !== null ? rowAddend : null;
        if (eRow !== null) for (let ir = 0; ir < mc; ir++) eRow[ir] = addRows === null ? 0 : addRows[i0 + ir];
        const eCol = eRow === null ? null : addCols;
        const mFull = mc - (mc % MR); // rows in full MR-row panels
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          const bOff = bStart + jr * kc; // seek to B panel jr/NR: kc rows of NR
          if (nr === NR) microPanel(kc, P, aBase, mFull, bOff, b, C, rowAt, cols, jBase + jr, eRow, eCol, j0 + jr);
          // the tiles that stick out of C: a short last row panel, or every row panel of a short last column panel
          for (let ir = nr === NR ? mFull : 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            const aOff = aBase + ir * kc; // seek to A panel ir/MR: kc rows of MR
            microKernelEdge(kc, P, aOff, bOff, b, C, rowAt, ir, cols, jBase + jr, mr, nr, eRow, eCol, j0 + jr);
          }
        }
      }
    }
  }
}

/** Row starts in C of the current row block, [MC]. */
const rowStarts = new Int32Array(MC);
/** The row addend of the current row block, [MC]. */
const rowAddend = new Float64Array(MC);

/**
 * The hot loop: one B panel against the first `rows` rows of the A block (a multiple of MR). For
 * each A panel ir/MR in turn, the MR×NR tile Σ_p a[p] ⊗ b[p], a[p] = P[aBase + ir·kc + p·MR : +MR],
 * b[p] = P[bOff + p·NR : +NR], goes to C[rowAt[ir + r] + cols[j + c]] for r < MR, c < NR:
 * C ← tile + β·C. A dense C passes its row starts and the identity for cols; a scattered C
 * (gemmIndexed) passes its own offsets and β = 1, so col2im-like additions happen straight from
 * the registers. With eRow (β = 0 and an addend, gemmIndexed) the store is tile + (eRow[ir + r] +
 * eCol[je + c]) instead. Always full tiles; edges go elsewhere. Every index is `| 0` so that TurboFan
 * emits plain int32 adds (see the file header). The loop over A panels lives here, not in
 * gemmPacked, so that a GEMM of small depth (the Winograd transforms: kc = 8–12, a tile of 120
 * multiply-adds) does not pay a function call and its arguments per tile.
 */
function microPanel(
  kc: number, P: Float64Array, aBase: number, rows: number, bOff: number,
  beta: number, C: FloatArray, rowAt: Int32Array, cols: Int32Array, j: number,
  eRow: Float64Array | null, eCol: Float64Array | null, je: number,
): void {
  const o0 = cols[j], o1 = cols[j + 1], o2 = cols[j + 2], o3 = cols[j + 3], o4 = cols[j + 4];
  for (let ir = 0; ir < rows; ir += MR) {
    let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0;
    let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0;
    let ai = (aBase + ir * kc) | 0;
    let bi = bOff;
    const aEnd = ai + kc * MR;
    while (ai < aEnd) {
      const a0 = P[ai], a1 = P[(ai + 1) | 0];
      const b0 = P[bi], b1 = P[(bi + 1) | 0], b2 = P[(bi + 2) | 0], b3 = P[(bi + 3) | 0], b4 = P[(bi + 4) | 0];
      c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4;
      c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4;
      ai = (ai + MR) | 0;
      bi = (bi + NR) | 0;
    }
    const r0 = rowAt[ir], r1 = rowAt[ir + 1];
    if (eRow !== null) {
      // β = 0 plus the addend (gemmIndexed): s + (row value + column value)
      const e0 = eRow[ir], e1 = eRow[ir + 1];
      const f0 = eCol![je], f1 = eCol![je + 1], f2 = eCol![je + 2], f3 = eCol![je + 3], f4 = eCol![je + 4];
      C[r0 + o0] = c00 + (e0 + f0); C[r0 + o1] = c01 + (e0 + f1); C[r0 + o2] = c02 + (e0 + f2); C[r0 + o3] = c03 + (e0 + f3); C[r0 + o4] = c04 + (e0 + f4);
      C[r1 + o0] = c10 + (e1 + f0); C[r1 + o1] = c11 + (e1 + f1); C[r1 + o2] = c12 + (e1 + f2); C[r1 + o3] = c13 + (e1 + f3); C[r1 + o4] = c14 + (e1 + f4);
    } else if (beta === 0) {
      C[r0 + o0] = c00; C[r0 + o1] = c01; C[r0 + o2] = c02; C[r0 + o3] = c03; C[r0 + o4] = c04;
      C[r1 + o0] = c10; C[r1 + o1] = c11; C[r1 + o2] = c12; C[r1 + o3] = c13; C[r1 + o4] = c14;
    } else {
      C[r0 + o0] = c00 + beta * C[r0 + o0];
      C[r0 + o1] = c01 + beta * C[r0 + o1];
      C[r0 + o2] = c02 + beta * C[r0 + o2];
      C[r0 + o3] = c03 + beta * C[r0 + o3];
      C[r0 + o4] = c04 + beta * C[r0 + o4];
      C[r1 + o0] = c10 + beta * C[r1 + o0];
      C[r1 + o1] = c11 + beta * C[r1 + o1];
      C[r1 + o2] = c12 + beta * C[r1 + o2];
      C[r1 + o3] = c13 + beta * C[r1 + o3];
      C[r1 + o4] = c14 + beta * C[r1 + o4];
    }
  }
}

export function roundUp(x: number, m: number): number {
  return Math.ceil(x / m) * m;
}


/**
 * An edge tile (mr ≤ MR rows, nr ≤ NR columns): the micro-kernel computes the full MR×NR product
 * over the zero-padded panels into the scratch tile, of which only mr×nr goes to C, addressed as
 * in microPanel. With 2×5 tiles the LeNet has almost no edges (only M = 25 leaves one row).
 */
function microKernelEdge(
  kc: number, P: Float64Array, aOff: number, bOff: number,
  beta: number, C: FloatArray, rowAt: Int32Array, ir: number, cols: Int32Array, j: number, mr: number, nr: number,
  eRow: Float64Array | null, eCol: Float64Array | null, je: number,
): void {
  const T = tile;
  microPanel(kc, P, aOff, MR, bOff, 0, T, TILE_ROWS, IDENTITY, 0, null, null, 0);
  for (let r = 0; r < mr; r++) {
    const row = rowAt[ir + r];
    for (let c = 0; c < nr; c++) {
      const o = row + cols[j + c];
      const s = T[r * NR + c];
      C[o] = eRow !== null ? s + (eRow[ir + r] + eCol![je + c]) : beta === 0 ? s : s + beta * C[o];
    }
  }
}
