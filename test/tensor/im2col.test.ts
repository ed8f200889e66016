import { describe, expect, test } from 'vitest';
import { gemm, gemmGatherB } from '../../src/tensor/gemm.ts';
import { im2col, im2colOffsets, padImages } from '../../src/tensor/im2col.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { windowGeometry } from '../../src/tensor/window.ts';

/**
 * The implicit im2col matrix (offset tables into x, or into its zero-padded copy) is the explicit
 * one element for element, and gemmGatherB over it equals gemm over the explicit cols.
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

describe('im2colOffsets and padImages describe the im2col matrix', () => {
  test.each(configs)('x=$x k=$k stride=$stride pad=$pad: cols[r, j] = src[rowOffset[r] + colOffset[j]]', ({ x: shape, k, stride, pad }) => {
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

    // and the GEMMs built on it, exactly as gemm computes them over the explicit cols:
    // W·cols (forward: rows of cols by rowOffset) and dY·colsᵀ (dWeight: the tables swapped)
    const OC = 7;
    for (const [N, K, A, kOff, jOff, transB] of [
      [NQ, R, random(OC * R, 2), rowOffset, colOffset, false],
      [R, NQ, random(OC * NQ, 3), colOffset, rowOffset, true],
    ] as const) {
      const expected = new Float64Array(OC * N);
      gemm(false, transB, OC, N, K, A, K, cols, NQ, 0, expected, N);
      const got = new Float64Array(OC * N);
      gemmGatherB(false, OC, N, K, A, K, xp, kOff, jOff, 0, got, N);
      expect(Array.from(got)).toEqual(Array.from(expected));
    }
  });

  test('padImages puts x inside a zero border', () => {
    const g = windowGeometry('test', [1, 1, 2, 2], 2, 2, 1, 1);
    const { xp, gp } = padImages(new Float32Array([1, 2, 3, 4]), g);
    expect(xp).toBeInstanceOf(Float32Array);
    expect(Array.from(xp)).toEqual([0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
    expect([gp.H, gp.W, gp.pad, gp.OH, gp.OW]).toEqual([4, 4, 0, 3, 3]);
  });
});

describe('bad input', () => {
  test('im2colOffsets refuses a padded geometry', () => {
    expect(() => im2colOffsets(windowGeometry('test', [1, 1, 4, 4], 3, 3, 1, 1))).toThrow(/must be unpadded .* got pad 1/);
  });
  test('gemmGatherB refuses offsets outside x, and too few offsets, instead of reading undefined', () => {
    const x = new Float64Array(10);
    const C = new Float64Array(4);
    const A = new Float64Array(4);
    expect(() => gemmGatherB(false, 2, 2, 2, A, 2, x, Int32Array.from([0, 5]), Int32Array.from([0, 5]), 0, C, 2)).toThrow(
      'gemmGatherB: offsets reach x[0] … x[10], but x has 10 elements',
    );
    expect(() => gemmGatherB(false, 2, 2, 2, A, 2, x, Int32Array.from([0, -1]), Int32Array.from([0, 0]), 0, C, 2)).toThrow(/x\[-1\]/);
    expect(() => gemmGatherB(false, 2, 2, 2, A, 2, x, Int32Array.from([0]), Int32Array.from([0, 1]), 0, C, 2)).toThrow(
      'gemmGatherB: need 2 row offsets and 2 column offsets, got 1 and 2',
    );
  });
});
