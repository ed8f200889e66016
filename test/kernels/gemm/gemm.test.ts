import { describe, expect, test } from 'vitest';
import { gemm, gemmIndexed, type MatrixRef } from '../../../src/kernels/gemm/gemm.ts';
import { gemmNaive } from '../../../src/kernels/reference/gemm.ts';
import { Rng } from '../../../src/tensor/rng.ts';

type DType = 'float32' | 'float64';
type FloatArray = Float32Array | Float64Array;

interface Case {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  /** extra elements at the end of every stored row of A, B and C (lda > minimum etc.) */
  pad: number;
  beta: number;
  dtype: DType;
}

function alloc(dtype: DType, n: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
}

function randomArray(rng: Rng, dtype: DType, n: number): FloatArray {
  const a = alloc(dtype, n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/**
 * Runs gemm and gemmNaive on the same seeded inputs and returns the worst difference between them,
 * relative to scale[i,j] = Σ_k |op(A)[i,k]|·|op(B)[k,j]| + |β·C[i,j]|: the quantity that bounds the
 * rounding error of any summation order (plain |C[i,j]| can be ≈ 0 by cancellation). Returns
 * Infinity if gemm wrote into the padding between rows of C.
 */
function worstError(c: Case, seed: number): number {
  const { transA, transB, M, N, K, pad, beta, dtype } = c;
  const rng = new Rng(seed);
  const lda = (transA ? M : K) + pad;
  const ldb = (transB ? K : N) + pad;
  const ldc = N + pad;
  const A = randomArray(rng, dtype, (transA ? K : M) * lda); // [M, K] or [K, M], padded rows
  const B = randomArray(rng, dtype, (transB ? N : K) * ldb); // [K, N] or [N, K], padded rows
  const C0 = randomArray(rng, dtype, M * ldc); // [M, N], padded rows
  const fast = C0.slice();
  const slow = C0.slice();
  gemm(transA, transB, M, N, K, A, lda, B, ldb, beta, fast, ldc);
  gemmNaive(transA, transB, M, N, K, A, lda, B, ldb, beta, slow, ldc);
  let worst = 0;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let scale = Math.abs(beta * C0[i * ldc + j]);
      for (let k = 0; k < K; k++) {
        const a = transA ? A[k * lda + i] : A[i * lda + k];
        const b = transB ? B[j * ldb + k] : B[k * ldb + j];
        scale += Math.abs(a * b);
      }
      const err = Math.abs(fast[i * ldc + j] - slow[i * ldc + j]);
      worst = Math.max(worst, scale === 0 ? err : err / scale);
    }
    for (let j = N; j < ldc; j++) {
      if (!Object.is(fast[i * ldc + j], C0[i * ldc + j])) return Infinity; // wrote into the padding
    }
  }
  return worst;
}

// float64: both kernels sum in double precision, only the order differs (1e-12 ≫ K·2⁻⁵³ for K ≤ 1250).
// float32: the naive kernel rounds its running sum to float32 only at the store, the packed one
// rounds between depth blocks; both are within a few float32 ulps of Σ|a||b| (2⁻²⁴ ≈ 6e-8).
const TOL: Record<DType, number> = { float64: 1e-12, float32: 1e-5 };

const TRANS: Array<[boolean, boolean]> = [[false, false], [false, true], [true, false], [true, true]];
const opName = (t: boolean): string => (t ? 'T' : 'N');
const caseName = (c: Case): string =>
  `${opName(c.transA)}${opName(c.transB)} M=${c.M} N=${c.N} K=${c.K} pad=${c.pad} beta=${c.beta} ${c.dtype}`;

