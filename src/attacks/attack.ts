/**
 * What every L∞ attack shares: its options, their validation, the seeded per-example random
 * streams, the gradient of the attack objective with the model frozen, and the projected sign step.
 *
 * Units. ε is a fraction of the pixel range R, in [0, 1], as in the FGSM paper (ε = 0.25 on
 * MNIST); the L∞ ball has radius r = R·ε in the network's input units. R is the option
 * `pixelRange`, by default PIXEL_RANGE = 255: the seed's network sees grey levels 0..255 minus the
 * mean image, so r = 255·ε grey levels. An input scaled to [0, 1] takes pixelRange 1, and then ε is
 * the step itself. With clip, x_adv + mean stays inside the valid pixels [0, R], i.e.
 * x_adv ∈ [−mean, R − mean]. Both are boxes, and a valid image x lies in both, so clamping a point
 * of the ball onto the pixel box keeps it in the ball: with clip, x_adv stays within ε of x (for an
 * x that is a valid image).
 *
 * Objective. An untargeted attack climbs ℓ(z(x), y) (y the true label, or the model's prediction
 * with labelMode 'predicted', which avoids label leaking); a targeted one climbs −ℓ(z(x), t) towards
 * the target t (given, or the least likely class of the clean input). ℓ is a per-example loss
 * (layers/example-losses.ts), and the gradient is that of Σₙ ±ℓₙ, so a row's gradient does not
 * depend on the other rows of its batch.
 *
 * Determinism. Randomness (random starts, noise) comes from a stream seeded by (seed, example
 * index, restart, purpose): the index is the example's position in the data set being attacked
 * (`firstIndex` + row), so the result is the same for any batch size and any number of workers.
 */
import { backward } from '../autograd/backward.ts';
import { noGrad, Variable } from '../autograd/variable.ts';
import { crossEntropyPerExample, marginPerExample } from '../layers/example-losses.ts';
import type { Module } from '../layers/module.ts';
import { full } from '../tensor/create.ts';
import { argmaxRows } from '../tensor/reduce.ts';
import { formatShape } from '../tensor/shape.ts';
import type { FloatArray, Tensor } from '../tensor/tensor.ts';

/** The default pixel range R (the seed's grey levels 0..255): input units per unit of ε. */
export const PIXEL_RANGE = 255;

/** Whose label the untargeted objective is about. */
export type LabelMode = 'true' | 'predicted';

/** A targeted attack's targets: one class per row, or each row's least likely class. */
export type Targets = 'least-likely' | ArrayLike<number>;

/** The per-example loss an attack climbs. */
export type AttackLoss = 'ce' | 'margin';

/** Options every attack takes where they apply. */
export interface AttackOptions {
  /** ε as a fraction of the pixel range, in [0, 1]: the L∞ radius is pixelRange·ε input units. */
  eps: number;
  /**
   * The width R of the valid pixel range [0, R] in input units (default PIXEL_RANGE = 255, grey
   * levels; 1 for inputs in [0, 1]). ε and PGD's stepSize are fractions of it.
   */
  pixelRange?: number;
  /** Keep x_adv + mean inside the valid pixels [0, pixelRange] (needs `mean`). Default false, as the FGSM paper. */
  clip?: boolean;
  /** The mean image [1, 1, H, W] subtracted from the inputs; required with clip. */
  mean?: Tensor;
  /** 'true' (default): the true label. 'predicted': the model's prediction on the clean input. */
  labelMode?: LabelMode;
  /** Make the model predict these classes instead (untargeted when absent). */
  targeted?: Targets;
  /** Seeds the per-example random streams (default 0). */
  seed?: number;
}

/** How ε's unit reads in messages: grey levels by default, else input units of the given range. */
function unitsOf(options: Pick<AttackOptions, 'pixelRange'>): string {
  return options.pixelRange === undefined ? 'grey levels' : `input units with pixelRange ${options.pixelRange}`;
}

