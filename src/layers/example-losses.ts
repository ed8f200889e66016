/**
 * Per-example losses on logits, the objectives that attacks climb. Each returns one value per
 * row, ℓ [N], so that an attack can back-propagate Σₙ ℓₙ (cotangent 1 per row): unlike a batch
 * mean, the sum gives every row a gradient that does not depend on how many rows share the batch.
 *
 * Sizes: N rows (examples), K classes; z = logits [N, K]; y [N] the class each row's loss is about.
 *
 * Cross-entropy (the softmax log-loss of one row; as softmax-cross-entropy.ts, without the mean):
 *   ℓₙ          = mₙ + log Σ_j exp(z[n,j] − mₙ) − z[n,yₙ],   mₙ = max_j z[n,j]
 *   ∂ℓₙ/∂z[n,k] = p[n,k] − 1[k = yₙ]
 *
 * Logit margin (Carlini & Wagner 2017; the loss of APGD-DLR's family):
 *   ℓₙ          = max_{j≠yₙ} z[n,j] − z[n,yₙ]                 (> 0 exactly when row n is misclassified)
 *   ∂ℓₙ/∂z[n,k] = 1[k = jₙ*] − 1[k = yₙ],   jₙ* = argmax_{j≠yₙ} z[n,j] (the first on ties)
 *
 * Why the margin: a confident network's softmax saturates in float32 (p[n,yₙ] rounds to 1, every
 * other p to ~0), so ∂ℓ/∂z of the cross-entropy vanishes and a gradient attack stalls, although the
 * model is no more robust. The margin's gradient is ±1 whatever the confidence.
 */
import { defineOp, type Variable } from '../autograd/variable.ts';
import { formatShape } from '../tensor/shape.ts';
import { allocate, Tensor } from '../tensor/tensor.ts';
import { checkLabels, softmaxForward } from './softmax-cross-entropy.ts';

function checkLogits(op: string, logits: Variable): [number, number] {
  if (logits.value.rank !== 2) throw new RangeError(`${op}: logits must be 2-D [N, K], got shape ${formatShape(logits.shape)}`);
  const [N, K] = logits.shape;
  if (K < 2) throw new RangeError(`${op}: needs at least 2 classes, got logits of shape ${formatShape(logits.shape)}`);
  return [N, K];
}

/**
 * Softmax log-loss of each row. @param logits [N, K] @param labels N integers in [0, K)
 * @returns ℓ [N]
 */
export const crossEntropyPerExample = defineOp('crossEntropyPerExample', (logits: Variable, labels: ArrayLike<number>) => {
  const [N, K] = checkLogits('crossEntropyPerExample', logits);
  const y = checkLabels('crossEntropyPerExample', labels, N, K);
  const z = logits.value.data;
  const loss = allocate(logits.value.dtype, N); // [N]
  for (let n = 0; n < N; n++) {
    const off = n * K; // seek to row n
    let m = z[off];
    for (let k = 1; k < K; k++) if (z[off + k] > m) m = z[off + k];
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(z[off + k] - m);
    loss[n] = m + Math.log(s) - z[off + y[n]];
  }
  return {
    value: new Tensor(loss, [N]),
    backward: (dLoss) => {
      const p = softmaxForward(logits.value).data; // [N, K], recomputed: cheaper than keeping it for every call
      const dz = allocate(logits.value.dtype, N * K); // [N, K]
      for (let n = 0; n < N; n++) {
        const d = dLoss.data[n];
        for (let k = 0; k < K; k++) dz[n * K + k] = d * (p[n * K + k] - (k === y[n] ? 1 : 0));
      }
      return [new Tensor(dz, [N, K])];
    },
  };
});

/** j* = argmax_{j≠y} z[n, j] for row n (the first on ties). */
function runnerUp(z: ArrayLike<number>, off: number, K: number, y: number): number {
  let best = y === 0 ? 1 : 0;
  for (let k = best + 1; k < K; k++) if (k !== y && z[off + k] > z[off + best]) best = k;
  return best;
}

/**
 * Logit margin of each row, max_{j≠y} z_j − z_y. @param logits [N, K] @param labels N integers in [0, K)
 * @returns ℓ [N]
 */
export const marginPerExample = defineOp('marginPerExample', (logits: Variable, labels: ArrayLike<number>) => {
  const [N, K] = checkLogits('marginPerExample', logits);
  const y = checkLabels('marginPerExample', labels, N, K);
  const z = logits.value.data;
  const other = new Int32Array(N); // [N] j*, kept for backward
  const loss = allocate(logits.value.dtype, N); // [N]
  for (let n = 0; n < N; n++) {
    other[n] = runnerUp(z, n * K, K, y[n]);
    loss[n] = z[n * K + other[n]] - z[n * K + y[n]];
  }
  return {
    value: new Tensor(loss, [N]),
    backward: (dLoss) => {
      const dz = allocate(logits.value.dtype, N * K); // [N, K]
      for (let n = 0; n < N; n++) {
        dz[n * K + other[n]] = dLoss.data[n];
        dz[n * K + y[n]] = -dLoss.data[n];
      }
      return [new Tensor(dz, [N, K])];
    },
  };
});
