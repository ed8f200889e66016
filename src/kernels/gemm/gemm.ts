/**
 * The fast GEMM used by every layer. It speeds up kernels/reference/gemm.ts (gemmNaive, the
 * textbook triple loop with the same contract, which a first reader reads instead):
 *
 *   C[M×N] ← op(A)[M×K] · op(B)[K×N] + β·C,   row-major, BLAS argument order,
 *   op(A)[i,k] = transA ? A[k·lda + i] : A[i·lda + k],   op(B)[k,j] = transB ? B[j·ldb + k] : B[k·ldb + j]
 *   β = 0 overwrites C without reading it (NaN or garbage in C does not leak into the result).
 *
 * Sizes: M, N, K the problem; MR×NR = 2×5 the register tile; KC = 256, MC = 120, NC = 2000 the
 * cache blocks (K, M and N are cut into blocks of at most this size).
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
 *   Of the tiles tried (bench/tiles.ts), 2×5 is the fastest kernel alone. And 2×5 tiles the LeNet exactly: M ∈ {10, 20, 50, 500, 800} is even and N ∈ {25, 100, 500,
 *   800, 1600, 14400} a multiple of 5, so almost no edge tile is computed.
 * - KC·NR·8 bytes of B panel (10 KiB) stay in L1 while every A panel of the block streams past
 *   it; the MC×KC A block (240 KiB) stays in L2; the KC×NC B block in L3.
 * - Tiles that stick out of C (mr < MR or nr < NR) are computed whole over the zero-padded panels
 *   into a scratch tile (microKernelEdge), and only the valid part is copied, so the hot kernel's
 *   stores stay unconditional.
 * - N = 1 and M = 1 are matrix-vector products: padding them to a tile would waste most of the
 *   work, so they take a plain GEMV loop instead.
 * - The packing buffer lives at module level and grows on demand: no allocation per call once warm.
 */
import { MR as PACK_MR, NR as PACK_NR, packerA, packerB, type MatrixRef, type PackA, type PackB } from './pack.ts';
import type { FloatArray } from '../../tensor/tensor.ts';

export type { MatrixRef } from './pack.ts';

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
/** The deepest op(B) gemmOnPanels takes (one depth block). */
export const MAX_PANEL_DEPTH = KC;
/** Row block: an MC×KC A block stays in L2 (a multiple of MR). */
const MC = 120;
/** Column block: a KC×NC B block stays in L3 (a multiple of NR). */
const NC = 2000;

/** Both packed blocks: B panels [⌈nc/NR⌉, kc, NR] from 0, A panels [⌈mc/MR⌉, kc, MR] from aBase. */
let pack = new Float64Array((MC + NR * 8) * KC);
/** Scratch tile for edge tiles, [MR, NR], and where its rows start. */
const tile = new Float64Array(MR * NR);
const TILE_ROWS = Int32Array.from({ length: MR }, (_, r) => r * NR);
/** Column offsets of a dense C block: C[r + IDENTITY[c]] = C[r + c]. */
const IDENTITY = Int32Array.from({ length: NC }, (_, c) => c);
/** Scratch accumulator for the transposed GEMV, grown on demand. */
let gemvAcc = new Float64Array(64);

/**
 * C ← op(A)·op(B) + β·C, row-major (see the file header for the algorithm).
 * @param transA use Aᵀ: A is stored [K, M] with row stride lda; else [M, K]
 * @param transB use Bᵀ: B is stored [N, K] with row stride ldb; else [K, N]
 * @param M rows of op(A) and C
 * @param N columns of op(B) and C
 * @param K columns of op(A), rows of op(B)
 * @param A [M, K] or [K, M] (transA), row stride lda
 * @param B [K, N] or [N, K] (transB), row stride ldb
 * @param beta scale of C's old contents; 0 ignores them entirely (NaN included)
 * @param C [M, N], row stride ldc, overwritten
 */
