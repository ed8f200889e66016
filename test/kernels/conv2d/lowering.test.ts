import { describe, expect, test } from 'vitest';
import { gemm, gemmIndexed } from '../../../src/kernels/gemm/gemm.ts';
import { cropImages, im2colOffsets, nchwAsMatrix, padImages } from '../../../src/kernels/conv2d/lowering.ts';
import { col2im, im2col } from '../../../src/kernels/reference/im2col.ts';
import { Rng } from '../../../src/tensor/rng.ts';
import { windowGeometry } from '../../../src/tensor/window.ts';

/**
 * The implicit im2col matrix (offset tables into x, or into its zero-padded copy) is the explicit
 * one element for element; gemmIndexed over it equals gemm over the explicit cols, and its
 * scattered C equals col2im of the explicit product.
 */
const configs = [
  { x: [2, 1, 28, 28], k: 5, stride: 1, pad: 0 }, // LeNet conv1
  { x: [3, 20, 12, 12], k: 5, stride: 1, pad: 0 }, // LeNet conv2
  { x: [2, 3, 7, 9], k: 3, stride: 2, pad: 1 },
  { x: [1, 2, 6, 5], k: 2, stride: 3, pad: 2 },
];

const random = (n: number, seed: number): Float64Array => {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => rng.normal());
};

function expectClose(got: Float64Array, want: Float64Array, rel: number): void {
  expect(got.length).toBe(want.length);
  let scale = 1e-300;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(rel * scale);
}

describe('im2colOffsets and padImages describe the im2col matrix', () => {
  test.each(configs)('x=$x k=$k stride=$stride pad=$pad', ({ x: shape, k, stride, pad }) => {
    const g = windowGeometry('test', shape, k, k, stride, pad);
    const x = random(shape.reduce((a, b) => a * b, 1), 1);
    const R = g.C * k * k;
    const NQ = g.N * g.OH * g.OW;
    const cols = new Float64Array(R * NQ);
    im2col(x, g, cols);
    const { xp, gp } = pad === 0 ? { xp: x, gp: g } : padImages(x, g);
    const { rowOffset, colOffset } = im2colOffsets(gp);
    expect([rowOffset.length, colOffset.length]).toEqual([R, NQ]);
    for (let r = 0; r < R; r++) for (let j = 0; j < NQ; j++) expect(xp[rowOffset[r] + colOffset[j]]).toBe(cols[r * NQ + j]);

    // the GEMMs built on it, exactly as gemm computes them over the explicit cols:
    // W·cols (forward: rows of cols by rowOffset) and dY·colsᵀ (dWeight: the tables swapped)
    const OC = 7;
    for (const [N, K, A, kOff, jOff, transB] of [
      [NQ, R, random(OC * R, 2), rowOffset, colOffset, false],
      [R, NQ, random(OC * NQ, 3), colOffset, rowOffset, true],
    ] as const) {
      const expected = new Float64Array(OC * N);
      gemm(false, transB, OC, N, K, A, K, cols, NQ, 0, expected, N);
      const got = new Float64Array(OC * N);
      gemmIndexed(OC, N, K, { data: A, ld: K, trans: false }, { data: xp, rowOffset: kOff, colOffset: jOff }, 0, { data: got, ld: N, trans: false });
      expect(Array.from(got)).toEqual(Array.from(expected));
    }

    // and the backward to x: Wᵀ·dY added into dx through the offsets equals col2im(Wᵀ·dY)
    const W = random(OC * R, 4);
    const dY = random(OC * NQ, 5);
    const dcols = new Float64Array(R * NQ);
    gemm(true, false, R, NQ, OC, W, R, dY, NQ, 0, dcols, NQ);
    const dxRef = new Float64Array(x.length);
    col2im(dcols, g, dxRef);
    const dxp = new Float64Array(xp.length);
    gemmIndexed(R, NQ, OC, { data: W, ld: R, trans: true }, { data: dY, ld: NQ, trans: false }, 1, { data: dxp, rowOffset, colOffset });
    expectClose(pad === 0 ? dxp : cropImages(dxp, g), dxRef, 1e-13);
  });

  test('padImages puts x inside a zero border, and cropImages takes it out', () => {
    const g = windowGeometry('test', [1, 1, 2, 2], 2, 2, 1, 1);
    const { xp, gp } = padImages(new Float32Array([1, 2, 3, 4]), g);
    expect(xp).toBeInstanceOf(Float32Array);
    expect(Array.from(xp)).toEqual([0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
    expect([gp.H, gp.W, gp.pad, gp.OH, gp.OW]).toEqual([4, 4, 0, 3, 3]);
    expect(Array.from(cropImages(xp, g))).toEqual([1, 2, 3, 4]);
  });

  test('nchwAsMatrix reads y [N, C, Q] as Y [C, N·Q]', () => {
    const y = Float64Array.from({ length: 2 * 3 * 4 }, (_, i) => i); // [2, 3, 4]
    const { rowOffset, colOffset } = nchwAsMatrix(2, 3, 4);
    // Y[c, n·4 + q] = y[n, c, q]
    for (let c = 0; c < 3; c++) for (let n = 0; n < 2; n++) for (let q = 0; q < 4; q++) expect(y[rowOffset[c] + colOffset[n * 4 + q]]).toBe((n * 3 + c) * 4 + q);
  });
});

describe('bad input', () => {
  test('im2colOffsets refuses a padded geometry', () => {
    expect(() => im2colOffsets(windowGeometry('test', [1, 1, 4, 4], 3, 3, 1, 1))).toThrow(/must be unpadded .* got pad 1/);
  });
  test('gemmIndexed refuses offsets outside the data, too few offsets, β other than 0 or 1 on a gathered C, and a wrong addend', () => {
    const dense = { data: new Float64Array(4), ld: 2, trans: false };
    const gathered = (rows: number[], cols: number[]) => ({ data: new Float64Array(10), rowOffset: Int32Array.from(rows), colOffset: Int32Array.from(cols) });
    expect(() => gemmIndexed(2, 2, 2, dense, gathered([0, 5], [0, 5]), 0, dense)).toThrow(
      "gemmIndexed: B's offsets reach [0] … [10], but its data has 10 elements",
    );
    expect(() => gemmIndexed(2, 2, 2, gathered([0, -1], [0, 0]), dense, 0, dense)).toThrow(/A's offsets reach \[-1\]/);
    expect(() => gemmIndexed(2, 2, 2, dense, gathered([0], [0, 1]), 0, dense)).toThrow(
      'gemmIndexed: B needs 2 row offsets and 2 column offsets, got 1 and 2',
    );
    expect(() => gemmIndexed(2, 2, 2, dense, dense, 0.5, gathered([0, 2], [0, 1]))).toThrow(/accumulated into \(β = 1\) or overwritten \(β = 0\), got β = 0.5/);
    expect(() => gemmIndexed(2, 2, 2, dense, dense, 1, dense, { rows: new Float64Array(2) })).toThrow('gemmIndexed: an addend needs β = 0 (it replaces C\'s old contents), got β = 1');
    expect(() => gemmIndexed(2, 2, 2, dense, dense, 0, dense, { cols: new Float64Array(1) })).toThrow('gemmIndexed: the column addend needs 2 values, got 1');
    expect(() => gemmIndexed(2, 2, 2, dense, dense, 0, dense, { rows: new Float32Array(1) })).toThrow('gemmIndexed: the row addend needs 2 values, got 1');
  });
});