/** Throws a RangeError naming the attack, the option, what was expected and what arrived. */
export function checkAttackOptions(attack: string, options: AttackOptions, x?: Tensor, labels?: ArrayLike<number>): void {
  const { eps, clip = false, mean, labelMode = 'true', targeted, seed = 0, pixelRange = PIXEL_RANGE } = options;
  if (typeof pixelRange !== 'number' || !Number.isFinite(pixelRange) || pixelRange <= 0) {
    throw new RangeError(`${attack}: pixelRange must be a positive number (the width of the valid pixel range: 255 for grey levels, 1 for [0, 1]), got ${String(pixelRange)}`);
  }
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0 || eps > 1) {
    throw new RangeError(`${attack}: eps must be a fraction of the pixel range in [0, 1] (0.25 = ${0.25 * pixelRange} ${unitsOf(options)}), got ${String(eps)}`);
  }
  if (labelMode !== 'true' && labelMode !== 'predicted') throw new RangeError(`${attack}: labelMode must be 'true' or 'predicted', got '${String(labelMode)}'`);
  if (!Number.isInteger(seed)) throw new RangeError(`${attack}: seed must be an integer, got ${String(seed)}`);
  if (clip) {
    if (mean === undefined) throw new Error(`${attack}: clip needs the mean image (options.mean) to know the valid range [−mean, ${pixelRange} − mean]`);
    if (x !== undefined && mean.size * x.shape[0] !== x.size) {
      throw new RangeError(`${attack}: mean image ${formatShape(mean.shape)} does not match one image of x ${formatShape(x.shape)}`);
    }
  }
  if (x !== undefined && labels !== undefined && labels.length !== x.shape[0]) {
    throw new RangeError(`${attack}: ${x.shape[0]} images (x ${formatShape(x.shape)}) but ${labels.length} labels`);
  }
  if (targeted !== undefined && targeted !== 'least-likely') {
    if (typeof targeted !== 'object' || typeof targeted.length !== 'number') {
      throw new RangeError(`${attack}: targeted must be 'least-likely' or one target class per image, got ${String(targeted)}`);
    }
    if (x !== undefined && targeted.length !== x.shape[0]) throw new RangeError(`${attack}: ${x.shape[0]} images but ${targeted.length} targets`);
    if (labels !== undefined) {
      for (let n = 0; n < targeted.length; n++) {
        if (targeted[n] === labels[n]) {
          throw new RangeError(`${attack}: the target of image ${n} is its true label ${labels[n]}; a targeted attack needs a target class other than the true one`);
        }
      }
    }
  }
}

/** The classes the objective is about, and its sign: +1 climbs ℓ(·, y), −1 descends ℓ(·, t). */
export interface Objective {
  classes: Int32Array; // [N]
  sign: 1 | -1;
}

/**
 * Resolves labelMode and targeted into the objective's classes, with one clean forward pass when
 * the prediction or the least likely class is needed.
 * @param x [N, C, H, W] clean inputs  @param labels [N] true labels
 */
export function objectiveOf(model: Module, x: Tensor, labels: ArrayLike<number>, options: AttackOptions): Objective {
  const { targeted, labelMode = 'true' } = options;
  const needsLogits = targeted === 'least-likely' || (targeted === undefined && labelMode === 'predicted');
  const logits = needsLogits ? noGrad(() => model.forward(new Variable(x)).value) : null; // [N, K]
  if (targeted === undefined) {
    return { classes: logits === null ? Int32Array.from(labels) : argmaxRows(logits), sign: 1 };
  }
  if (targeted !== 'least-likely') return { classes: Int32Array.from(targeted), sign: -1 };
  const [N, K] = logits!.shape;
  const z = logits!.data;
  const least = new Int32Array(N); // [N] argmin_k z[n, k]; never the prediction, so never a no-op target
  for (let n = 0; n < N; n++) for (let k = 1; k < K; k++) if (z[n * K + k] < z[n * K + least[n]]) least[n] = k;
  return { classes: least, sign: -1 };
}

/** Runs `fn` with the model's parameters frozen (no weight gradients), then restores them exactly. */
export function withFrozenParameters<T>(model: Module, fn: () => T): T {
  const params = model.parameters();
  const saved = params.map((p) => p.requiresGrad);
  const savedGrads = params.map((p) => p.grad);
  for (const p of params) p.requiresGrad = false;
  try {
    return fn();
  } finally {
    params.forEach((p, i) => {
      p.requiresGrad = saved[i];
      p.grad = savedGrads[i];
    });
  }
}

