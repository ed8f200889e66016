/**
 * The difference-of-logits-ratio loss (DLR; Croce & Hein 2020), per example: the margin of the
 * true class divided by the spread of the top logits, so it does not change when the logits are
 * scaled (z ↦ a·z, a > 0) or shifted (z ↦ z + b). A model that only scales its logits up (which
 * saturates the softmax and starves the cross-entropy of gradient) cannot hide from it.
 *
 * Sizes: N rows, K ≥ 3 classes (4 for the targeted form); z = logits [N, K]; y [N] true labels,
 * t [N] targets; π₁ ≥ π₂ ≥ π₃ ≥ π₄ the classes of row n sorted by logit, largest first; δ = 1e-12.
 *
 *   untargeted:  ℓₙ = −(z_y − max_{i≠y} z_i) / (z_π₁ − z_π₃ + δ)
 *   targeted:    ℓₙ = −(z_y − z_t) / (z_π₁ − (z_π₃ + z_π₄)/2 + δ)
 *
 * ℓₙ > 0 exactly when the row is misclassified (untargeted) or z_t > z_y (targeted). Writing
 * ℓ = −u/d (u the numerator, d the denominator), the gradient is
 *
 *   ∂ℓ/∂z_k = −(∂u/∂z_k)/d + u·(∂d/∂z_k)/d²
 *   ∂u/∂z_k = 1[k = y] − 1[k = m]      (m = argmax_{i≠y} z_i, or m = t when targeted)
 *   ∂d/∂z_k = 1[k = π₁] − 1[k = π₃]    (targeted: 1[k = π₁] − ½·1[k = π₃] − ½·1[k = π₄])
 *
 * where the same class may appear in several terms (y = π₁, say): the terms add. Ties in the sort
 * are broken by the smaller class index (a kink, like the max in the margin loss).
 */
import { defineOp, type Variable } from '../autograd/variable.ts';
import { formatShape } from '../tensor/shape.ts';
import { allocate, Tensor } from '../tensor/tensor.ts';
import { checkLabels } from './softmax-cross-entropy.ts';

/** δ of the denominator: keeps ℓ finite when the top logits coincide. */
export const DLR_DELTA = 1e-12;

function checkLogits(op: string, logits: Variable, minK: number): [number, number] {
  if (logits.value.rank !== 2) throw new RangeError(`${op}: logits must be 2-D [N, K], got shape ${formatShape(logits.shape)}`);
  const [N, K] = logits.shape;
  if (K < minK) throw new RangeError(`${op}: needs at least ${minK} classes, got logits of shape ${formatShape(logits.shape)}`);
  return [N, K];
}

/** The classes of row `off` sorted by logit, largest first (ties: smaller index first). */
function sortedClasses(z: ArrayLike<number>, off: number, K: number): number[] {
  return Array.from({ length: K }, (_, k) => k).sort((a, b) => z[off + b] - z[off + a] || a - b);
}

/** One row's pieces: u, d, the classes of u's two terms, and d's terms as (class, weight) pairs. */
interface RowTerms {
  u: number;
  d: number;
  plus: number; // the class with +1 in u (y)
  minus: number; // the class with −1 in u (m or t)
  dTerms: Array<[number, number]>;
}

function dlrOp(name: string, targeted: boolean) {
  return defineOp(name, (logits: Variable, labels: ArrayLike<number>, targets?: ArrayLike<number>) => {
    const [N, K] = checkLogits(name, logits, targeted ? 4 : 3);
    const y = checkLabels(name, labels, N, K);
    const t = targeted ? checkLabels(`${name} (targets)`, targets ?? [], N, K) : null;
    const z = logits.value.data;
    const rows: RowTerms[] = [];
    const loss = allocate(logits.value.dtype, N); // [N]
    for (let n = 0; n < N; n++) {
      const off = n * K; // seek to row n
      const pi = sortedClasses(z, off, K);
      const minus = t !== null ? t[n] : pi[0] === y[n] ? pi[1] : pi[0]; // the target, or the best other class
      const dTerms: Array<[number, number]> = t !== null ? [[pi[0], 1], [pi[2], -0.5], [pi[3], -0.5]] : [[pi[0], 1], [pi[2], -1]];
      const u = z[off + y[n]] - z[off + minus];
      const d = dTerms.reduce((s, [k, w]) => s + w * z[off + k], 0) + DLR_DELTA;
      rows.push({ u, d, plus: y[n], minus, dTerms });
      loss[n] = -u / d;
    }
    return {
      value: new Tensor(loss, [N]),
      backward: (dLoss) => {
        const dz = allocate(logits.value.dtype, N * K); // [N, K]
        for (let n = 0; n < N; n++) {
          const { u, d, plus, minus, dTerms } = rows[n];
          const g = dLoss.data[n];
          dz[n * K + plus] += -g / d;
          dz[n * K + minus] += g / d;
          for (const [k, w] of dTerms) dz[n * K + k] += (g * u * w) / (d * d);
        }
        return [new Tensor(dz, [N, K])];
      },
    };
  });
}

/**
 * Untargeted DLR of each row. @param logits [N, K], K ≥ 3 @param labels N true labels in [0, K)
 * @returns ℓ [N]
 */
export const dlrPerExample: (logits: Variable, labels: ArrayLike<number>) => Variable = dlrOp('dlrPerExample', false);

/**
 * Targeted DLR of each row. @param logits [N, K], K ≥ 4 @param labels N true labels
 * @param targets N target classes @returns ℓ [N]
 */
export const dlrTargetedPerExample: (logits: Variable, labels: ArrayLike<number>, targets: ArrayLike<number>) => Variable = dlrOp('dlrTargetedPerExample', true);
