/**
 * The fast GEMM used by every layer (same contract as gemmNaive in gemm-naive.ts, which stays as
 * the reference that tests and benchmarks compare against):
 *
 *   C[M×N] ← op(A)[M×K] · op(B)[K×N] + β·C,   row-major, BLAS argument order,
 *   op(A)[i,k] = transA ? A[k·lda + i] : A[i·lda + k],   op(B)[k,j] = transB ? B[j·ldb + k] : B[k·ldb + j]
 *   β = 0 overwrites C without reading it (NaN or garbage in C does not leak into the result).
 *
 * Sizes: M, N, K the problem; MR×NR = 3×8 the register tile; KC = 256, MC = 120, NC = 2048 the
 * cache blocks (K, M and N are cut into blocks of at most this size).
 *
 * Algorithm (Goto / BLIS loop nest, scalar edition):
 *
 *   for each column block  j0 .. j0+nc   (nc ≤ NC)
 *     for each depth block k0 .. k0+kc   (kc ≤ KC)     β applies on the first depth block only, 1 after
 *       pack op(B)[k0:k0+kc, j0:j0+nc] → Bpack: ⌈nc/NR⌉ panels, each kc×NR, k-major:
 *           Bpack[jp·kc·NR + p·NR + c] = op(B)[k0+p, j0+jp·NR+c]     (zero past column nc)
 *       for each row block i0 .. i0+mc   (mc ≤ MC)
 *         pack op(A)[i0:i0+mc, k0:k0+kc] → Apack: ⌈mc/MR⌉ panels, each kc×MR, k-major:
 *           Apack[ip·kc·MR + p·MR + r] = op(A)[i0+ip·MR+r, k0+p]     (zero past row mc)
 *         for each B panel jp, for each A panel ip:
 *           C[MR×NR tile] (+)= Σ_p Apack[ip, p, 0:MR] ⊗ Bpack[jp, p, 0:NR]     (micro-kernel)
 *
 * Why this shape:
 * - Transposes are handled once, at pack time, so one micro-kernel serves NN, NT, TN and TT, and it
 *   reads both panels with unit stride.
 * - Panels are Float64Array whatever the input dtype: the kernel sees one array type (V8 keeps it
 *   monomorphic), float32 inputs are widened once per element instead of once per use, and float32
 *   results are accumulated in double precision (more accurate than the naive float32 loop).
 * - V8 has no SIMD, so the speed comes from the register tile: MR·NR = 24 scalar `let` accumulators
 *   that TurboFan keeps in XMM registers (plus stack slots it spills to); every k step loads MR + NR
 *   values and does MR·NR multiply-adds, so loads per flop fall from 1 (dot product) to
 *   (MR+NR)/(2·MR·NR). x86-64 has only 16 XMM registers, so every tile this size spills some
 *   accumulators to the stack; smaller tiles spill less but reload more. Measured on this machine
 *   (Node 20, AMD EPYC, one core): the kernel alone on an L1-resident kc = 256 panel gives
 *   3×8 5.0, 4×6 5.0, 4×4 4.8, 4×8 4.65, 5×8 4.4, 6×8 4.3, 8×8 4.0 GFLOP/s; the whole GEMM on the
 *   LeNet shapes (bench/gemm.ts, this file with each tile) is faster with 3×8 than with 4×8 (by
 *   2–10%) and with 5×8 (by 5–13%) on every shape that is not a GEMV, M = 10 and 20 included,
 *   though 5 rows would tile M = 10, 20, 25, 50, 500 exactly. Hence MR×NR = 3×8; NR = 8 divides the
 *   LeNet column counts 576, 64, 6400 and 57600 exactly.
 * - KC·NR·8 bytes of B panel (16 KiB) stay in L1 while every A panel of the block streams
 *   past it (KC = 128, 256 and 512 measured within noise of each other); the MC×KC A block
 *   (240 KiB) stays in L2; the KC×NC B block in L3.
 * - Tiles that stick out of C (mr < MR or nr < NR) run in separate functions (microKernelEdge) that
 *   compute the zero-padded tile into a scratch array and copy the valid part, so the hot kernel's
 *   stores stay unconditional and its code stays monomorphic.
 * - N = 1 and M = 1 are matrix-vector products: padding them to a 3×8 tile would waste 8× or
 *   3× the work, so they take a plain GEMV loop instead.
 * - Packing buffers live at module level and grow on demand: no allocation per call once warm.
 */