/** The per-example loss op for an AttackLoss. */
export function exampleLoss(loss: AttackLoss): (logits: Variable, classes: ArrayLike<number>) => Variable {
  return loss === 'margin' ? marginPerExample : crossEntropyPerExample;
}

/**
 * ∇ₓ Σₙ sign·ℓ(z(xₙ), classesₙ) and the per-example objective sign·ℓₙ at x, from one forward and
 * one backward pass (call inside withFrozenParameters, so no weight gradient is computed).
 * @param x [N, C, H, W] @returns grad [N, C, H, W], logits [N, K], objective [N]
 */
export function objectiveGradient(model: Module, x: Tensor, objective: Objective, loss: AttackLoss): { grad: Tensor; logits: Tensor; value: FloatArray } {
  const xv = new Variable(x, { requiresGrad: true });
  const logits = model.forward(xv); // [N, K]
  const l = exampleLoss(loss)(logits, objective.classes); // [N]
  backward(l, full(l.shape, objective.sign, l.value.dtype));
  const value = l.value.data;
  if (objective.sign < 0) for (let n = 0; n < value.length; n++) value[n] = -value[n];
  return { grad: xv.grad!, logits: logits.value, value };
}

/**
 * One projected sign step, in place on xt (rows of images of P pixels):
 *   xt ← Π_{‖·−x‖∞ ≤ r} (xt + α·sign(g)),   then, with clip, onto [−mean, R − mean]
 * (α = stepGrey, r = radiusGrey, both in input units, grey levels by default; R = pixelRange).
 * sign(0) = 0: a pixel with no gradient stays. A single step from xt = x with α = r is FGSM
 * exactly: the projection then changes nothing.
 */
export function projectedSignStep(
  xt: FloatArray, g: ArrayLike<number>, x: ArrayLike<number>, stepGrey: number, radiusGrey: number, mean: FloatArray | null, pixelRange = PIXEL_RANGE,
): void {
  for (let i = 0; i < xt.length; i++) {
    const v = xt[i] + (g[i] > 0 ? stepGrey : g[i] < 0 ? -stepGrey : 0);
    const lo = x[i] - radiusGrey;
    const hi = x[i] + radiusGrey;
    xt[i] = v < lo ? lo : v > hi ? hi : v;
  }
  if (mean !== null) clipToPixels(xt, mean, pixelRange);
}

/** x ← clamp(x, −mean, R − mean) elementwise (R = pixelRange), the mean image repeating every P = mean.length values. */
export function clipToPixels(x: FloatArray, mean: FloatArray, pixelRange = PIXEL_RANGE): void {
  const P = mean.length;
  for (let i = 0; i < x.length; i++) {
    const low = -mean[i % P];
    const high = pixelRange - mean[i % P];
    if (x[i] < low) x[i] = low;
    else if (x[i] > high) x[i] = high;
  }
}

/**
 * Which data-set example each row of a batch is: a number i₀ for consecutive rows i₀, i₀ + 1, …,
 * or one index per row (rows gathered from anywhere). It seeds the row's random streams.
 */
export type ExampleIndex = number | ArrayLike<number>;

/** The data-set index of row n. */
export function exampleIndex(index: ExampleIndex, n: number): number {
  return typeof index === 'number' ? index + n : index[n];
}

/** The ExampleIndex of rows [start, end) of a batch. */
export function sliceExampleIndex(index: ExampleIndex, start: number, end: number): ExampleIndex {
  return typeof index === 'number' ? index + start : Array.prototype.slice.call(index, start, end);
}

/** What a random stream is for, so that a random start and noise never share numbers. */
export const STREAM = { randomStart: 1, noise: 2 } as const;

/**
 * A 32-bit seed for the stream of (seed, example index, restart, purpose): each part is mixed in
 * with a multiply–xorshift round (MurmurHash3's finaliser), so nearby indices give unrelated streams.
 */
export function streamSeed(seed: number, index: number, restart: number, purpose: number): number {
  let h = 0x2545f491;
  for (const part of [seed, index, restart, purpose]) {
    h = Math.imul(h ^ (part >>> 0), 0xcc9e2d51);
    h = (h << 15) | (h >>> 17);
    h = Math.imul(h, 0x1b873593) ^ ((part / 4294967296) >>> 0);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
  }
  return h >>> 0;
}
