/**
 * Part of the fast GEMM, which speeds up kernels/reference/gemm.ts (a first reader reads that).
 *
 * Packing for the GEMM (gemm.ts): copies a block of op(A) or op(B) into the k-major panels
 * the micro-kernel reads with unit stride, widening to float64 and applying any transpose or
 * gather on the way, so that one kernel serves every operand form.
 *
 *   A panels: ⌈mc/MR⌉ of [kc, MR]:  P[aBase + ip·kc·MR + p·MR + r] = op(A)[i0 + ip·MR + r, k0 + p]
 *   B panels: ⌈nc/NR⌉ of [kc, NR]:  P[jp·kc·NR + p·NR + c]         = op(B)[k0 + p, j0 + jp·NR + c]
 *
 * (zero past the block's last row or column). An operand is a MatrixRef: dense row-major storage,
 * possibly transposed, or a gathered matrix m[i, j] = data[rowOffset[i] + colOffset[j]] that is
 * never stored, such as an im2col matrix or an NCHW tensor seen as [C, N·H·W].
 */
import type { FloatArray } from '../../tensor/tensor.ts';

/** Register tile: rows of op(A) per micro-panel. */
export const MR = 2;
/** Register tile: columns of op(B) per micro-panel. */
export const NR = 5;

/**
 * A matrix operand of the GEMM, as [rows, cols] of op(·):
 * - dense: m[i, j] = data[i·ld + j], or data[j·ld + i] when `trans` (data holds the transpose);
 * - gathered: m[i, j] = data[rowOffset[i] + colOffset[j]].
 */
export type MatrixRef =
  | { readonly data: FloatArray; readonly ld: number; readonly trans: boolean }
  | { readonly data: FloatArray; readonly rowOffset: Int32Array; readonly colOffset: Int32Array };

/** Packs rows i0 … i0+mc, depths k0 … k0+kc of op(A) into the A panels at P[aBase…]. */
export type PackA = (i0: number, mc: number, k0: number, kc: number, P: Float64Array, aBase: number) => void;
/** Packs depths k0 … k0+kc, columns j0 … j0+nc of op(B) into the B panels at P[0…]. */
export type PackB = (k0: number, kc: number, j0: number, nc: number, P: Float64Array) => void;

export function packerA(a: MatrixRef): PackA {
  const { data } = a;
  if ('rowOffset' in a) return (i0, mc, k0, kc, P, aBase) => packAGather(data, a.rowOffset, a.colOffset, i0, mc, k0, kc, P, aBase);
  const { ld } = a;
  return a.trans
    ? (i0, mc, k0, kc, P, aBase) => packAT(data, ld, i0, mc, k0, kc, P, aBase)
    : (i0, mc, k0, kc, P, aBase) => packAN(data, ld, i0, mc, k0, kc, P, aBase);
}

export function packerB(b: MatrixRef): PackB {
  const { data } = b;
  if ('rowOffset' in b) return (k0, kc, j0, nc, P) => packBGather(data, b.rowOffset, b.colOffset, k0, kc, j0, nc, P);
  const { ld } = b;
  return b.trans ? (k0, kc, j0, nc, P) => packBT(data, ld, k0, kc, j0, nc, P) : (k0, kc, j0, nc, P) => packBN(data, ld, k0, kc, j0, nc, P);
}

/** op(A) = A, [M, K] row stride lda: panel row r is a contiguous run of A's row. */
function packAN(A: FloatArray, lda: number, i0: number, mc: number, k0: number, kc: number, P: Float64Array, aBase: number): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    const pOff = aBase + ir * kc; // seek to panel ir/MR
    if (mr === MR) {
      // full panel, the common case: MR row streams of A, one contiguous k step of the panel at a time
      const a0 = (i0 + ir) * lda + k0; // seek to A[i0+ir, k0]; the panel's second row follows at stride lda
      const a1 = a0 + lda;
      for (let p = 0, o = pOff; p < kc; p++, o += MR) {
        P[o] = A[a0 + p];
        P[o + 1] = A[a1 + p];
      }
      continue;
    }
    for (let r = 0; r < mr; r++) {
      const aRow = (i0 + ir + r) * lda + k0; // seek to A[i0+ir+r, k0]
      for (let p = 0, o = pOff + r; p < kc; p++, o += MR) P[o] = A[aRow + p];
    }
    zeroRows(P, pOff, kc, mr);
  }
}

/** op(A) = Aᵀ, A stored [K, M] row stride lda: each k step of a panel is a contiguous run of A's row k. */
function packAT(A: FloatArray, lda: number, i0: number, mc: number, k0: number, kc: number, P: Float64Array, aBase: number): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    const pOff = aBase + ir * kc; // seek to panel ir/MR
    if (mr === MR) {
      // full panel, the common case: one unrolled row copy per k step
      for (let p = 0, o = pOff; p < kc; p++, o += MR) {
        const aRow = (k0 + p) * lda + i0 + ir; // seek to A[k0+p, i0+ir]
        P[o] = A[aRow];
        P[o + 1] = A[aRow + 1];
      }
      continue;
    }
    for (let p = 0, o = pOff; p < kc; p++, o += MR) {
      const aRow = (k0 + p) * lda + i0 + ir; // seek to A[k0+p, i0+ir]
      for (let r = 0; r < mr; r++) P[o + r] = A[aRow + r];
    }
    zeroRows(P, pOff, kc, mr);
  }
}