import type { FloatArray } from './tensor.ts';

/** Register tile: rows of op(A) per micro-panel. */
const MR = 3;
/** Register tile: columns of op(B) per micro-panel. */
const NR = 8;
/** Depth block: a KC×NR B panel stays in L1. */
const KC = 256;
/** Row block: an MC×KC A block stays in L2 (a multiple of MR). */
const MC = 120;
/** Column block: a KC×NC B block stays in L3 (a multiple of NR). */
const NC = 2048;

let aPack = new Float64Array(MC * KC); // [⌈mc/MR⌉ panels, kc, MR]
let bPack = new Float64Array(NR * KC); // [⌈nc/NR⌉ panels, kc, NR]
/** Scratch tile for edge tiles, [MR, NR]. */
const tile = new Float64Array(MR * NR);
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
  const kcMax = Math.min(KC, K);
  const mcMax = Math.min(MC, roundUp(M, MR));
  const ncMax = Math.min(NC, roundUp(N, NR));
  if (aPack.length < mcMax * kcMax) aPack = new Float64Array(mcMax * kcMax);
  if (bPack.length < ncMax * kcMax) bPack = new Float64Array(ncMax * kcMax);
  const Ap = aPack;
  const Bp = bPack;
  for (let j0 = 0; j0 < N; j0 += NC) {
    const nc = Math.min(NC, N - j0);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = Math.min(KC, K - k0);
      const b = k0 === 0 ? beta : 1; // later depth blocks add to what the first one wrote
      if (transB) packBT(B, ldb, k0, kc, j0, nc, Bp);
      else packBN(B, ldb, k0, kc, j0, nc, Bp);
      for (let i0 = 0; i0 < M; i0 += MC) {
        const mc = Math.min(MC, M - i0);
        if (transA) packAT(A, lda, i0, mc, k0, kc, Ap);
        else packAN(A, lda, i0, mc, k0, kc, Ap);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          const bOff = jr * kc; // seek to B panel jr/NR: kc rows of NR
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            const aOff = ir * kc; // seek to A panel ir/MR: kc rows of MR
            const cOff = (i0 + ir) * ldc + j0 + jr; // seek to C[i0+ir, j0+jr]
            if (mr === MR && nr === NR) microKernel(kc, Ap, aOff, Bp, bOff, b, C, cOff, ldc);
            else microKernelEdge(kc, Ap, aOff, Bp, bOff, b, C, cOff, ldc, mr, nr);
          }
        }
      }
    }
  }
}

function roundUp(x: number, m: number): number {
  return Math.ceil(x / m) * m;
}

/**
 * The hot loop: C[cOff : MR rows × NR columns, row stride ldc] ← Σ_p a[p] ⊗ b[p] + β·C, where a[p] =
 * Ap[aOff + p·MR : +MR] and b[p] = Bp[bOff + p·NR : +NR]. Always a full tile; edges go elsewhere.
 */
