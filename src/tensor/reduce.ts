/**
 * Reductions: over a whole tensor, and over the rows of a 2-D tensor [N, K].
 *   sumAll: Σᵢ xᵢ          argmaxRows: a[n] = the first k attaining max_k x[n,k]
 */
import { assertRank } from './shape.ts';
import type { Tensor } from './tensor.ts';

/** Σᵢ xᵢ, accumulated in float64. */
export function sumAll(x: Tensor): number {
  let s = 0;
  const a = x.data;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

/** Index of the first maximum in each row of x [N, K] → Int32Array [N]. */
export function argmaxRows(x: Tensor): Int32Array {
  assertRank('argmaxRows', 'x', x.shape, 2, '[N, K]');
  const [N, K] = x.shape;
  if (K === 0) throw new RangeError('argmaxRows: rows are empty (K = 0), the argmax is undefined');
  const out = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    const rowOff = n * K;
    let best = 0;
    for (let k = 1; k < K; k++) if (x.data[rowOff + k] > x.data[rowOff + best]) best = k;
    out[n] = best;
  }
  return out;
}