export function gemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  A: FloatArray, lda: number, B: FloatArray, ldb: number,
  beta: number, C: FloatArray, ldc: number,
): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    scaleC(M, N, beta, C, ldc);
    return;
  }
  if (N === 1) {
    // C[:, 0] = op(A) · op(B)[:, 0]; op(B)[k, 0] sits at B[k·ldb] (or B[k] when transposed)
    gemv(transA, M, K, A, lda, B, transB ? 1 : ldb, beta, C, ldc);
    return;
  }
  if (M === 1) {
    // C[0, :] = op(B)ᵀ · op(A)[0, :]; op(B)ᵀ[j, k] is B[j·ldb + k] when transB, so the matrix is
    // "not transposed" exactly when transB; op(A)[0, k] sits at A[k] (or A[k·lda] when transposed)
    gemv(!transB, N, K, B, ldb, A, transA ? lda : 1, beta, C, 1);
    return;
  }
  gemmPacked(M, N, K, packerA({ data: A, ld: lda, trans: transA }), packerB({ data: B, ld: ldb, trans: transB }), beta, C, ldc, null, null, null);
}

/**
 * The same product over operands that may be gathered (m[i, j] = data[rowOffset[i] + colOffset[j]],
 * see MatrixRef), so that a convolution needs neither an im2col buffer nor NCHW ↔ [C, N·H·W]
 * regrouping copies:
 *
 *   C dense (trans false):  C ← op(A)·op(B) + β·C
 *   C gathered, β = 1:      C.data[rowOffset[i] + colOffset[j]] += (op(A)·op(B))[i, j]   (several
 *                           (i, j) may share a cell, as in col2im: they add up)
 *   C gathered, β = 0:      C.data[rowOffset[i] + colOffset[j]] = (op(A)·op(B))[i, j]   (every (i, j)
 *                           must then have a cell of its own: the caller's tables promise it)
 *
 * With β = 0, `add` puts a bias into the same stores: C[i, j] ← (op(A)·op(B))[i, j] + (rows[i] + cols[j])
 * (a missing side counts as 0), which is what filling C with the bias and accumulating (β = 1) gave,
 * bit for bit: the product's float64 sum s is never −0 (it starts at +0, and x + (−x) = +0), so
 * s + (b + 0) = s + b = b + s whichever side b is on; the fill pass and the reads of C are saved.
 *
 * Gathered offsets are checked to stay inside their arrays, so a wrong table throws instead of
 * reading `undefined`.
 * @param A op(A), [M, K]   @param B op(B), [K, N]   @param C [M, N]
 * @param add a value per row of C ([M]) and/or per column ([N]), added to the product (β = 0 only)
 */
export function gemmIndexed(M: number, N: number, K: number, A: MatrixRef, B: MatrixRef, beta: number, C: MatrixRef, add?: Addend): void {
  checkRef('A', A, M, K);
  checkRef('B', B, K, N);
  const { gathered, ldc, addend } = checkStore('gemmIndexed', M, N, beta, C, add);
  if (M <= 0 || N <= 0 || K <= 0) {
    if (M > 0 && N > 0 && addend !== null) emptyProductPlusAddend(M, N, C, addend);
    else if (M > 0 && N > 0 && gathered === null) scaleC(M, N, beta, C.data, ldc);
    return;
  }
  const addCols = addend === null ? null : addendSide(addend.cols, N, 0);
  if (N === 1) {
    oneColumn(M, K, A, packerB(B), beta, C, addend === null ? null : addendSide(addend.rows, M, 1), addCols);
    return;
  }
  gemmPacked(M, N, K, packerA(A), packerB(B), beta, C.data, ldc, gathered, addend?.rows ?? null, addCols);
}

/** A bias added to a product by gemmIndexed: a value per row of C and/or one per column. */
export interface Addend {
  /** [M] */
  rows?: FloatArray;
  /** [N] */
  cols?: FloatArray;
}

/**
 * Checks C [M, N], β and the addend of gemmIndexed or gemmOnPanels (`name`): a gathered C's
 * offsets stay inside its data, a dense C is not transposed, a gathered C is accumulated into
 * (β = 1) or overwritten (β = 0), an addend comes with β = 0 and has M rows / N columns.
 * @returns C's offsets when it is gathered (else null), C's row stride when it is dense (else 0),
 *   and the addend when it has a side (else null)
 */