describe('gemm equals gemmNaive', () => {
  const EDGE = [1, 3, 4, 5, 7, 8, 9, 17, 33, 65];

  // every edge size in each of M, N and K, with the other two at a size that is not a tile multiple
  const sweep: Case[] = [];
  for (const [transA, transB] of TRANS) {
    for (const n of EDGE) {
      sweep.push({ transA, transB, M: n, N: 11, K: 13, pad: 0, beta: 0, dtype: 'float64' });
      sweep.push({ transA, transB, M: 11, N: n, K: 13, pad: 2, beta: 1, dtype: 'float64' });
      sweep.push({ transA, transB, M: 11, N: 13, K: n, pad: 1, beta: 0.5, dtype: 'float32' });
    }
  }
  test.each(sweep.map((c) => [caseName(c), c] as const))('%s: error within tolerance', (_name, c) => {
    expect(worstError(c, 17)).toBeLessThanOrEqual(TOL[c.dtype]);
  });

  // sizes beyond one cache block in every dimension (KC = 256, MC = 120, NC = 2048 in gemm.ts),
  // and the LeNet shapes, in both dtypes and all betas
  const big: Case[] = [];
  const shapes: Array<[number, number, number]> = [
    [130, 37, 300], // M > MC, K > KC: several row and depth blocks, β applied on the first only
    [7, 2100, 9], // N > NC: two column blocks
    [20, 576, 25], // conv1 forward
    [50, 64, 500], // conv2 forward
    [10, 100, 500], // conv4 forward
    [20, 25, 576], // conv1 dW
  ];
  for (const [M, N, K] of shapes) {
    for (const [transA, transB] of TRANS) {
      for (const dtype of ['float32', 'float64'] as const) {
        big.push({ transA, transB, M, N, K, pad: 3, beta: dtype === 'float32' ? 0.5 : 1, dtype });
      }
    }
  }
  test.each(big.map((c) => [caseName(c), c] as const))('%s: error within tolerance', (_name, c) => {
    expect(worstError(c, 5)).toBeLessThanOrEqual(TOL[c.dtype]);
  });

  // many seeded random configurations: sizes 1..40, any transposes, padding, beta and dtype
  test('200 random configurations (sizes 1..40, M or N = 1 included): error within tolerance', () => {
    const rng = new Rng(99);
    const betas = [0, 1, 0.5, -2];
    for (let t = 0; t < 200; t++) {
      const c: Case = {
        transA: rng.int(2) === 1,
        transB: rng.int(2) === 1,
        M: 1 + rng.int(40),
        N: 1 + rng.int(40),
        K: 1 + rng.int(40),
        pad: rng.int(3),
        beta: betas[rng.int(betas.length)],
        dtype: rng.int(2) === 1 ? 'float32' : 'float64',
      };
      const err = worstError(c, 1000 + t);
      if (!(err <= TOL[c.dtype])) throw new Error(`${caseName(c)}: worst error ${err} > ${TOL[c.dtype]}`);
    }
  });

  test.each([
    ['M=1 (row vector times matrix)', 1, 300, 40],
    ['N=1 (matrix times column vector)', 300, 1, 40],
    ['M=1 N=1 (dot product)', 1, 1, 300],
    ['K=1 (outer product)', 30, 40, 1],
  ])('vector shapes %s, all transposes, float64 and float32: error within tolerance', (_name, M, N, K) => {
    for (const [transA, transB] of TRANS) {
      for (const dtype of ['float32', 'float64'] as const) {
        for (const beta of [0, 0.5]) {
          const c: Case = { transA, transB, M, N, K, pad: 2, beta, dtype };
          expect(worstError(c, 3), caseName(c)).toBeLessThanOrEqual(TOL[dtype]);
        }
      }
    }
  });
});