function microKernel(
  kc: number, Ap: Float64Array, aOff: number, Bp: Float64Array, bOff: number,
  beta: number, C: FloatArray, cOff: number, ldc: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
  let ai = aOff;
  let bi = bOff;
  const aEnd = aOff + kc * MR;
  while (ai < aEnd) {
    const a0 = Ap[ai], a1 = Ap[ai + 1], a2 = Ap[ai + 2];
    const b0 = Bp[bi], b1 = Bp[bi + 1], b2 = Bp[bi + 2], b3 = Bp[bi + 3], b4 = Bp[bi + 4], b5 = Bp[bi + 5], b6 = Bp[bi + 6], b7 = Bp[bi + 7];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3; c24 += a2 * b4; c25 += a2 * b5; c26 += a2 * b6; c27 += a2 * b7;
    ai += MR;
    bi += NR;
  }
  let c: number;
  if (beta === 0) {
    c = cOff;
    C[c] = c00; C[c + 1] = c01; C[c + 2] = c02; C[c + 3] = c03; C[c + 4] = c04; C[c + 5] = c05; C[c + 6] = c06; C[c + 7] = c07;
    c = cOff + ldc;
    C[c] = c10; C[c + 1] = c11; C[c + 2] = c12; C[c + 3] = c13; C[c + 4] = c14; C[c + 5] = c15; C[c + 6] = c16; C[c + 7] = c17;
    c = cOff + 2 * ldc;
    C[c] = c20; C[c + 1] = c21; C[c + 2] = c22; C[c + 3] = c23; C[c + 4] = c24; C[c + 5] = c25; C[c + 6] = c26; C[c + 7] = c27;
  } else {
    c = cOff;
    C[c] = c00 + beta * C[c];
    C[c + 1] = c01 + beta * C[c + 1];
    C[c + 2] = c02 + beta * C[c + 2];
    C[c + 3] = c03 + beta * C[c + 3];
    C[c + 4] = c04 + beta * C[c + 4];
    C[c + 5] = c05 + beta * C[c + 5];
    C[c + 6] = c06 + beta * C[c + 6];
    C[c + 7] = c07 + beta * C[c + 7];
    c = cOff + ldc;
    C[c] = c10 + beta * C[c];
    C[c + 1] = c11 + beta * C[c + 1];
    C[c + 2] = c12 + beta * C[c + 2];
    C[c + 3] = c13 + beta * C[c + 3];
    C[c + 4] = c14 + beta * C[c + 4];
    C[c + 5] = c15 + beta * C[c + 5];
    C[c + 6] = c16 + beta * C[c + 6];
    C[c + 7] = c17 + beta * C[c + 7];
    c = cOff + 2 * ldc;
    C[c] = c20 + beta * C[c];
    C[c + 1] = c21 + beta * C[c + 1];
    C[c + 2] = c22 + beta * C[c + 2];
    C[c + 3] = c23 + beta * C[c + 3];
    C[c + 4] = c24 + beta * C[c + 4];
    C[c + 5] = c25 + beta * C[c + 5];
    C[c + 6] = c26 + beta * C[c + 6];
    C[c + 7] = c27 + beta * C[c + 7];
  }
}

/**
 * An edge tile (mr ≤ MR rows, nr ≤ NR columns of C): computes over the zero-padded panels into the
 * scratch tile, of which only mr×nr is written to C. One- and two-row tiles (M = 10, 25 leave one
 * row, M = 20, 50, 500 two) run 1×NR and 2×NR loops and a tile at most NR/2 wide (N = 25, 100, 500
 * leave one) an MR×NR/2 loop, so they do not pay for a full MR×NR of padding.
 */
function microKernelEdge(
  kc: number, Ap: Float64Array, aOff: number, Bp: Float64Array, bOff: number,
  beta: number, C: FloatArray, cOff: number, ldc: number, mr: number, nr: number,
): void {
  if (mr === 1) edgeRow(kc, Ap, aOff, Bp, bOff);
  else if (mr === 2) edgeTwoRows(kc, Ap, aOff, Bp, bOff);
  else if (nr <= NR / 2) edgeHalf(kc, Ap, aOff, Bp, bOff);
  else edgeFull(kc, Ap, aOff, Bp, bOff);
  const T = tile;
  for (let r = 0; r < mr; r++) {
    const cRow = cOff + r * ldc; // seek to C[row r of the tile, first column]
    for (let c = 0; c < nr; c++) {
      C[cRow + c] = beta === 0 ? T[r * NR + c] : T[r * NR + c] + beta * C[cRow + c];
    }
  }
}

/** Edge loop, full MR×NR tile into the scratch tile [MR, NR]. */
function edgeFull(kc: number, Ap: Float64Array, aOff: number, Bp: Float64Array, bOff: number): void {
  const T = tile;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
  let ai = aOff;
  let bi = bOff;
  const aEnd = aOff + kc * MR;
  while (ai < aEnd) {
    const a0 = Ap[ai], a1 = Ap[ai + 1], a2 = Ap[ai + 2];
    const b0 = Bp[bi], b1 = Bp[bi + 1], b2 = Bp[bi + 2], b3 = Bp[bi + 3], b4 = Bp[bi + 4], b5 = Bp[bi + 5], b6 = Bp[bi + 6], b7 = Bp[bi + 7];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3; c24 += a2 * b4; c25 += a2 * b5; c26 += a2 * b6; c27 += a2 * b7;
    ai += MR;
    bi += NR;
  }
  T[0] = c00; T[1] = c01; T[2] = c02; T[3] = c03; T[4] = c04; T[5] = c05; T[6] = c06; T[7] = c07;
  T[8] = c10; T[9] = c11; T[10] = c12; T[11] = c13; T[12] = c14; T[13] = c15; T[14] = c16; T[15] = c17;
  T[16] = c20; T[17] = c21; T[18] = c22; T[19] = c23; T[20] = c24; T[21] = c25; T[22] = c26; T[23] = c27;
}

