/**
 * The GEMM's matrix–vector cases (gemm.ts is the entry; kernels/reference/gemm.ts is the readable
 * reference): gemv for gemm's N = 1 and M = 1, where padding a vector to a register tile would waste
 * most of the work, and oneColumn for gemmIndexed's N = 1, which must give the packed kernel's
 * sums exactly.
 */
import type { FloatArray } from '../../tensor/tensor.ts';
import { DEPTH_BLOCK as KC } from './blocked.ts';
import { NR as PACK_NR, type MatrixRef, type PackB } from './pack.ts';

/** Lanes of a B panel, as this module's own literal (a constant TurboFan can fold; see blocked.ts). */
const NR = 5;
if (NR !== PACK_NR) throw new Error(`gemv: panel width ${NR} differs from the packing's ${PACK_NR}`);

/** The packed column of oneColumn, [K, NR], grown on demand. */
let column = new Float64Array(KC * NR);
/** Scratch accumulator for the transposed GEMV and oneColumn, grown on demand. */
let gemvAcc = new Float64Array(64);

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
export function oneColumn(M: number, K: number, A: MatrixRef, packB: PackB, beta: number, C: MatrixRef, addRows: Float64Array | null, addCols: Float64Array | null): void {
  const kcMax = Math.ceil(K / Math.ceil(K / KC)); // gemmPacked's depth blocks
  if (column.length < K * NR) column = new Float64Array(K * NR);
  const x = column;
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

/**
 * y[i·incy] ← Σ_k op(X)[i,k] · x[k·incx] + β·y[i·incy] for i < rows, k < K, where
 * op(X)[i,k] = trans ? X[k·ldx + i] : X[i·ldx + k]. Used when one side of the GEMM is a vector.
 */
export function gemv(
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
export function scaleC(M: number, N: number, beta: number, C: FloatArray, ldc: number): void {
  for (let i = 0; i < M; i++) {
    const cRow = i * ldc; // seek to C[i, 0]
    for (let j = 0; j < N; j++) C[cRow + j] = beta === 0 ? 0 : beta * C[cRow + j];
  }
}
