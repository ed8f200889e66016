import { describe, expect, test } from 'vitest';
import { randn } from '../../../src/tensor/create.ts';
import { windowGeometry } from '../../../src/tensor/window.ts';
import { bestWinogradTile, gemmConvCost, winogradCost, WINOGRAD_TILES } from '../../../src/kernels/winograd/cost.ts';
import { cachedKernelTransform, winogradKernelTransform } from '../../../src/kernels/winograd/kernel-transform.ts';
import { winogradMatrices } from '../../../src/kernels/winograd/matrices.ts';

const rows = (a: Float64Array, cols: number): number[][] => Array.from({ length: a.length / cols }, (_, i) => Array.from(a.subarray(i * cols, (i + 1) * cols)));

describe('winogradMatrices: Toom–Cook on the points 0, ±1, ±2, ±½, …, ∞', () => {
  test('F(2, 3) by hand: points 0, 1, −1, ∞', () => {
    const { AT, G, BT, alpha } = winogradMatrices(2, 3);
    expect(alpha).toBe(4);
    // Aᵀ[i, j] = p_jⁱ, and the ∞ column picks the top coefficient
    expect(rows(AT, 4)).toEqual([[1, 1, 1, 0], [0, 1, -1, 1]]);
    // G[j, k] = p_jᵏ, G[∞] = [0, 0, 1]
    expect(rows(G, 3)).toEqual([[1, 0, 0], [1, 1, 1], [1, -1, 1], [0, 0, 1]]);
    // L₀ = (x² − 1)/(−1) = 1 − x², L₁ = x(x + 1)/2, L₋₁ = x(x − 1)/2, M = x³ − x
    expect(rows(BT, 4)).toEqual([[1, 0, -1, 0], [0, 0.5, 0.5, 0], [0, -0.5, 0.5, 0], [0, -1, 0, 1]]);
  });

  test.each(WINOGRAD_TILES.flatMap((m) => [3, 5].map((r) => ({ m, r }))))('1-D F($m, $r): Aᵀ·[(G·g) ⊙ (Bᵀ·d)] is the correlation Σ_k g[k]·d[i + k]', ({ m, r }) => {
    const { AT, G, BT, alpha } = winogradMatrices(m, r);
    const g = randn([r], { rng: m * 10 + r, dtype: 'float64' }).data;
    const d = randn([alpha], { rng: m * 10 + r + 1, dtype: 'float64' }).data;
    const products = new Float64Array(alpha);
    for (let j = 0; j < alpha; j++) {
      let gj = 0;
      let dj = 0;
      for (let k = 0; k < r; k++) gj += G[j * r + k] * g[k];
      for (let k = 0; k < alpha; k++) dj += BT[j * alpha + k] * d[k];
      products[j] = gj * dj;
    }
    for (let i = 0; i < m; i++) {
      let y = 0;
      for (let j = 0; j < alpha; j++) y += AT[i * alpha + j] * products[j];
      let ref = 0;
      for (let k = 0; k < r; k++) ref += g[k] * d[i + k];
      expect(Math.abs(y - ref)).toBeLessThan(1e-11 * (1 + Math.abs(ref)));
    }
  });

  test('too many points is an error naming the sizes', () => {
    expect(() => winogradMatrices(14, 5)).toThrow(/F\(14, 5\) needs 17 interpolation points/);
  });
});

describe('kernel transform', () => {
  test('U[ξ, oc, c] = (G·g·Gᵀ)[ξ] for one channel pair, by the definition', () => {
    const mat = winogradMatrices(2, 3);
    const w = randn([2, 3, 3, 3], { rng: 1, dtype: 'float64' }).data;
    const U = winogradKernelTransform(w, 2, 3, mat);
    const [oc, c] = [1, 2];
    for (let a = 0; a < 4; a++)
      for (let b = 0; b < 4; b++) {
        let ref = 0;
        for (let kh = 0; kh < 3; kh++) for (let kw = 0; kw < 3; kw++) ref += mat.G[a * 3 + kh] * w[((oc * 3 + c) * 3 + kh) * 3 + kw] * mat.G[b * 3 + kw];
        expect(U[(a * 4 + b) * 6 + oc * 3 + c]).toBeCloseTo(ref, 12);
      }
  });

  test('the cache returns the same U while the values stay, a new one when they change in place', () => {
    const mat = winogradMatrices(4, 5);
    const w = randn([3, 2, 5, 5], { rng: 2 }).data;
    const U1 = cachedKernelTransform(w, 3, 2, mat);
    expect(cachedKernelTransform(w, 3, 2, mat)).toBe(U1);
    const before = Float64Array.from(U1);
    w[7] += 1;
    const U2 = cachedKernelTransform(w, 3, 2, mat);
    expect(U2).not.toBe(U1);
    expect(U1).toEqual(before); // a forward pass may still hold U1
    expect(U2).toEqual(winogradKernelTransform(w, 3, 2, mat));
  });
});

describe('bestWinogradTile: the cost model', () => {
  const geometry = (x: number[], OC: number, K: number, stride = 1, pad = 0) => ({ ...windowGeometry('test', x, K, K, stride, pad), OC });
  test('LeNet conv2 (20 → 50, 12×12, 5×5) takes F(8×8): one tile, 144 points', () => {
    const g = geometry([100, 20, 12, 12], 50, 5);
    expect(bestWinogradTile(g)).toBe(8);
    expect(winogradCost(g, 8)).toBe(144 * 1000 + 20 * 2 * 12 ** 3 + 50 * (8 * 144 + 64 * 12));
    expect(gemmConvCost(g)).toBe(1_600_000);
  });
  test('LeNet conv1 (one input channel: the output transform costs what it saves) and conv3 (one output) stay on GEMM', () => {
    expect(bestWinogradTile(geometry([100, 1, 28, 28], 20, 5))).toBe(0);
    expect(bestWinogradTile(geometry([100, 50, 4, 4], 500, 4))).toBe(0);
  });
  test('stride 2 and kernels below 3×3 never take it', () => {
    expect(bestWinogradTile(geometry([1, 64, 32, 32], 64, 3, 2, 1))).toBe(0);
    expect(bestWinogradTile(geometry([1, 64, 32, 32], 64, 1))).toBe(0);
    expect(bestWinogradTile(geometry([1, 64, 32, 32], 64, 3, 1, 1))).toBeGreaterThan(0);
  });
});
