/**
 * Auto-PGD, L∞ (Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an ensemble
 * of diverse parameter-free attacks"): PGD with momentum and a step size that adapts per example,
 * so there is no step size to tune. With r = ε·pixelRange (grey levels, attack.ts), P the
 * projection onto the ε-ball (and, with clip, the valid pixels; linf-box.ts), f the loss climbed:
 *
 *   x⁰     = P(x + U(−r, r))                              random start, per pixel
 *   η⁰     = 2r
 *   z      = P(xᵏ + ηᵏ·sign(∇f(xᵏ)))
 *   xᵏ⁺¹   = P(xᵏ + α·(z − xᵏ) + (1 − α)·(xᵏ − xᵏ⁻¹))    α = 1 for the first step, 0.75 after
 *
 * and at each checkpoint (apgd-schedule.ts) an example whose loss rose in fewer than 75% of the
 * steps since the last one, or whose best loss stalled, halves its η and restarts from its best
 * point. Every example has its own η, its own best point and its own record: rows never interact.
 *
 * Losses: the cross-entropy (APGD-CE), the DLR loss (APGD-DLR), and, with `targets` = k > 0,
 * the targeted DLR towards each of the k classes the clean logits rank highest after the true
 * one, in turn (APGD-T; AutoAttack uses k = 9 on ten classes). Success is always
 * misclassification (the true label, or the prediction with labelMode 'predicted', loses the
 * argmax), as in AutoAttack: a targeted run that lands on another wrong class has still won.
 *
 * Runs: for each target (one run untargeted), `restarts` runs from fresh random starts, each only
 * on the examples no earlier run fooled. An example stops at its first fooling iterate (later steps
 * could not un-fool it in the accuracy AutoAttack reports), so the accuracy equals that of running
 * every step. Returned: the fooling point where one was found, else the highest-loss point of the
 * first run. Cost per run: one forward and one backward pass per step, plus one at the start.
 *
 * Determinism: the random start of example i in restart r (target j) comes from the stream of
 * (seed, i, r, purpose of j) (attack.ts), so the result does not depend on the batch or workers.
 */
import { backward } from '../autograd/backward.ts';
import { noGrad, Variable } from '../autograd/variable.ts';
import { dlrPerExample, dlrTargetedPerExample } from '../layers/dlr-loss.ts';
import { crossEntropyPerExample } from '../layers/example-losses.ts';
import type { Module } from '../layers/module.ts';
import { full } from '../tensor/create.ts';
import { argmaxRows } from '../tensor/reduce.ts';
import { recycling } from '../tensor/recycle.ts';
import { Rng } from '../tensor/rng.ts';
import { Tensor, type FloatArray } from '../tensor/tensor.ts';
import { apgdCheckpoints, halvesStep } from './apgd-schedule.ts';
import { checkAttackOptions, exampleIndex, objectiveOf, PIXEL_RANGE, streamSeed, withFrozenParameters, type AttackOptions, type ExampleIndex } from './attack.ts';
import { checkPixelRange, clampTo, emptyLike, gatherBox, linfBox, type LinfBox } from './linf-box.ts';
import { gatherRows } from './pgd.ts';

export type ApgdLoss = 'ce' | 'dlr';

export interface ApgdOptions extends Omit<AttackOptions, 'targeted'> {
  /** Iterations N ≥ 1 per run (default 100). */
  steps?: number;
  /** Runs from fresh random starts per target, ≥ 1 (default 1). */
  restarts?: number;
  /** The loss climbed: 'ce' (default) or 'dlr'; APGD-T always uses the targeted DLR. */
  loss?: ApgdLoss;
  /** APGD-T: attack towards each of the top k other classes in turn (default 0: untargeted). */
  targets?: number;
  /** The restart index of the first run (default 0): seeds its random starts. */
  firstRestart?: number;
  /** Grey levels per unit of ε (default PIXEL_RANGE = 255). */
  pixelRange?: number;
}

/** The purpose part of the random start streams: distinct from STREAM's (attack.ts). */
const APGD_STREAM = 3;

/** Throws a RangeError naming the option, what was expected and what arrived. */
export function checkApgdOptions(options: ApgdOptions, x?: Tensor, labels?: ArrayLike<number>): void {
  checkAttackOptions('apgd', options, x, labels);
  if ((options as AttackOptions).targeted !== undefined) {
    throw new RangeError('apgd: targeted does not apply; APGD-T picks its targets from the clean logits (give targets: the number of classes to try)');
  }
  const { steps = 100, restarts = 1, targets = 0, firstRestart = 0, loss } = options;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`apgd: steps must be an integer ≥ 1, got ${String(steps)}`);
  if (!Number.isInteger(restarts) || restarts < 1) throw new RangeError(`apgd: restarts must be an integer ≥ 1, got ${String(restarts)}`);
  if (!Number.isInteger(targets) || targets < 0) throw new RangeError(`apgd: targets must be an integer ≥ 0 (0: untargeted), got ${String(targets)}`);
  if (!Number.isInteger(firstRestart) || firstRestart < 0) throw new RangeError(`apgd: firstRestart must be an integer ≥ 0, got ${String(firstRestart)}`);
  if (loss !== undefined && loss !== 'ce' && loss !== 'dlr') throw new RangeError(`apgd: loss must be 'ce' or 'dlr', got '${String(loss)}'`);
  if (targets > 0 && loss === 'ce') throw new RangeError("apgd: the targeted attack (targets > 0) climbs the targeted DLR loss; loss 'ce' does not apply");
  checkPixelRange('apgd', options.pixelRange);
}

