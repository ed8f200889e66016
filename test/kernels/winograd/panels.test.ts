import { describe, expect, test } from 'vitest';
import { randn } from '../../../src/tensor/create.ts';
import { gemmIndexed, gemmOnPanels, panelARegion, panelOffset, panelSize } from '../../../src/kernels/gemm/gemm.ts';
import type { DType, FloatArray } from '../../../src/tensor/tensor.ts';
import { windowGeometry } from '../../../src/tensor/window.ts';
import { winogradBackwardPanels, winogradForwardPanels, winogradPanelsApply } from '../../../src/kernels/winograd/panels.ts';
import { winogradGeometry } from '../../../src/kernels/winograd/geometry.ts';
import { winogradKernelTransform } from '../../../src/kernels/winograd/kernel-transform.ts';
import { winogradMatrices } from '../../../src/kernels/winograd/matrices.ts';
import { winogradBackward, winogradForward, type WinogradSaved } from '../../../src/kernels/winograd/plain.ts';

/** Fails at the first element whose bits differ. */
function expectSameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) expect.fail(`${what}[${i}]: ${got[i]} against ${want[i]}`);
}

describe('gemmOnPanels: op(B) already in panels gives gemmIndexed’s product bit for bit', () => {
  // edge rows (M odd), a short last panel (N mod 5 ≠ 0), one column, several row blocks (M > 120)
  const shapes: Array<[number, number, number]> = [[8, 60, 12], [13, 17, 7], [50, 100, 20], [1, 1, 5], [131, 12, 30], [6, 2105, 3]];
  test.each(shapes.flatMap(([M, N, K]) => (['float32', 'float64'] as const).map((dtype) => ({ M, N, K, dtype }))))('M=$M N=$N K=$K $dtype', ({ M, N, K, dtype }) => {
    const A = randn([M, K], { rng: M + N + K, dtype }).data; // [M, K]
    const B = randn([K, N], { rng: M + N + K + 1, dtype }).data; // [K, N]
    const bias = randn([N], { rng: 3, dtype }).data; // [N]
    const want = new Float64Array(M * N);
    gemmIndexed(M, N, K, { data: A, ld: K, trans: false }, { data: B, ld: N, trans: false }, 0, { data: want, ld: N, trans: false }, { cols: bias });
    const bBase = panelARegion(M, K) + 7; // any place after op(A)'s region
    const W = new Float64Array(bBase + panelSize(K, N)).fill(NaN); // lanes past N hold garbage
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) W[bBase + panelOffset(k, j, K)] = B[k * N + j];
    const got = new Float64Array(M * N);
    gemmOnPanels(M, N, K, { data: A, ld: K, trans: false }, W, bBase, 0, { data: got, ld: N, trans: false }, { cols: bias });
    expectSameBits(got, want, 'C');
  });

  test('refuses a depth past one block, panels that do not fit, and β other than 0 or 1', () => {
    const A = { data: new Float64Array(600), ld: 300, trans: false };
    const C = { data: new Float64Array(10), ld: 5, trans: false };
    expect(() => gemmOnPanels(2, 5, 300, A, new Float64Array(4000), 1200, 0, C)).toThrow('gemmOnPanels: the depth must be 1 … 256 (one block), got 300');
    expect(() => gemmOnPanels(2, 5, 4, A, new Float64Array(20), 8, 0, C)).toThrow('gemmOnPanels: the panels need W[8 …] for A and W[8 … 28) for B, in 20 elements');
    expect(() => gemmOnPanels(2, 5, 4, A, new Float64Array(20), 4, 0, C)).toThrow(/the panels need W\[8 …\] for A/);
    expect(() => gemmOnPanels(2, 5, 4, A, new Float64Array(40), 8, 0.5, C)).toThrow('gemmOnPanels: β must be 0 or 1, got 0.5');
  });
});

interface Case {
  N: number; C: number; OC: number; H: number; W: number; r: number; pad: number; m: number; dtype: DType; bias: boolean;
}

type Run = WinogradSaved & { y: FloatArray; dx: FloatArray; dW: FloatArray };

