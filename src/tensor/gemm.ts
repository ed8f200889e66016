/**
 * GEMM used by every layer: C[M×N] ← op(A)[M×K] · op(B)[K×N] + β·C (row-major, BLAS argument
 * order). Same contract as gemmNaive in gemm-naive.ts, which stays as the reference.
 */
import { gemmNaive } from './gemm-naive.ts';
import type { FloatArray } from './tensor.ts';

export function gemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  A: FloatArray, lda: number, B: FloatArray, ldb: number,
  beta: number, C: FloatArray, ldc: number,
): void {
  gemmNaive(transA, transB, M, N, K, A, lda, B, ldb, beta, C, ldc);
}