/**
 * APGD examples for a batch. The model's parameters and grads are left exactly as they were.
 * @param x [N, C, H, W] mean-subtracted inputs   @param labels [N] true labels
 * @param index the data-set index of row 0, or of every row (seeds each row's random starts)
 * @returns x_adv [N, C, H, W]
 */
export function apgd(model: Module, x: Tensor, labels: ArrayLike<number>, options: ApgdOptions, index: ExampleIndex = 0): Tensor {
  checkApgdOptions(options, x, labels);
  const { eps, steps = 100, restarts = 1, targets = 0, firstRestart = 0, seed = 0 } = options;
  const loss: ApgdLoss = targets > 0 ? 'dlr' : (options.loss ?? 'ce');
  const N = x.shape[0];
  const out = x.data.slice(); // [N, C, H, W]
  if (N === 0) return new Tensor(out, x.shape);
  const P = x.size / N;
  const pixelRange = options.pixelRange ?? PIXEL_RANGE;
  const radius = eps * pixelRange;
  const box = linfBox(x.data, radius, options.clip ? options.mean!.data : null, pixelRange);

  return withFrozenParameters(model, () => {
    const classes = objectiveOf(model, x, labels, { eps, labelMode: options.labelMode }).classes; // [N]
    const ranked = targets > 0 ? rankOtherClasses(model, x, classes, targets) : null; // [N, targets]
    const fooled = new Uint8Array(N); // [N]
    let first = true;
    for (let t = 0; t < Math.max(targets, 1); t++) {
      for (let r = firstRestart; r < firstRestart + restarts; r++) {
        const rows = Int32Array.from({ length: N }, (_, n) => n).filter((n) => fooled[n] === 0);
        if (rows.length === 0) break;
        const purpose = APGD_STREAM + 16 * (targets > 0 ? t + 1 : 0);
        const run = apgdRun(model, {
          x0: gatherRows(x.data, P, rows),
          shape: [rows.length, ...x.shape.slice(1)],
          box: gatherBox(box, P, rows),
          radius,
          classes: gatherRows(classes, 1, rows),
          targets: ranked === null ? null : Int32Array.from(rows, (n) => ranked[n * targets + t]),
          loss,
          steps,
          seeds: Array.from(rows, (n) => streamSeed(seed, exampleIndex(index, n), r, purpose)),
        });
        rows.forEach((n, i) => {
          if (run.fooled[i] === 1) fooled[n] = 1;
          if (run.fooled[i] === 1 || first) out.set(run.x.subarray(i * P, (i + 1) * P), n * P);
        });
        first = false;
      }
    }
    return new Tensor(out, x.shape);
  });
}

/** For each row, the k classes other than classes[n] with the largest clean logits, largest first. @returns [N, k] */
function rankOtherClasses(model: Module, x: Tensor, classes: Int32Array, k: number): Int32Array {
  const logits = noGrad(() => model.forward(new Variable(x)).value); // [N, K]
  const [N, K] = logits.shape;
  if (k > K - 1) throw new RangeError(`apgd: targets is ${k} but the model has ${K} classes, so at most ${K - 1} other classes to target`);
  const out = new Int32Array(N * k);
  for (let n = 0; n < N; n++) {
    const order = Array.from({ length: K }, (_, c) => c)
      .filter((c) => c !== classes[n])
      .sort((a, b) => logits.data[n * K + b] - logits.data[n * K + a] || a - b);
    for (let j = 0; j < k; j++) out[n * k + j] = order[j];
  }
  return out;
}

/** One run's inputs: n rows of P values. */
interface RunInput {
  x0: FloatArray; // [n, P] clean rows
  shape: number[]; // [n, C, H, W]
  box: LinfBox; // [n, P]
  radius: number;
  classes: Int32Array; // [n] the labels that must lose the argmax
  targets: Int32Array | null; // [n] APGD-T's targets
  loss: ApgdLoss;
  steps: number;
  seeds: number[]; // [n] random start streams
}