/** Edge loop, MR×NR/2 (the left half of the B panel) into the scratch tile [MR, NR]. */
function edgeHalf(kc: number, Ap: Float64Array, aOff: number, Bp: Float64Array, bOff: number): void {
  const T = tile;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let ai = aOff;
  let bi = bOff;
  const aEnd = aOff + kc * MR;
  while (ai < aEnd) {
    const a0 = Ap[ai], a1 = Ap[ai + 1], a2 = Ap[ai + 2];
    const b0 = Bp[bi], b1 = Bp[bi + 1], b2 = Bp[bi + 2], b3 = Bp[bi + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    ai += MR;
    bi += NR;
  }
  T[0] = c00; T[1] = c01; T[2] = c02; T[3] = c03;
  T[8] = c10; T[9] = c11; T[10] = c12; T[11] = c13;
  T[16] = c20; T[17] = c21; T[18] = c22; T[19] = c23;
}

/** Edge loop, 2×NR (the first two rows of the A panel) into the scratch tile [MR, NR]. */
function edgeTwoRows(kc: number, Ap: Float64Array, aOff: number, Bp: Float64Array, bOff: number): void {
  const T = tile;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
  let ai = aOff;
  let bi = bOff;
  const aEnd = aOff + kc * MR;
  while (ai < aEnd) {
    const a0 = Ap[ai], a1 = Ap[ai + 1];
    const b0 = Bp[bi], b1 = Bp[bi + 1], b2 = Bp[bi + 2], b3 = Bp[bi + 3], b4 = Bp[bi + 4], b5 = Bp[bi + 5], b6 = Bp[bi + 6], b7 = Bp[bi + 7];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
    ai += MR;
    bi += NR;
  }
  T[0] = c00; T[1] = c01; T[2] = c02; T[3] = c03; T[4] = c04; T[5] = c05; T[6] = c06; T[7] = c07;
  T[8] = c10; T[9] = c11; T[10] = c12; T[11] = c13; T[12] = c14; T[13] = c15; T[14] = c16; T[15] = c17;
}

/** Edge loop, 1×NR (the first row of the A panel) into the scratch tile [MR, NR]. */
function edgeRow(kc: number, Ap: Float64Array, aOff: number, Bp: Float64Array, bOff: number): void {
  const T = tile;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let ai = aOff;
  let bi = bOff;
  const aEnd = aOff + kc * MR;
  while (ai < aEnd) {
    const a0 = Ap[ai];
    const b0 = Bp[bi], b1 = Bp[bi + 1], b2 = Bp[bi + 2], b3 = Bp[bi + 3], b4 = Bp[bi + 4], b5 = Bp[bi + 5], b6 = Bp[bi + 6], b7 = Bp[bi + 7];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
    ai += MR;
    bi += NR;
  }
  T[0] = c00; T[1] = c01; T[2] = c02; T[3] = c03; T[4] = c04; T[5] = c05; T[6] = c06; T[7] = c07;
}

/** op(A) = A, [M, K] row stride lda: panel row r is a contiguous run of A's row. */
function packAN(A: FloatArray, lda: number, i0: number, mc: number, k0: number, kc: number, Ap: Float64Array): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    const pOff = ir * kc; // seek to panel ir/MR
    if (mr === MR) {
      // full panel, the common case: MR row streams of A, one contiguous k step of the panel at a time
      const a0 = (i0 + ir) * lda + k0; // seek to A[i0+ir, k0]; the panel's other rows follow at stride lda
      const a1 = a0 + lda, a2 = a1 + lda;
      for (let p = 0, o = pOff; p < kc; p++, o += MR) {
        Ap[o] = A[a0 + p];
        Ap[o + 1] = A[a1 + p];
        Ap[o + 2] = A[a2 + p];
      }
      continue;
    }
    for (let r = 0; r < mr; r++) {
      const aRow = (i0 + ir + r) * lda + k0; // seek to A[i0+ir+r, k0]
      for (let p = 0, o = pOff + r; p < kc; p++, o += MR) Ap[o] = A[aRow + p];
    }
    for (let r = mr; r < MR; r++) {
      for (let p = 0, o = pOff + r; p < kc; p++, o += MR) Ap[o] = 0;
    }
  }
}

