/**
 * The Kullback–Leibler divergence between the softmax distributions of two logit rows, per row:
 * TRADES's robustness term (Zhang et al. 2019), how far the prediction on x_adv moved from the
 * prediction on x.
 *
 * Sizes: N rows, K classes; a = logits on x [N, K] (p = softmax(a)), b = logits on x_adv [N, K]
 * (q = softmax(b)). With log-softmax from the row max (as softmax-cross-entropy.ts, so logits of
 * ±1e4 stay finite), lp = log p, lq = log q:
 *
 *   ℓₙ            = Σ_k p[n,k] · (lp[n,k] − lq[n,k])                       ≥ 0, 0 when p = q
 *   ∂ℓₙ/∂b[n,k]   = q[n,k] − p[n,k]                                        (a cross-entropy with soft target p)
 *   ∂ℓₙ/∂a[n,k]   = p[n,k] · (lp[n,k] − lq[n,k] − ℓₙ)
 *
 * The second: ∂p_j/∂a_k = p_j(δ_jk − p_k), so ∂ℓ/∂a_k = Σ_j p_j(δ_jk − p_k)(lp_j − lq_j + 1); the
 * +1 cancels (Σ_j p_j(δ_jk − p_k) = 0), leaving p_k(l_k − Σ_j p_j l_j) with l = lp − lq. One value
 * per row, as the per-example losses of example-losses.ts: back-propagating Σₙ ℓₙ gives every row a
 * gradient that does not depend on the other rows (the inner attack, attacks/kl-pgd.ts, needs
 * that); the training loss takes their mean. Forward keeps p, q, lp − lq and ℓ: all backward needs.
 */
import { defineOp, type Variable } from '../autograd/variable.ts';
import { formatShape } from '../tensor/shape.ts';
import { allocate, Tensor, type FloatArray } from '../tensor/tensor.ts';

/** log-softmax of row n of z [·, K] into out[0..K), from the row max. */
function logSoftmaxRow(z: FloatArray, off: number, K: number, out: Float64Array): void {
  let m = z[off];
  for (let k = 1; k < K; k++) if (z[off + k] > m) m = z[off + k];
  let s = 0;
  for (let k = 0; k < K; k++) s += Math.exp(z[off + k] - m);
  const logS = Math.log(s);
  for (let k = 0; k < K; k++) out[k] = z[off + k] - m - logS;
}

/**
 * KL(softmax(a) ‖ softmax(b)) of each row. @param clean a [N, K] @param adversarial b [N, K]
 * @returns ℓ [N]
 */
export const klDivergencePerExample = defineOp('klDivergencePerExample', (clean: Variable, adversarial: Variable) => {
  if (clean.value.rank !== 2 || !(adversarial.value.rank === 2 && adversarial.shape[0] === clean.shape[0] && adversarial.shape[1] === clean.shape[1])) {
    throw new RangeError(`klDivergencePerExample: both logits must be [N, K] of one shape, got ${formatShape(clean.shape)} and ${formatShape(adversarial.shape)}`);
  }
  const [N, K] = clean.shape;
  const dtype = clean.value.dtype;
  const p = allocate(dtype, N * K); // [N, K]
  const q = allocate(dtype, N * K); // [N, K]
  const diff = new Float64Array(N * K); // [N, K] lp − lq, in float64
  const loss = allocate(dtype, N); // [N]
  const rowLoss = new Float64Array(N); // [N] ℓ before rounding to dtype, for backward
  const lp = new Float64Array(K); // [K]
  const lq = new Float64Array(K); // [K]
  for (let n = 0; n < N; n++) {
    const off = n * K; // seek to row n
    logSoftmaxRow(clean.value.data, off, K, lp);
    logSoftmaxRow(adversarial.value.data, off, K, lq);
    let l = 0;
    for (let k = 0; k < K; k++) {
      const pk = Math.exp(lp[k]);
      p[off + k] = pk;
      q[off + k] = Math.exp(lq[k]);
      diff[off + k] = lp[k] - lq[k];
      l += pk * diff[off + k];
    }
    rowLoss[n] = l;
    loss[n] = l;
  }
  return {
    value: new Tensor(loss, [N]),
    backward: (dl, needs) => {
      const da = needs[0] ? allocate(dtype, N * K) : null; // [N, K]
      const db = needs[1] ? allocate(dtype, N * K) : null; // [N, K]
      for (let n = 0; n < N; n++) {
        const off = n * K;
        const g = dl.data[n];
        for (let k = 0; k < K; k++) {
          if (da !== null) da[off + k] = g * p[off + k] * (diff[off + k] - rowLoss[n]);
          if (db !== null) db[off + k] = g * (q[off + k] - p[off + k]);
        }
      }
      return [da === null ? null : new Tensor(da, [N, K]), db === null ? null : new Tensor(db, [N, K])];
    },
  };
});
