/**
 * The reference GEMM: the textbook triple loop, kept on purpose so that the optimised kernel in
 * gemm.ts can be tested and benchmarked against it.
 *
 *   C[M×N] ← op(A)[M×K] · op(B)[K×N] + β·C,   row-major,
 *   op(A)[i,k] = transA ? A[k·lda + i] : A[i·lda + k],   op(B)[k,j] = transB ? B[j·ldb + k] : B[k·ldb + j]
 */
import type { FloatArray } from '../../tensor/tensor.ts';

export function gemmNaive(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  A: FloatArray, lda: number, B: FloatArray, ldb: number,
  beta: number, C: FloatArray, ldc: number,
): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const a = transA ? A[k * lda + i] : A[i * lda + k];
        const b = transB ? B[j * ldb + k] : B[k * ldb + j];
        s += a * b;
      }
      C[i * ldc + j] = beta === 0 ? s : s + beta * C[i * ldc + j];
    }
  }
}