/** The loss, prediction and input gradient of `active` rows (their inputs packed in `input`), copied out of the recycling scope. */
function evaluateRows(model: Module, run: RunInput, active: readonly number[], input: FloatArray): { value: Float64Array; predicted: Int32Array; grad: FloatArray } {
  return recycling(() => {
    const xv = new Variable(new Tensor(input, [active.length, ...run.shape.slice(1)]), { requiresGrad: true });
    const logits = model.forward(xv); // [m, K]
    const y = Int32Array.from(active, (a) => run.classes[a]); // [m]
    const l = run.targets !== null
      ? dlrTargetedPerExample(logits, y, Int32Array.from(active, (a) => run.targets![a]))
      : run.loss === 'dlr' ? dlrPerExample(logits, y) : crossEntropyPerExample(logits, y); // [m]
    backward(l, full(l.shape, 1, l.value.dtype));
    return { value: Float64Array.from(l.value.data), predicted: argmaxRows(logits.value), grad: xv.grad!.data.slice() };
  });
}

/** One APGD run on n rows: the fooling point or the best point of each, and which were fooled. */
function apgdRun(model: Module, run: RunInput): { x: FloatArray; fooled: Uint8Array } {
  const n = run.classes.length;
  const P = run.x0.length / n;
  const { x0, box, radius } = run;
  const xCur = emptyLike(x0, n * P); // [n, P] xᵏ
  const xPrev = emptyLike(x0, n * P); // [n, P] xᵏ⁻¹
  const gCur = emptyLike(x0, n * P); // [n, P] ∇f(xᵏ)
  const xBest = emptyLike(x0, n * P); // [n, P] x_max (or the fooling point)
  const gBest = emptyLike(x0, n * P); // [n, P] ∇f(x_max)
  const eta = new Float64Array(n).fill(2 * radius); // [n] grey levels
  const lossCur = new Float64Array(n); // [n] f(xᵏ)
  const best = new Float64Array(n); // [n] f_max
  const bestAtCheck = new Float64Array(n); // [n] f_max at the last checkpoint
  const reduced = new Uint8Array(n).fill(1); // [n] η halved at the last checkpoint (see apgd-schedule.ts)
  const increases = new Int32Array(n); // [n] loss rises since the last checkpoint
  const fooled = new Uint8Array(n); // [n]
  const row = (a: number): [number, number] => [a * P, (a + 1) * P];

  for (let a = 0; a < n; a++) {
    const rng = new Rng(run.seeds[a]);
    for (let k = a * P; k < (a + 1) * P; k++) xCur[k] = clampTo(box, k, x0[k] + (2 * rng.uniform() - 1) * radius);
  }
  // Takes the evaluated points of the `active` rows (packed in `input`); returns the rows that go on.
  const accept = (active: readonly number[], input: FloatArray, start: boolean): number[] => {
    const { value, predicted, grad } = evaluateRows(model, run, active, input);
    const still: number[] = [];
    active.forEach((a, j) => {
      const point = input.subarray(j * P, (j + 1) * P);
      const g = grad.subarray(j * P, (j + 1) * P);
      if (predicted[j] !== run.classes[a]) {
        fooled[a] = 1;
        xBest.set(point, a * P);
        return;
      }
      if (!start && value[j] > lossCur[a]) increases[a]++;
      if (!start) xPrev.set(xCur.subarray(...row(a)), a * P);
      lossCur[a] = value[j];
      xCur.set(point, a * P);
      gCur.set(g, a * P);
      if (start || value[j] > best[a]) {
        best[a] = value[j];
        xBest.set(point, a * P);
        gBest.set(g, a * P);
      }
      if (start) bestAtCheck[a] = value[j];
      still.push(a);
    });
    return still;
  };

  let active = accept(Array.from({ length: n }, (_, a) => a), xCur.slice(), true);
  const checkpoints = apgdCheckpoints(run.steps);
  let c = 0;
  for (let i = 0; i < run.steps && active.length > 0; i++) {
    const alpha = i === 0 ? 1 : 0.75;
    const input = emptyLike(x0, active.length * P); // [m, P] xᵏ⁺¹ of the active rows
    active.forEach((a, j) => {
      for (let p = 0; p < P; p++) {
        const k = a * P + p;
        const z = clampTo(box, k, xCur[k] + (gCur[k] > 0 ? eta[a] : gCur[k] < 0 ? -eta[a] : 0));
        input[j * P + p] = clampTo(box, k, xCur[k] + alpha * (z - xCur[k]) + (1 - alpha) * (xCur[k] - xPrev[k]));
      }
    });
    active = accept(active, input, false);
    if (c < checkpoints.length && i + 1 === checkpoints[c]) {
      const interval = checkpoints[c] - (c === 0 ? 0 : checkpoints[c - 1]);
      for (const a of active) {
        const halve = halvesStep({ increases: increases[a], interval, reducedLastCheck: reduced[a] === 1, bestAtLastCheck: bestAtCheck[a], best: best[a] });
        reduced[a] = halve ? 1 : 0;
        bestAtCheck[a] = best[a];
        increases[a] = 0;
        if (halve) {
          eta[a] /= 2;
          xCur.set(xBest.subarray(...row(a)), a * P);
          gCur.set(gBest.subarray(...row(a)), a * P);
          lossCur[a] = best[a];
        }
      }
      c++;
    }
  }
  return { x: xBest, fooled };
}
