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
 * The algorithm, and why it has its shape, are in blocked.ts (the loop nest and the micro-kernel);
 * the matrix–vector cases in gemv.ts; the packing of operands in pack.ts.
 */
import type { FloatArray } from '../../tensor/tensor.ts';
import { DEPTH_BLOCK as KC, gemmPacked, ROW_BLOCK as MC, roundUp } from './blocked.ts';
import { gemv, oneColumn, scaleC } from './gemv.ts';
import { MR, NR, packerA, packerB, type MatrixRef } from './pack.ts';

export type { MatrixRef } from './pack.ts';

/** The deepest op(B) gemmOnPanels takes (one depth block). */
export const MAX_PANEL_DEPTH = KC;

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