describe('gemm special cases', () => {
  test('2×2 by hand: [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]], then β=1 adds it again', () => {
    const A = new Float64Array([1, 2, 3, 4]);
    const B = new Float64Array([5, 6, 7, 8]);
    const C = new Float64Array(4);
    gemm(false, false, 2, 2, 2, A, 2, B, 2, 0, C, 2);
    expect(Array.from(C)).toEqual([19, 22, 43, 50]);
    gemm(false, false, 2, 2, 2, A, 2, B, 2, 1, C, 2);
    expect(Array.from(C)).toEqual([38, 44, 86, 100]);
    gemm(true, true, 2, 2, 2, A, 2, B, 2, 0, C, 2); // Aᵀ·Bᵀ = (B·A)ᵀ
    expect(Array.from(C)).toEqual([23, 31, 34, 46]);
  });

  test.each(TRANS.flatMap(([ta, tb]) => [[ta, tb, 'float32'], [ta, tb, 'float64']] as const))(
    'beta=0 ignores NaN and Infinity already in C (transA=%s transB=%s %s, full and edge tiles, GEMV)',
    (transA, transB, dtype) => {
      for (const [M, N, K] of [[9, 17, 300], [1, 9, 5], [9, 1, 5], [4, 8, 8]]) {
        const rng = new Rng(7);
        const A = randomArray(rng, dtype, M * K);
        const B = randomArray(rng, dtype, K * N);
        const C = alloc(dtype, M * N).fill(NaN);
        C[0] = Infinity;
        const expected = alloc(dtype, M * N);
        gemmNaive(transA, transB, M, N, K, A, transA ? M : K, B, transB ? K : N, 0, expected, N);
        gemm(transA, transB, M, N, K, A, transA ? M : K, B, transB ? K : N, 0, C, N);
        for (let i = 0; i < M * N; i++) {
          expect(Number.isFinite(C[i]), `M=${M} N=${N} K=${K} element ${i}`).toBe(true);
          expect(Math.abs(C[i] - expected[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(expected[i])));
        }
      }
    },
  );

  test('K=0: β=0 writes zeros over NaN, β=0.5 halves C, padding untouched', () => {
    const empty = new Float64Array(0);
    const C = new Float64Array([NaN, 1, 99, NaN, 2, 99]); // [2, 2] with ldc = 3
    gemm(false, false, 2, 2, 0, empty, 1, empty, 2, 0, C, 3);
    expect(Array.from(C)).toEqual([0, 0, 99, 0, 0, 99]);
    const D = new Float32Array([4, 8, 99, 2, 6, 99]);
    gemm(true, true, 2, 2, 0, new Float32Array(0), 2, new Float32Array(0), 1, 0.5, D, 3);
    expect(Array.from(D)).toEqual([2, 4, 99, 1, 3, 99]);
  });

  test('M=0 or N=0: C is not touched', () => {
    const A = new Float64Array(12).fill(1);
    const C = new Float64Array([NaN, 5]);
    gemm(false, false, 0, 2, 3, A, 3, A, 2, 0, C, 2);
    gemm(false, false, 2, 0, 3, A, 3, A, 1, 0, C, 1);
    expect(Object.is(C[0], NaN)).toBe(true);
    expect(C[1]).toBe(5);
  });

  test('float64 exactness: small integer inputs give exactly the naive result (all sums exact)', () => {
    const rng = new Rng(11);
    const M = 13;
    const N = 19;
    const K = 300;
    const A = new Float64Array(M * K).map(() => rng.int(7) - 3);
    const B = new Float64Array(K * N).map(() => rng.int(7) - 3);
    const fast = new Float64Array(M * N);
    const slow = new Float64Array(M * N);
    gemm(false, false, M, N, K, A, K, B, N, 0, fast, N);
    gemmNaive(false, false, M, N, K, A, K, B, N, 0, slow, N);
    expect(Array.from(fast)).toEqual(Array.from(slow));
  });
});

describe('gemmIndexed with one column', () => {
  // N = 1 skips the panels (gemm.ts, oneColumn) but must keep the packed kernel's sums: a column
  // alone gets the bits it gets among others, for every operand form, over several depth blocks
  const forms = ['dense', 'transposed', 'gathered'] as const;
  const cases = forms.flatMap((a) => forms.flatMap((b) => [0, 1].flatMap((beta) => [7, 300, 801].flatMap((K) => (['float32', 'float64'] as const).map((dtype) => ({ a, b, beta, K, dtype }))))));
  test.each(cases.map((c) => [`A ${c.a}, B ${c.b}, β=${c.beta}, K=${c.K}, ${c.dtype}`, c] as const))('%s: column 0 alone equals column 0 among 3, bit for bit, and the naive product', (_, c) => {
    const rng = new Rng(c.K + 7 * c.beta);
    const M = 13;
    const N = 3;
    const { K, dtype } = c;
    const ref = (form: string, rows: number, cols: number, data: FloatArray): MatrixRef => {
      // the same logical matrix [rows, cols], stored as asked: row-major, transposed, or gathered with offsets
      if (form === 'dense') return { data, ld: cols, trans: false };
      if (form === 'transposed') {
        const t = alloc(dtype, rows * cols);
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = data[i * cols + j];
        return { data: t, ld: rows, trans: true };
      }
      return { data, rowOffset: Int32Array.from({ length: rows }, (_, i) => i * cols), colOffset: Int32Array.from({ length: cols }, (_, j) => j) };
    };
    const a = randomArray(rng, dtype, M * K); // op(A) [M, K]
    const b = randomArray(rng, dtype, K * N); // op(B) [K, N]
    const b0 = alloc(dtype, K); // op(B)[:, 0] as [K, 1]
    for (let k = 0; k < K; k++) b0[k] = b[k * N];
    const c0 = randomArray(rng, dtype, M * N);
    const wide = c0.slice();
    gemmIndexed(M, N, K, ref(c.a, M, K, a), ref(c.b, K, N, b), c.beta, { data: wide, ld: N, trans: false });
    const alone = alloc(dtype, M);
    for (let i = 0; i < M; i++) alone[i] = c0[i * N];
    // C gathered when β = 1 (a scatter target), dense otherwise
    const cRef: MatrixRef = c.beta === 1 ? { data: alone, rowOffset: Int32Array.from({ length: M }, (_, i) => i), colOffset: Int32Array.of(0) } : { data: alone, ld: 1, trans: false };
    gemmIndexed(M, 1, K, ref(c.a, M, K, a), ref(c.b, K, 1, b0), c.beta, cRef);
    const naive = alloc(dtype, M);
    for (let i = 0; i < M; i++) naive[i] = c0[i * N];
    gemmNaive(false, false, M, 1, K, a, K, b0, 1, c.beta, naive, 1);
    for (let i = 0; i < M; i++) {
      if (!Object.is(alone[i], wide[i * N])) expect.fail(`row ${i}: ${alone[i]} alone vs ${wide[i * N]} among 3`);
      expect(Math.abs(alone[i] - naive[i])).toBeLessThanOrEqual((dtype === 'float32' ? 1e-5 : 1e-12) * (K + 1));
    }
  });
});

describe('gemmIndexed with an addend', () => {
  // C ← product + (rows[i] + cols[j]) with β = 0 must give what filling C with rows[i] + cols[j] and
  // accumulating (β = 1) gives, bit for bit (the layers' bias relies on it): over full and edge tiles
  // (M odd, N not a multiple of 5), several row, column and depth blocks, one column, dense and
  // gathered C, rows, columns or both (both in float64 only: a float32 fill would round
  // rows[i] + cols[j] before the product is added, where the addend adds it in float64)
  const shapes: Array<[number, number, number]> = [[20, 576, 25], [13, 17, 7], [130, 37, 300], [7, 2100, 9], [9, 1, 801], [500, 100, 800]];
  const sides = ['rows', 'cols', 'both'] as const;
  const cases = shapes.flatMap(([M, N, K]) => sides.flatMap((side) => [false, true].flatMap((gathered) => (side === 'both' ? (['float64'] as const) : (['float32', 'float64'] as const)).map((dtype) => ({ M, N, K, side, gathered, dtype })))));
  test.each(cases.map((c) => [`M=${c.M} N=${c.N} K=${c.K} ${c.side} ${c.gathered ? 'gathered' : 'dense'} C ${c.dtype}`, c] as const))('%s: equals the fill and β = 1, bit for bit', (_, c) => {
    const { M, N, K, dtype } = c;
    const rng = new Rng(M * 31 + N * 7 + K);
    const A = randomArray(rng, dtype, M * K); // [M, K]
    const B = randomArray(rng, dtype, K * N); // [K, N]
    const rows = c.side === 'cols' ? undefined : randomArray(rng, dtype, M); // [M]
    const cols = c.side === 'rows' ? undefined : randomArray(rng, dtype, N); // [N]
    // gathered C: the transpose stored column-major, C[i, j] at j·M + i
    const cRef = (data: FloatArray): MatrixRef =>
      c.gathered ? { data, rowOffset: Int32Array.from({ length: M }, (_, i) => i), colOffset: Int32Array.from({ length: N }, (_, j) => j * M) } : { data, ld: N, trans: false };
    const at = (i: number, j: number) => (c.gathered ? j * M + i : i * N + j);
    const filled = alloc(dtype, M * N);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) filled[at(i, j)] = (rows?.[i] ?? 0) + (cols?.[j] ?? 0);
    const got = alloc(dtype, M * N).fill(NaN); // β = 0: old contents never read
    const a = { data: A, ld: K, trans: false };
    const b = { data: B, ld: N, trans: false };
    gemmIndexed(M, N, K, a, b, 1, cRef(filled));
    gemmIndexed(M, N, K, a, b, 0, cRef(got), { rows, cols });
    for (let i = 0; i < M * N; i++) if (!Object.is(got[i], filled[i])) expect.fail(`cell ${i}: ${got[i]} with the addend vs ${filled[i]} filled`);
  });

  test('K = 0: the product is empty, C is the addend', () => {
    const C = new Float64Array(6).fill(NaN);
    const none = { data: new Float64Array(0), ld: 0, trans: false };
    gemmIndexed(2, 3, 0, none, none, 0, { data: C, ld: 3, trans: false }, { rows: Float64Array.of(1, 2), cols: Float64Array.of(10, 20, 30) });
    expect(Array.from(C)).toEqual([11, 21, 31, 12, 22, 32]);
  });
});
