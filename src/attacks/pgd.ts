/**
 * L∞ projected gradient descent (Madry et al. 2018), the iterative attack every robustness claim
 * is checked against. With r = R·ε and α = R·stepSize in input units, R = `pixelRange` (default
 * 255, so grey levels; ε and stepSize are fractions of the pixel range, attack.ts):
 *
 *   x⁰     = x + U(−r, r) per pixel (random start; with clip, then clipped), or x⁰ = x without
 *   xᵗ⁺¹   = Π(xᵗ + α·sign(∇ₓ s·ℓ(z(xᵗ), c)))      Π: onto ‖· − x‖∞ ≤ r, then (clip) onto [0, R]
 *
 * for t = 0 … T−1, where ℓ is the cross-entropy or the logit margin (layers/example-losses.ts),
 * c the true label, the prediction, or the target, and s = +1 (untargeted) or −1 (targeted).
 * Defaults: T = 40 steps, α = 2.5·ε/T (Madry's ratio: the iterates can cross the ball 2.5 times),
 * random start on, one restart, cross-entropy. BIM / I-FGSM (Kurakin et al. 2016) is PGD without
 * the random start, and one step with α = ε and no start is FGSM bit for bit (fgsm.ts).
 *
 * What is returned. For each example, the best iterate x¹ … xᵀ over all restarts: one that fools
 * the model (misclassified; for a targeted attack, classified as the target) beats one that does
 * not; between two that both fool or both do not, the higher objective wins. With earlyStop (the
 * default) an example stops being attacked at its first fooling iterate, and later restarts run
 * only on the examples no earlier restart fooled (as AutoAttack does): the accuracy is that of
 * running every step, at a fraction of the cost on a non-robust model. earlyStop false runs every
 * step on every example (the per-step cost that the benchmark measures).
 *
 * Rows are independent: each example's result depends on its own pixels, label and stream only
 * (attack.ts), never on its batch, not even when the batch shrinks to one live row (the LeNet's
 * GEMMs never take the matrix–vector path on the batch axis, kernels/winograd/: one image costs
 * one row, and gets the bits it gets inside a batch).
 */
import { noGrad, Variable } from '../autograd/variable.ts';
import type { Module } from '../layers/module.ts';
import { argmaxRows } from '../tensor/reduce.ts';
import { Rng } from '../tensor/rng.ts';
import { recycling } from '../tensor/recycle.ts';
import { Tensor, type FloatArray } from '../tensor/tensor.ts';
import {
  checkAttackOptions,
  clipToPixels,
  exampleIndex,
  exampleLoss,
  objectiveGradient,
  objectiveOf,
  PIXEL_RANGE,
  projectedSignStep,
  STREAM,
  streamSeed,
  withFrozenParameters,
  type AttackLoss,
  type AttackOptions,
  type ExampleIndex,
  type Objective,
} from './attack.ts';

export interface PgdOptions extends AttackOptions {
  /** Gradient steps T ≥ 1 (default 40). */
  steps?: number;
  /** α as a fraction of the pixel range, > 0 (default 2.5·ε/steps). */
  stepSize?: number;
  /** Start from a uniform point of the ε-ball (default true); false gives BIM. */
  randomStart?: boolean;
  /** Runs from independent random starts, ≥ 1 (default 1); each example keeps its best. */
  restarts?: number;
  /** The per-example loss climbed: 'ce' (default) or 'margin'. */
  loss?: AttackLoss;
  /** Stop attacking an example at its first fooling iterate (default true). */
  earlyStop?: boolean;
}

/** Throws a RangeError naming the option, what was expected and what arrived. */
export function checkPgdOptions(options: PgdOptions, x?: Tensor, labels?: ArrayLike<number>, attack = 'pgd'): void {
  checkAttackOptions(attack, options, x, labels);
  const { steps = 40, stepSize, restarts = 1, loss = 'ce' } = options;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`${attack}: steps must be an integer ≥ 1, got ${String(steps)}`);
  if (stepSize !== undefined && (typeof stepSize !== 'number' || !Number.isFinite(stepSize) || stepSize <= 0)) {
    throw new RangeError(`${attack}: stepSize must be a positive fraction of the pixel range, got ${String(stepSize)}`);
  }
  if (!Number.isInteger(restarts) || restarts < 1) throw new RangeError(`${attack}: restarts must be an integer ≥ 1, got ${String(restarts)}`);
  if (loss !== 'ce' && loss !== 'margin') throw new RangeError(`${attack}: loss must be 'ce' or 'margin', got '${String(loss)}'`);
}

/**
 * PGD examples for a batch, within pixelRange·ε of x (pixelRange 255 by default, grey levels).
 * The model's parameters and grads are left exactly as they were.
 * @param x [N, C, H, W] mean-subtracted inputs   @param labels [N] true labels
 * @param index the data-set index of row 0, or of every row (seeds each row's random start)
 * @returns x_adv [N, C, H, W]
 */