function checkStore(
  name: string, M: number, N: number, beta: number, C: MatrixRef, add: Addend | undefined,
): { gathered: { rowOffset: Int32Array; colOffset: Int32Array } | null; ldc: number; addend: Addend | null } {
  checkRef('C', C, M, N);
  if (!('rowOffset' in C) && C.trans) throw new RangeError(`${name}: a dense C cannot be transposed`);
  if ('rowOffset' in C && beta !== 1 && beta !== 0) throw new RangeError(`${name}: a gathered C is accumulated into (β = 1) or overwritten (β = 0), got β = ${beta}`);
  const addend = add !== undefined && (add.rows !== undefined || add.cols !== undefined) ? add : null;
  if (addend !== null && beta !== 0) throw new RangeError(`${name}: an addend needs β = 0 (it replaces C's old contents), got β = ${beta}`);
  if (add?.rows !== undefined && add.rows.length < M) throw new RangeError(`${name}: the row addend needs ${M} values, got ${add.rows.length}`);
  if (add?.cols !== undefined && add.cols.length < N) throw new RangeError(`${name}: the column addend needs ${N} values, got ${add.cols.length}`);
  return 'rowOffset' in C ? { gathered: C, ldc: 0, addend } : { gathered: null, ldc: C.ld, addend };
}

/** K = 0 with an addend: the product is empty, so C[i, j] ← 0 + (rows[i] + cols[j]). */
function emptyProductPlusAddend(M: number, N: number, C: MatrixRef, add: Addend): void {
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      const o = 'rowOffset' in C ? C.rowOffset[i] + C.colOffset[j] : i * C.ld + j;
      C.data[o] = 0 + ((add.rows?.[i] ?? 0) + (add.cols?.[j] ?? 0));
    }
}

/** Float64 scratch for the addend's sides (0: columns, 1: rows of a one-column product), grown on demand. */
const addendScratch = [new Float64Array(0), new Float64Array(0)];
/** Zeros for an absent side, grown on demand and never written. */
let addendZeros = new Float64Array(0);

/**
 * An addend side as float64, so that the kernel sees one array type: the caller's array itself
 * when it is one, zeros when it is absent, else its values copied into scratch slot `slot`.
 */
function addendSide(values: FloatArray | undefined, n: number, slot: number): Float64Array {
  if (values instanceof Float64Array) return values;
  if (values === undefined) {
    if (addendZeros.length < n) addendZeros = new Float64Array(n);
    return addendZeros;
  }
  if (addendScratch[slot].length < n) addendScratch[slot] = new Float64Array(n);
  const out = addendScratch[slot];
  for (let i = 0; i < n; i++) out[i] = values[i];
  return out;
}

/**
 * gemmIndexed with op(B) already in panels, so that a chain of products (Winograd's stages,
 * kernels/winograd/panels.ts) can write each result straight into the panels of the next one, through a
 * gathered C (see panelOffset), and never pack it: op(B) [K, N] is the ⌈N/NR⌉ panels [K, NR] in W
 * from bBase, element (k, j) at W[bBase + panelOffset(k, j, K)]; op(A) is packed into
 * W[0 : panelARegion(M, K)], which the caller keeps free. The same panels and kernel as gemmIndexed,
 * so the same sums, bit for bit. K ≤ KC (one depth block); columns past N in the last panel may
 * hold anything (their results are not stored).
 */
export function gemmOnPanels(M: number, N: number, K: number, A: MatrixRef, W: Float64Array, bBase: number, beta: number, C: MatrixRef, add?: Addend): void {
  if (K < 1 || K > KC) throw new RangeError(`gemmOnPanels: the depth must be 1 … ${KC} (one block), got ${K}`);
  if (beta !== 0 && beta !== 1) throw new RangeError(`gemmOnPanels: β must be 0 or 1, got ${beta}`);
  checkRef('A', A, M, K);
  const { gathered, ldc, addend } = checkStore('gemmOnPanels', M, N, beta, C, add);
  if (M <= 0 || N <= 0) return;
  if (panelARegion(M, K) > bBase || bBase + roundUp(N, NR) * K > W.length) {
    throw new RangeError(`gemmOnPanels: the panels need W[${panelARegion(M, K)} …] for A and W[${bBase} … ${bBase + roundUp(N, NR) * K}) for B, in ${W.length} elements`);
  }
  const addCols = addend === null ? null : addendSide(addend.cols, N, 0);
  gemmPacked(M, N, K, packerA(A), null, beta, C.data, ldc, gathered, addend?.rows ?? null, addCols, { W, bBase });
}

/** Where element (k, j) of a K-deep op(B) sits in its panels (gemmOnPanels): panel ⌊j/NR⌋, row k, lane j mod NR. */
export function panelOffset(k: number, j: number, K: number): number {
  return Math.floor(j / NR) * K * NR + k * NR + (j % NR);
}

/** Elements of the panels of a K×N op(B): ⌈N/NR⌉ panels of K·NR. */
export function panelSize(K: number, N: number): number {
  return roundUp(N, NR) * K;
}