/** op(A) = Aᵀ, A stored [K, M] row stride lda: each k step of a panel is a contiguous run of A's row k. */
function packAT(A: FloatArray, lda: number, i0: number, mc: number, k0: number, kc: number, Ap: Float64Array): void {
  let o = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    if (mr === MR) {
      // full panel, the common case: one unrolled row copy per k step
      for (let p = 0; p < kc; p++) {
        const aRow = (k0 + p) * lda + i0 + ir; // seek to A[k0+p, i0+ir]
        Ap[o] = A[aRow];
        Ap[o + 1] = A[aRow + 1];
        Ap[o + 2] = A[aRow + 2];
        o += MR;
      }
      continue;
    }
    for (let p = 0; p < kc; p++) {
      const aRow = (k0 + p) * lda + i0 + ir; // seek to A[k0+p, i0+ir]
      for (let r = 0; r < mr; r++) Ap[o + r] = A[aRow + r];
      for (let r = mr; r < MR; r++) Ap[o + r] = 0;
      o += MR;
    }
  }
}

/** op(B) = B, [K, N] row stride ldb: each k step of a panel is a contiguous run of B's row k. */
function packBN(B: FloatArray, ldb: number, k0: number, kc: number, j0: number, nc: number, Bp: Float64Array): void {
  let o = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    if (nr === NR) {
      // full panel, the common case: one unrolled row copy per k step
      for (let p = 0; p < kc; p++) {
        const bRow = (k0 + p) * ldb + j0 + jr; // seek to B[k0+p, j0+jr]
        Bp[o] = B[bRow];
        Bp[o + 1] = B[bRow + 1];
        Bp[o + 2] = B[bRow + 2];
        Bp[o + 3] = B[bRow + 3];
        Bp[o + 4] = B[bRow + 4];
        Bp[o + 5] = B[bRow + 5];
        Bp[o + 6] = B[bRow + 6];
        Bp[o + 7] = B[bRow + 7];
        o += NR;
      }
      continue;
    }
    for (let p = 0; p < kc; p++) {
      const bRow = (k0 + p) * ldb + j0 + jr; // seek to B[k0+p, j0+jr]
      for (let c = 0; c < nr; c++) Bp[o + c] = B[bRow + c];
      for (let c = nr; c < NR; c++) Bp[o + c] = 0;
      o += NR;
    }
  }
}

/** op(B) = Bᵀ, B stored [N, K] row stride ldb: panel column c is a contiguous run of B's row. */
function packBT(B: FloatArray, ldb: number, k0: number, kc: number, j0: number, nc: number, Bp: Float64Array): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    const pOff = jr * kc; // seek to panel jr/NR
    if (nr === NR) {
      // full panel, the common case: NR row streams of B, one contiguous k step of the panel at a time
      const b0 = (j0 + jr) * ldb + k0; // seek to B[j0+jr, k0]; the panel's other rows follow at stride ldb
      const b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb, b4 = b3 + ldb, b5 = b4 + ldb, b6 = b5 + ldb, b7 = b6 + ldb;
      for (let p = 0, o = pOff; p < kc; p++, o += NR) {
        Bp[o] = B[b0 + p];
        Bp[o + 1] = B[b1 + p];
        Bp[o + 2] = B[b2 + p];
        Bp[o + 3] = B[b3 + p];
        Bp[o + 4] = B[b4 + p];
        Bp[o + 5] = B[b5 + p];
        Bp[o + 6] = B[b6 + p];
        Bp[o + 7] = B[b7 + p];
      }
      continue;
    }
    for (let c = 0; c < nr; c++) {
      const bRow = (j0 + jr + c) * ldb + k0; // seek to B[j0+jr+c, k0]
      for (let p = 0, o = pOff + c; p < kc; p++, o += NR) Bp[o] = B[bRow + p];
    }
    for (let c = nr; c < NR; c++) {
      for (let p = 0, o = pOff + c; p < kc; p++, o += NR) Bp[o] = 0;
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