/** Plain forward and backward; panel forward, plain backward; both in panels. */
function bothPaths(c: Case): { plain: Run; panels: Run; chained: Run } {
  const { N, C, OC, H, W, r, pad, m, dtype } = c;
  const seed = N * 1000 + C * 100 + OC * 10 + m;
  const x = randn([N, C, H, W], { rng: seed, dtype }).data;
  const weight = randn([OC, C, r, r], { rng: seed + 1, dtype }).data;
  const bias = c.bias ? randn([OC], { rng: seed + 2, dtype }).data : null;
  const g = { ...windowGeometry('test', [N, C, H, W], r, r, 1, pad), OC };
  const wg = winogradGeometry(g, m);
  const U = winogradKernelTransform(weight, OC, C, winogradMatrices(m, r));
  const dy = randn([N, OC, g.OH, g.OW], { rng: seed + 3, dtype }).data;
  const run = (forward: typeof winogradForward, backward: typeof winogradBackward) => {
    const alloc = (n: number): FloatArray => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));
    const y = alloc(N * OC * g.OH * g.OW);
    const saved = forward(x, U, bias, wg, y, true);
    const dx = alloc(x.length);
    const dW = alloc(weight.length);
    backward(dy, saved, dx, dW);
    return { ...saved, V: saved.V.slice(), y, dx, dW };
  };
  return { plain: run(winogradForward, winogradBackward), panels: run(winogradForwardPanels, winogradBackward), chained: run(winogradForwardPanels, winogradBackwardPanels) };
}

describe('winogradForwardPanels and winogradBackwardPanels: the same results as the plain passes, bit for bit', () => {
  const cases: Case[] = [
    { N: 5, C: 20, OC: 50, H: 12, W: 12, r: 5, pad: 0, m: 8, dtype: 'float32', bias: true }, // LeNet's conv2, 5 images
    { N: 25, C: 20, OC: 50, H: 12, W: 12, r: 5, pad: 0, m: 8, dtype: 'float32', bias: true }, // a training shard
    { N: 5, C: 20, OC: 50, H: 12, W: 12, r: 5, pad: 0, m: 4, dtype: 'float64', bias: true }, // four tiles per image
    { N: 5, C: 1, OC: 3, H: 10, W: 14, r: 3, pad: 0, m: 4, dtype: 'float32', bias: true }, // C = 1, odd OC, not square
    { N: 10, C: 3, OC: 7, H: 8, W: 8, r: 3, pad: 1, m: 2, dtype: 'float64', bias: false }, // padding, no bias
    { N: 5, C: 4, OC: 2, H: 9, W: 9, r: 5, pad: 2, m: 3, dtype: 'float32', bias: false }, // odd m
  ];
  test.each(cases.map((c) => [`N=${c.N} C=${c.C} OC=${c.OC} ${c.H}×${c.W} r=${c.r} pad=${c.pad} m=${c.m} ${c.dtype}${c.bias ? ' bias' : ''}`, c] as const))('%s: y, V, ∂L/∂x and ∂L/∂W', (_, c) => {
    const { plain, panels, chained } = bothPaths(c);
    expect(winogradPanelsApply(panels.wg)).toBe(true);
    expect(panels.vPanels).not.toBeNull();
    expectSameBits(panels.y, plain.y, 'y');
    // V_ξ[c, t] read out of the panels
    const { alpha, C, T } = plain.wg;
    const { base, stride } = panels.vPanels!;
    const V = new Float64Array(alpha * alpha * C * T);
    for (let xi = 0; xi < alpha * alpha; xi++) for (let ch = 0; ch < C; ch++) for (let t = 0; t < T; t++) V[(xi * C + ch) * T + t] = panels.V[base + xi * stride + panelOffset(ch, t, C)];
    expectSameBits(V, plain.V, 'V');
    expectSameBits(panels.dx, plain.dx, '∂L/∂x');
    expectSameBits(panels.dW, plain.dW, '∂L/∂W');
    expectSameBits(chained.dx, plain.dx, '∂L/∂x of the backward chain');
    expectSameBits(chained.dW, plain.dW, '∂L/∂W of the backward chain');
  });

  test('applies only with T a multiple of 5 and every tile inside y, and says so when called anyway', () => {
    const geometry = (N: number, H: number) => winogradGeometry({ ...windowGeometry('test', [N, 2, H, H], 3, 3, 1, 0), OC: 2 }, 4);
    expect(winogradPanelsApply(geometry(5, 10))).toBe(true); // 8×8 outputs: 4 whole tiles, T = 20
    expect(winogradPanelsApply(geometry(3, 10))).toBe(false); // T = 12
    expect(winogradPanelsApply(geometry(5, 9))).toBe(false); // 7×7 outputs: partial tiles
    const wg = geometry(3, 10);
    expect(() => winogradForwardPanels(new Float64Array(300), new Float64Array(36 * 4), null, wg, new Float64Array(3 * 2 * 64))).toThrow(
      'winogradForwardPanels: needs T a multiple of 5 and whole tiles, got T = 12, 8×8 outputs in 4×4 tiles',
    );
    const saved = { wg, mat: winogradMatrices(4, 3), U: new Float64Array(36 * 4), V: new Float64Array(36 * 2 * 12), vPanels: null };
    expect(() => winogradBackwardPanels(new Float64Array(3 * 2 * 64), saved, new Float64Array(300), null)).toThrow(
      'winogradBackwardPanels: needs T a multiple of 5 and whole tiles, got T = 12, 8×8 outputs in 4×4 tiles',
    );
  });
});