/** Elements gemmOnPanels packs op(A) [M, K] into at the start of W. */
export function panelARegion(M: number, K: number): number {
  return roundUp(Math.min(M, MC), MR) * K;
}

/**
 * gemmIndexed with one column (N = 1: one image through a layer whose output is 1×1, or a
 * Winograd stage with one tile): the packed kernel's sums exactly, without its cost. Panels would
 * pack all of A for one column and fill four of the tile's five columns with zeros; here each
 * C[i, 0] is the same float64 sum Σ_p op(A)[i, k0+p]·op(B)[k0+p, 0], p in order, over the same
 * depth blocks, stored the same way (C ← s + β·C, β = 1 after the first block), so a column gets
 * the bits it gets among others (the batch-independence that layers rely on). op(B)'s column is
 * packed as usual (one B panel); op(A) is read in place: along its rows, or, when transposed,
 * row by row of the stored A into float64 accumulators (contiguous reads, the same order per sum).
 */
function oneColumn(M: number, K: number, A: MatrixRef, packB: PackB, beta: number, C: MatrixRef, addRows: Float64Array | null, addCols: Float64Array | null): void {
  const kcMax = Math.ceil(K / Math.ceil(K / KC)); // gemmPacked's depth blocks
  if (pack.length < K * NR) pack = new Float64Array(K * NR);
  const x = pack;
  packB(0, K, 0, 1, x); // x[p·NR] = op(B)[p, 0]
  if (gemvAcc.length < M) gemvAcc = new Float64Array(M);
  const acc = gemvAcc;
  for (let k0 = 0; k0 < K; k0 += kcMax) {
    const kc = Math.min(kcMax, K - k0);
    const b = k0 === 0 ? beta : 1;
    if ('rowOffset' in A) {
      for (let i = 0; i < M; i++) {
        const r = A.rowOffset[i];
        let s = 0;
        for (let p = 0; p < kc; p++) s += A.data[r + A.colOffset[k0 + p]] * x[(k0 + p) * NR];
        acc[i] = s;
      }
    } else if (!A.trans) {
      for (let i = 0; i < M; i++) {
        const r = i * A.ld + k0; // seek to A[i, k0]
        let s = 0;
        for (let p = 0; p < kc; p++) s += A.data[r + p] * x[(k0 + p) * NR];
        acc[i] = s;
      }
    } else {
      // op(A)[i, k] = A[k, i]: walk A's rows; acc[i] still gets its terms one by one in k order
      acc.fill(0, 0, M);
      for (let p = 0; p < kc; p++) {
        const r = (k0 + p) * A.ld; // seek to A[k0+p, 0]
        const xp = x[(k0 + p) * NR];
        for (let i = 0; i < M; i++) acc[i] += A.data[r + i] * xp;
      }
    }
    if (k0 === 0 && addCols !== null) for (let i = 0; i < M; i++) acc[i] += addRows![i] + addCols[0]; // as microPanel's first block
    storeColumn(M, acc, b, C);
  }
}

/** C[i, 0] ← acc[i] + β·C[i, 0] (just acc[i] when β = 0), dense or gathered C, as the micro-kernel stores. */
function storeColumn(M: number, acc: Float64Array, beta: number, C: MatrixRef): void {
  const d = C.data;
  for (let i = 0; i < M; i++) {
    const o = 'rowOffset' in C ? C.rowOffset[i] + C.colOffset[0] : i * C.ld;
    d[o] = beta === 0 ? acc[i] : acc[i] + beta * d[o];
  }
}

/** Throws unless a gathered operand's offsets (rows × cols of them) stay inside its data. */
function checkRef(name: string, m: MatrixRef, rows: number, cols: number): void {
  if (!('rowOffset' in m) || rows <= 0 || cols <= 0) return;
  if (m.rowOffset.length < rows || m.colOffset.length < cols) {
    throw new RangeError(`gemmIndexed: ${name} needs ${rows} row offsets and ${cols} column offsets, got ${m.rowOffset.length} and ${m.colOffset.length}`);
  }
  const [rMin, rMax] = range(m.rowOffset, rows);
  const [cMin, cMax] = range(m.colOffset, cols);
  if (rMin + cMin < 0 || rMax + cMax >= m.data.length) {
    throw new RangeError(`gemmIndexed: ${name}'s offsets reach [${rMin + cMin}] … [${rMax + cMax}], but its data has ${m.data.length} elements`);
  }
}