export function pgd(model: Module, x: Tensor, labels: ArrayLike<number>, options: PgdOptions, index: ExampleIndex = 0): Tensor {
  checkPgdOptions(options, x, labels);
  const { eps, steps = 40, randomStart = true, restarts = 1, loss = 'ce', earlyStop = true, seed = 0 } = options;
  const stepSize = options.stepSize ?? (2.5 * eps) / steps;
  const N = x.shape[0];
  const best = x.data.slice(); // [N, C, H, W]; every row is overwritten by an iterate below
  if (N === 0) return new Tensor(best, x.shape);
  const P = x.size / N; // values per example
  const mean = options.clip ? options.mean!.data : null;
  const pixelRange = options.pixelRange ?? PIXEL_RANGE;
  const radius = eps * pixelRange; // in input units
  const alpha = stepSize * pixelRange;

  return withFrozenParameters(model, () => {
    const objective = objectiveOf(model, x, labels, options);
    const bestFooled = new Uint8Array(N); // [N]
    const bestValue = new Float64Array(N).fill(-Infinity); // [N]

    for (let restart = 0; restart < restarts; restart++) {
      let live = Int32Array.from({ length: N }, (_, n) => n).filter((n) => bestFooled[n] === 0); // rows still attacked
      if (live.length === 0) break;
      let x0 = gatherRows(x.data, P, live); // [n, C, H, W] the clean rows, centre of the ball
      const xt = gatherRows(x.data, P, live); // [n, C, H, W] the iterate
      if (randomStart) {
        live.forEach((n, i) => {
          const rng = new Rng(streamSeed(seed, exampleIndex(index, n), restart, STREAM.randomStart));
          for (let p = 0; p < P; p++) xt[i * P + p] += (2 * rng.uniform() - 1) * radius;
        });
        if (mean !== null) clipToPixels(xt, mean, pixelRange);
      }
      let iterate = xt;
      // one step: the objective (and its gradient) at the iterate, the best iterate so far per
      // row, then the projected sign step; false when no row goes on. Nothing the step allocates
      // outlives it, so its arrays are recycled for the next one (tensor/recycle.ts).
      const step = (t: number): boolean => {
        const last = t === steps;
        const sub: Objective = { classes: gatherRows(objective.classes, 1, live), sign: objective.sign };
        const input = new Tensor(iterate, [live.length, ...x.shape.slice(1)]);
        const { grad, logits, value } = last ? objectiveOnly(model, input, sub, loss) : objectiveGradient(model, input, sub, loss);
        let keep: number[] | null = null; // local rows that go on, when some stop
        if (t >= 1) {
          const predicted = argmaxRows(logits); // [n]
          for (let i = 0; i < live.length; i++) {
            const n = live[i];
            // untargeted: the prediction left class c; targeted (sign −1): it is the target c
            const fooled = (predicted[i] === sub.classes[i]) === (sub.sign < 0) ? 1 : 0;
            if (fooled > bestFooled[n] || (fooled === bestFooled[n] && value[i] > bestValue[n])) {
              bestFooled[n] = fooled;
              bestValue[n] = value[i];
              best.set(iterate.subarray(i * P, (i + 1) * P), n * P);
            }
            if (earlyStop && fooled) keep ??= Array.from({ length: i }, (_, j) => j);
            else keep?.push(i);
          }
        }
        if (last) return false;
        let g = grad!.data;
        if (keep !== null) {
          if (keep.length === 0) return false;
          live = gatherRows(live, 1, keep);
          x0 = gatherRows(x0, P, keep);
          iterate = gatherRows(iterate, P, keep);
          g = gatherRows(g, P, keep);
        }
        projectedSignStep(iterate, g, x0, alpha, radius, mean, pixelRange);
        return true;
      };
      for (let t = 0; recycling(() => step(t)); t++);
    }
    return new Tensor(best, x.shape);
  });
}

/** The objective at x without its gradient (the last iterate needs no step). */
function objectiveOnly(model: Module, x: Tensor, objective: Objective, loss: AttackLoss): { grad: null; logits: Tensor; value: FloatArray } {
  return noGrad(() => {
    const logits = model.forward(new Variable(x)).value; // [n, K]
    const value = exampleLoss(loss)(new Variable(logits), objective.classes).value.data; // [n]
    if (objective.sign < 0) for (let n = 0; n < value.length; n++) value[n] = -value[n];
    return { grad: null, logits, value };
  });
}

/** Rows `rows` of a [·, P] array, in that order. */
export function gatherRows<A extends FloatArray | Int32Array>(data: A, P: number, rows: ArrayLike<number>): A {
  const out = new (data.constructor as new (n: number) => A)(rows.length * P);
  for (let i = 0; i < rows.length; i++) out.set(data.subarray(rows[i] * P, (rows[i] + 1) * P), i * P);
  return out;
}