/** op(A)[i, k] = data[rowOffset[i] + colOffset[k]]: MR row offsets per panel, one column offset per k step. */
function packAGather(
  data: FloatArray, rowOffset: Int32Array, colOffset: Int32Array, i0: number, mc: number, k0: number, kc: number, P: Float64Array, aBase: number,
): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    const pOff = aBase + ir * kc; // seek to panel ir/MR
    if (mr === MR) {
      const r0 = rowOffset[i0 + ir];
      const r1 = rowOffset[i0 + ir + 1];
      for (let p = 0, o = pOff; p < kc; p++, o += MR) {
        const col = colOffset[k0 + p];
        P[o] = data[r0 + col];
        P[o + 1] = data[r1 + col];
      }
      continue;
    }
    for (let p = 0, o = pOff; p < kc; p++, o += MR) {
      const col = colOffset[k0 + p];
      for (let r = 0; r < mr; r++) P[o + r] = data[rowOffset[i0 + ir + r] + col];
    }
    zeroRows(P, pOff, kc, mr);
  }
}

/** Zeroes rows mr … MR−1 of the A panel at pOff (kc steps): the padding of a short last panel. */
function zeroRows(P: Float64Array, pOff: number, kc: number, mr: number): void {
  for (let p = 0, o = pOff; p < kc; p++, o += MR) for (let r = mr; r < MR; r++) P[o + r] = 0;
}

/** op(B) = B, [K, N] row stride ldb: each k step of a panel is a contiguous run of B's row k. */
function packBN(B: FloatArray, ldb: number, k0: number, kc: number, j0: number, nc: number, P: Float64Array): void {
  let o = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    if (nr === NR) {
      // full panel, the common case: one unrolled row copy per k step
      for (let p = 0; p < kc; p++) {
        const bRow = (k0 + p) * ldb + j0 + jr; // seek to B[k0+p, j0+jr]
        P[o] = B[bRow];
        P[o + 1] = B[bRow + 1];
        P[o + 2] = B[bRow + 2];
        P[o + 3] = B[bRow + 3];
        P[o + 4] = B[bRow + 4];
        o += NR;
      }
      continue;
    }
    for (let p = 0; p < kc; p++) {
      const bRow = (k0 + p) * ldb + j0 + jr; // seek to B[k0+p, j0+jr]
      for (let c = 0; c < nr; c++) P[o + c] = B[bRow + c];
      for (let c = nr; c < NR; c++) P[o + c] = 0;
      o += NR;
    }
  }
}

/** op(B) = Bᵀ, B stored [N, K] row stride ldb: panel column c is a contiguous run of B's row. */
function packBT(B: FloatArray, ldb: number, k0: number, kc: number, j0: number, nc: number, P: Float64Array): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    const pOff = jr * kc; // seek to panel jr/NR
    if (nr === NR) {
      // full panel, the common case: NR row streams of B, one contiguous k step of the panel at a time
      const b0 = (j0 + jr) * ldb + k0; // seek to B[j0+jr, k0]; the panel's other rows follow at stride ldb
      const b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb, b4 = b3 + ldb;
      for (let p = 0, o = pOff; p < kc; p++, o += NR) {
        P[o] = B[b0 + p];
        P[o + 1] = B[b1 + p];
        P[o + 2] = B[b2 + p];
        P[o + 3] = B[b3 + p];
        P[o + 4] = B[b4 + p];
      }
      continue;
    }
    for (let c = 0; c < nr; c++) {
      const bRow = (j0 + jr + c) * ldb + k0; // seek to B[j0+jr+c, k0]
      for (let p = 0, o = pOff + c; p < kc; p++, o += NR) P[o] = B[bRow + p];
    }
    for (let c = nr; c < NR; c++) {
      for (let p = 0, o = pOff + c; p < kc; p++, o += NR) P[o] = 0;
    }
  }
}

/** op(B)[k, j] = data[rowOffset[k] + colOffset[j]]: NR column offsets per panel, one row offset per k step. */
function packBGather(
  data: FloatArray, rowOffset: Int32Array, colOffset: Int32Array, k0: number, kc: number, j0: number, nc: number, P: Float64Array,
): void {
  let o = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    const j = j0 + jr;
    if (nr === NR) {
      // full panel, the common case: the panel's NR column offsets stay in registers
      const o0 = colOffset[j], o1 = colOffset[j + 1], o2 = colOffset[j + 2], o3 = colOffset[j + 3], o4 = colOffset[j + 4];
      for (let p = 0; p < kc; p++) {
        const row = rowOffset[k0 + p]; // seek to row k0+p
        P[o] = data[row + o0];
        P[o + 1] = data[row + o1];
        P[o + 2] = data[row + o2];
        P[o + 3] = data[row + o3];
        P[o + 4] = data[row + o4];
        o += NR;
      }
      continue;
    }
    for (let p = 0; p < kc; p++) {
      const row = rowOffset[k0 + p];
      for (let c = 0; c < nr; c++) P[o + c] = data[row + colOffset[j + c]];
      for (let c = nr; c < NR; c++) P[o + c] = 0;
      o += NR;
    }
  }
}