/** [min, max] of a[0:n], n ≥ 1. */
function range(a: Int32Array, n: number): [number, number] {
  let lo = a[0];
  let hi = a[0];
  for (let i = 1; i < n; i++) {
    const v = a[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * The blocked loop nest of the file header, for M, N, K ≥ 1; A and B arrive through their packers.
 * C is dense (C[i·ldc + j], scatter null) or gathered (C[scatter.rowOffset[i] + scatter.colOffset[j]]).
 * addCols non-null (β = 0): the first depth block stores s + (addRows[i] + addCols[j]), addRows
 * null counting as zeros (see gemmIndexed).
 */
function gemmPacked(
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

function roundUp(x: number, m: number): number {
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

/**
 * y[i·incy] ← Σ_k op(X)[i,k] · x[k·incx] + β·y[i·incy] for i < rows, k < K, where
 * op(X)[i,k] = trans ? X[k·ldx + i] : X[i·ldx + k]. Used when one side of the GEMM is a vector.
 */
function gemv(
  trans: boolean, rows: number, K: number, X: FloatArray, ldx: number,
  x: FloatArray, incx: number, beta: number, y: FloatArray, incy: number,
): void {
  if (!trans) {
    // dot products along contiguous rows of X, four rows at a time so each x[k] is loaded once per four
    let i = 0;
    for (; i + 3 < rows; i += 4) {
      const r0 = i * ldx; // seek to X[i, 0]; rows i+1..i+3 follow at stride ldx
      const r1 = r0 + ldx;
      const r2 = r1 + ldx;
      const r3 = r2 + ldx;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < K; k++) {
        const xk = x[k * incx];
        s0 += X[r0 + k] * xk;
        s1 += X[r1 + k] * xk;
        s2 += X[r2 + k] * xk;
        s3 += X[r3 + k] * xk;
      }
      y[i * incy] = beta === 0 ? s0 : s0 + beta * y[i * incy];
      y[(i + 1) * incy] = beta === 0 ? s1 : s1 + beta * y[(i + 1) * incy];
      y[(i + 2) * incy] = beta === 0 ? s2 : s2 + beta * y[(i + 2) * incy];
      y[(i + 3) * incy] = beta === 0 ? s3 : s3 + beta * y[(i + 3) * incy];
    }
    for (; i < rows; i++) {
      const r0 = i * ldx; // seek to X[i, 0]
      let s = 0;
      for (let k = 0; k < K; k++) s += X[r0 + k] * x[k * incx];
      y[i * incy] = beta === 0 ? s : s + beta * y[i * incy];
    }
    return;
  }
  // transposed: walk X's rows contiguously, four at a time, accumulating all outputs at once in
  // double precision (four rows per pass quarters the loads and stores of the accumulator)
  if (gemvAcc.length < rows) gemvAcc = new Float64Array(rows);
  const acc = gemvAcc;
  acc.fill(0, 0, rows);
  let k = 0;
  for (; k + 3 < K; k += 4) {
    const x0 = x[k * incx];
    const x1 = x[(k + 1) * incx];
    const x2 = x[(k + 2) * incx];
    const x3 = x[(k + 3) * incx];
    const r0 = k * ldx; // seek to X[k, 0]; rows k+1..k+3 follow at stride ldx
    const r1 = r0 + ldx;
    const r2 = r1 + ldx;
    const r3 = r2 + ldx;
    for (let i = 0; i < rows; i++) acc[i] += X[r0 + i] * x0 + X[r1 + i] * x1 + X[r2 + i] * x2 + X[r3 + i] * x3;
  }
  for (; k < K; k++) {
    const xk = x[k * incx];
    const xRow = k * ldx; // seek to X[k, 0]
    for (let i = 0; i < rows; i++) acc[i] += X[xRow + i] * xk;
  }
  for (let i = 0; i < rows; i++) {
    const o = i * incy;
    y[o] = beta === 0 ? acc[i] : acc[i] + beta * y[o];
  }
}

/** K = 0: the product is empty, so C ← β·C (and β = 0 writes zeros without reading C). */
function scaleC(M: number, N: number, beta: number, C: FloatArray, ldc: number): void {
  for (let i = 0; i < M; i++) {
    const cRow = i * ldc; // seek to C[i, 0]
    for (let j = 0; j < N; j++) C[cRow + j] = beta === 0 ? 0 : beta * C[cRow + j];
  }
}
