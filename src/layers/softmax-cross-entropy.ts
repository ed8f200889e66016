/**
 * Softmax and the softmax log-loss (cross-entropy), fused.
 *
 *   p[n,k] = exp(z[n,k] − m[n]) / Σ_j exp(z[n,j] − m[n]),   m[n] = max_j z[n,j]
 *   L      = −(1/N) Σ_n log p[n, y_n]
 *          = (1/N) Σ_n (m[n] + log Σ_j exp(z[n,j] − m[n]) − z[n, y_n])
 *   ∂L/∂z[n,k] = (p[n,k] − 1[k = y_n]) / N
 *
 * Subtracting the row max m[n] keeps every exponent ≤ 0, so logits of ±1e4 give a finite loss and
 * gradient. Differentiating through exp, sum and log separately would be longer and less stable;
 * the fused backward is the lesson. Forward keeps p, which is all backward needs.
 */
import { defineOp, type Variable } from '../autograd/variable.ts';
import { formatShape } from '../tensor/shape.ts';
import { allocate, Tensor } from '../tensor/tensor.ts';

/** Row-wise softmax of logits [N, K] (plain kernel). */
export function softmaxForward(logits: Tensor): Tensor {
  if (logits.rank !== 2) throw new RangeError(`softmax: logits must be 2-D [N, K], got shape ${formatShape(logits.shape)}`);
  const [N, K] = logits.shape;
  const p = allocate(logits.dtype, N * K); // [N, K]
  const z = logits.data;
  for (let n = 0; n < N; n++) {
    const off = n * K;
    let m = z[off];
    for (let k = 1; k < K; k++) if (z[off + k] > m) m = z[off + k];
    let s = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(z[off + k] - m);
      p[off + k] = e;
      s += e;
    }
    for (let k = 0; k < K; k++) p[off + k] /= s;
  }
  return new Tensor(p, [N, K]);
}

/** Throws unless labels are N integers in [0, K). Returns them as an Int32Array. */
export function checkLabels(op: string, labels: ArrayLike<number>, N: number, K: number): Int32Array {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
    throw new TypeError(`${op}: labels must be an array of ${N} class indices`);
  }
  if (labels.length !== N) throw new RangeError(`${op}: logits have N=${N} rows but there are ${labels.length} labels`);
  const out = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    const y = labels[n];
    if (!Number.isInteger(y)) throw new RangeError(`${op}: label ${n} is ${y}, expected an integer class index`);
    if (y < 0 || y >= K) throw new RangeError(`${op}: label ${n} is ${y}, outside the K=${K} classes [0, ${K - 1}]`);
    out[n] = y;
  }
  return out;
}

/**
 * Mean softmax log-loss over the batch. @param logits [N, K] @param labels N integers in [0, K)
 * @returns a scalar Variable (shape [])
 */
export const softmaxCrossEntropy = defineOp('softmaxCrossEntropy', (logits: Variable, labels: ArrayLike<number>) => {
  if (logits.value.rank !== 2) throw new RangeError(`softmaxCrossEntropy: logits must be 2-D [N, K], got shape ${formatShape(logits.shape)}`);
  const [N, K] = logits.shape;
  if (N === 0) throw new RangeError('softmaxCrossEntropy: the batch is empty (N = 0), the mean loss is undefined');
  const y = checkLabels('softmaxCrossEntropy', labels, N, K);
  const p = softmaxForward(logits.value); // [N, K], kept for backward
  const z = logits.value.data;
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const off = n * K;
    let m = z[off];
    for (let k = 1; k < K; k++) if (z[off + k] > m) m = z[off + k];
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(z[off + k] - m);
    loss += m + Math.log(s) - z[off + y[n]]; // −log p[n, y_n], without forming log(p) ≈ log(0)
  }
  const value = allocate(logits.value.dtype, 1);
  value[0] = loss / N;
  return {
    value: new Tensor(value, []),
    backward: (dL) => {
      const scale = dL.data[0] / N;
      const dz = allocate(logits.value.dtype, N * K); // [N, K]
      for (let n = 0; n < N; n++)
        for (let k = 0; k < K; k++) dz[n * K + k] = scale * (p.data[n * K + k] - (k === y[n] ? 1 : 0));
      return [new Tensor(dz, [N, K])];
    },
  };
});

/**
 * Differentiable softmax, for confidences (rows sum to 1).
 *   ∂L/∂z[n,k] = p[n,k] · (dp[n,k] − Σ_j dp[n,j] p[n,j])
 */
export const softmax = defineOp('softmax', (logits: Variable) => {
  const p = softmaxForward(logits.value);
  return {
    value: p,
    backward: (dp) => {
      const [N, K] = p.shape;
      const dz = allocate(p.dtype, N * K);
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += dp.data[n * K + k] * p.data[n * K + k];
        for (let k = 0; k < K; k++) dz[n * K + k] = p.data[n * K + k] * (dp.data[n * K + k] - s);
      }
      return [new Tensor(dz, [N, K])];
    },
  };
});
