/**
 * Reductions over a whole tensor and over the rows of a 2-D tensor [N, K].
 *   sumAll: Σᵢ xᵢ          sumRows: s[n] = Σ_k x[n,k]
 *   maxRows: m[n] = max_k x[n,k]   argmaxRows: a[n] = the first k attaining m[n]
 */
import { assertRank } from './shape.ts';
import { allocate, Tensor } from './tensor.ts';

/** Σᵢ xᵢ, accumulated in float64. */
export function sumAll(x: Tensor): number {
  let s = 0;
  const a = x.data;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

/** Row sums of x [N, K] → [N]. */
export function sumRows(x: Tensor): Tensor {
  assertRank('sumRows', 'x', x.shape, 2, '[N, K]');
  const [N, K] = x.shape;
  const out = allocate(x.dtype, N); // [N]
  for (let n = 0; n < N; n++) {
    let s = 0;
    const rowOff = n * K; // seek to x[n, 0]
    for (let k = 0; k < K; k++) s += x.data[rowOff + k];
    out[n] = s;
  }
  return new Tensor(out, [N]);
}

/** Row maxima of x [N, K] → [N]; K must be ≥ 1. */
export function maxRows(x: Tensor): Tensor {
  assertRank('maxRows', 'x', x.shape, 2, '[N, K]');
  const [N, K] = x.shape;
  if (K === 0) throw new RangeError('maxRows: rows are empty (K = 0), the maximum is undefined');
  const out = allocate(x.dtype, N); // [N]
  for (let n = 0; n < N; n++) {
    const rowOff = n * K;
    let m = x.data[rowOff]; // start from the first element, never a sentinel
    for (let k = 1; k < K; k++) if (x.data[rowOff + k] > m) m = x.data[rowOff + k];
    out[n] = m;
  }
  return new Tensor(out, [N]);
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
