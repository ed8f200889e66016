import { describe, expect, test } from 'vitest';
import { conv2dBackward, conv2dBackwardDirect, conv2dForward, conv2dForwardDirect } from '../../src/layers/conv2d.ts';
import { conv2dBackwardIm2col, conv2dForwardIm2col } from '../../src/layers/conv2d-im2col.ts';
import { randn, tensor } from '../../src/tensor/create.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';

const r64 = (shape: number[], seed: number): Tensor => randn(shape, { rng: seed, dtype: 'float64' });

function expectClose(a: Tensor, b: Tensor, rel: number, what: string): void {
  expect(a.shape, what).toEqual(b.shape);
  let scale = 0;
  for (const v of b.data) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < a.size; i++) {
    if (Math.abs(a.data[i] - b.data[i]) > rel * Math.max(scale, 1e-300)) expect.fail(`${what}: element ${i}: ${a.data[i]} vs ${b.data[i]}`);
  }
}

const configs: Array<{ x: number[]; w: number[]; stride: number; pad: number }> = [
  { x: [1, 1, 5, 5], w: [1, 1, 3, 3], stride: 1, pad: 0 },
  { x: [2, 3, 5, 5], w: [4, 3, 3, 3], stride: 2, pad: 1 },
  { x: [2, 2, 6, 5], w: [3, 2, 2, 3], stride: 1, pad: 2 },
  { x: [1, 3, 7, 6], w: [2, 3, 3, 2], stride: 2, pad: 0 },
  { x: [2, 2, 3, 3], w: [2, 2, 1, 1], stride: 1, pad: 1 },
  { x: [1, 2, 8, 8], w: [3, 2, 5, 5], stride: 3, pad: 2 },
  { x: [3, 20, 12, 12], w: [5, 20, 5, 5], stride: 1, pad: 0 }, // the LeNet's conv2, 5 filters
];

describe('conv2d by explicit im2col + GEMM', () => {
  test('by hand: a 3×3 input, 2×2 kernel, bias 1', () => {
    const y = conv2dForwardIm2col(tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]), tensor([1, 0, 0, -1], [1, 1, 2, 2]), tensor([1], [1]));
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(y.toArray()).toEqual([1 - 5 + 1, 2 - 6 + 1, 4 - 8 + 1, 5 - 9 + 1]);
  });

  test.each(configs.map((c) => ({ ...c, name: `x=[${c.x}] w=[${c.w}] s=${c.stride} p=${c.pad}` })))(
    'equals the direct loops and the implicit GEMM, forward and backward, $name',
    (c) => {
      const x = r64(c.x, 1);
      const w = r64(c.w, 2);
      const b = r64([c.w[0]], 3);
      const y = conv2dForwardIm2col(x, w, b, c);
      const { y: yImplicit, lowered } = conv2dForward(x, w, b, c);
      expectClose(y, conv2dForwardDirect(x, w, b, c), 1e-12, 'y vs direct');
      expectClose(y, yImplicit, 1e-12, 'y vs implicit');
      const dy = r64(y.shape as number[], 4);
      const mine = conv2dBackwardIm2col(dy, x, w, c);
      const direct = conv2dBackwardDirect(dy, x, w, c);
      const implicit = conv2dBackward(dy, x, w, lowered, c, { dx: true, dWeight: true, dBias: true });
      for (const key of ['dx', 'dWeight', 'dBias'] as const) {
        expectClose(mine[key], direct[key], 1e-12, `${key} vs direct`);
        expectClose(mine[key], implicit[key]!, 1e-12, `${key} vs implicit`);
      }
    },
  );

  test('bad shapes name the op and the values', () => {
    const x = r64([1, 2, 5, 5], 1);
    expect(() => conv2dForwardIm2col(x, r64([3, 1, 3, 3], 2), null)).toThrow('conv2d: x has C=2 channels but weight expects C=1');
    expect(() => conv2dBackwardIm2col(r64([1, 3, 2, 2], 3), x, r64([3, 2, 3, 3], 2))).toThrow(
      'conv2dBackwardIm2col: dy must have shape [1,3,3,3] (the output\'s), got [1,3,2,2]',
    );
  });
});
