/**
 * The Square attack, L∞ (Andriushchenko, Croce, Flammarion & Hein 2020): a random search that
 * needs only the model's outputs, never its gradient, so gradient masking cannot stop it. A model
 * that Square fools where gradient attacks fail is hiding its gradient, not robust.
 *
 * With r = ε·pixelRange (grey levels, attack.ts), P the projection onto the ε-ball (and, with clip,
 * the valid pixels; linf-box.ts), H×W images of C channels, m(x) = z_y(x) − max_{i≠y} z_i(x) the
 * margin (> 0 while x is classified correctly):
 *
 *   x_best = P(x + r·s),  s = ±1 per channel and column (vertical stripes), each sign ½
 *   repeat while m(x_best) > 0 and queries remain, at iteration i:
 *     side  = max(round(√(p(i)·H·W)), 1)               the square covers a share p(i) of the image
 *     pick a corner (v_h, v_w) uniformly, and a sign σ_c = ±1 per channel
 *     x_new = x_best, with x_new[c, v_h + a, v_w + b] ← P(x_best + 2r·σ_c) on the square
 *             (every pixel of the square goes to a vertex of the ball, x ± r, or the pixel bound)
 *     if m(x_new) < m(x_best) (or x_new is misclassified): x_best ← x_new
 *
 * p-schedule: p(i) = p_init / 2^j, where j counts the thresholds 10, 50, 200, 500, 1000, 2000,
 * 4000, 6000, 8000 that i·5000/Q has passed (Q the query budget): the paper's schedule as
 * AutoAttack runs it with Q = 5,000, stretched or shrunk in proportion for other budgets.
 * p_init = 0.8 as AutoAttack (every dataset, MNIST included).
 *
 * Queries. Every forward pass of an image counts: the clean check (an image already misclassified
 * is returned unchanged), the stripes, then one per iteration, at most Q in all per image. An image
 * stops at its first misclassified point. Every forward runs under noGrad: no graph, no backward.
 *
 * Determinism: each image draws its stripes, corners and signs from its own stream of (seed,
 * example index) (attack.ts), one draw sequence per iteration it is alive; images never share
 * draws, so the result does not depend on the batch or the number of workers.
 */
import { noGrad, Variable } from '../autograd/variable.ts';
import type { Module } from '../layers/module.ts';
import { argmaxRows } from '../tensor/reduce.ts';
import { recycling } from '../tensor/recycle.ts';
import { Rng } from '../tensor/rng.ts';
import { Tensor, type FloatArray } from '../tensor/tensor.ts';
import { checkAttackOptions, exampleIndex, PIXEL_RANGE, streamSeed, withFrozenParameters, type AttackOptions, type ExampleIndex } from './attack.ts';
import { checkPixelRange, clampTo, linfBox } from './linf-box.ts';
import { gatherRows } from './pgd.ts';

export interface SquareOptions extends Pick<AttackOptions, 'eps' | 'clip' | 'mean' | 'labelMode' | 'seed'> {
  /** Forward passes per image at most, ≥ 2 (default 5,000). */
  queries?: number;
  /** The share of the image the first squares cover, in (0, 1] (default 0.8). */
  pInit?: number;
  /** Grey levels per unit of ε (default PIXEL_RANGE = 255). */
  pixelRange?: number;
}

/** Square's default query budget (AutoAttack's). */
export const SQUARE_QUERIES = 5000;

/** The purpose part of Square's streams: distinct from STREAM's (attack.ts) and APGD's. */
const SQUARE_STREAM = 4;

/** Iterations (at a 5,000-query budget) after which p halves. */
const P_HALVINGS: readonly number[] = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];

/** p(i) for iteration i ≥ 0 of a budget of `queries` (header). */
export function squareFraction(iteration: number, queries: number, pInit = 0.8): number {
  const scaled = Math.floor((iteration * SQUARE_QUERIES) / queries);
  let p = pInit;
  for (const threshold of P_HALVINGS) if (scaled > threshold) p /= 2;
  return p;
}

/** Throws a RangeError naming the option, what was expected and what arrived. */
export function checkSquareOptions(options: SquareOptions, x?: Tensor, labels?: ArrayLike<number>): void {
  checkAttackOptions('square', options, x, labels);
  const { queries = SQUARE_QUERIES, pInit = 0.8 } = options;
  if (!Number.isInteger(queries) || queries < 2) throw new RangeError(`square: queries must be an integer ≥ 2 (the clean check and the stripes), got ${String(queries)}`);
  if (typeof pInit !== 'number' || !(pInit > 0 && pInit <= 1)) throw new RangeError(`square: pInit must be a share of the image in (0, 1], got ${String(pInit)}`);
  if (x !== undefined && x.rank !== 4) throw new RangeError(`square: x must be images [N, C, H, W], got shape [${x.shape.join(', ')}]`);
  checkPixelRange('square', options.pixelRange);
}

/** Logits of a batch of images packed in `input`, forward only, copied out of the recycling scope. @returns [m, K] */
function logitsOf(model: Module, input: FloatArray, shape: readonly number[], m: number): Tensor {
  return recycling(() =>
    noGrad(() => {
      const z = model.forward(new Variable(new Tensor(input, [m, ...shape.slice(1)]))).value; // [m, K]
      return new Tensor(z.data.slice(), z.shape);
    }),
  );
}

/** Margins z_y − max_{i≠y} z_i of `rows` (their logits are the rows of z [m, K], in order). */
function marginsOf(z: Tensor, classes: Int32Array, rows: readonly number[]): Float64Array {
  const K = z.shape[1];
  return Float64Array.from(rows, (n, j) => {
    let other = -Infinity;
    for (let k = 0; k < K; k++) if (k !== classes[n] && z.data[j * K + k] > other) other = z.data[j * K + k];
    return z.data[j * K + classes[n]] - other;
  });
}

/**
 * Square examples for a batch. The model is only run forward; its parameters are left as they were.
 * @param x [N, C, H, W] mean-subtracted inputs   @param labels [N] true labels
 * @param index the data-set index of row 0, or of every row (seeds each row's stream)
 * @returns x_adv [N, C, H, W]
 */
export function square(model: Module, x: Tensor, labels: ArrayLike<number>, options: SquareOptions, index: ExampleIndex = 0): Tensor {
  checkSquareOptions(options, x, labels);
  const { eps, queries = SQUARE_QUERIES, pInit = 0.8, seed = 0 } = options;
  const [N, C, H, W] = x.shape;
  const best = x.data.slice(); // [N, C, H, W] x_best
  if (N === 0) return new Tensor(best, x.shape);
  const P = C * H * W;
  const pixelRange = options.pixelRange ?? PIXEL_RANGE;
  const radius = eps * pixelRange;
  const box = linfBox(x.data, radius, options.clip ? options.mean!.data : null, pixelRange);
  const all = Array.from({ length: N }, (_, n) => n);

  return withFrozenParameters(model, () => {
    const cleanLogits = logitsOf(model, x.data, x.shape, N); // [N, K]
    // the class to move away from: the true label, or with labelMode 'predicted' the clean prediction
    const classes = options.labelMode === 'predicted' ? argmaxRows(cleanLogits) : Int32Array.from(labels); // [N]
    const clean = marginsOf(cleanLogits, classes, all); // [N]
    const margin = (input: FloatArray, rows: readonly number[]): Float64Array => marginsOf(logitsOf(model, input, x.shape, rows.length), classes, rows);
    const rngs = all.map((n) => new Rng(streamSeed(seed, exampleIndex(index, n), 0, SQUARE_STREAM)));
    let live = all.filter((n) => clean[n] > 0);
    for (const n of live) {
      for (let c = 0; c < C; c++) {
        for (let w = 0; w < W; w++) {
          const s = rngs[n].uniform() < 0.5 ? -radius : radius;
          for (let h = 0; h < H; h++) {
            const k = n * P + (c * H + h) * W + w;
            best[k] = clampTo(box, k, x.data[k] + s);
          }
        }
      }
    }
    const bestMargin = new Float64Array(N); // [N] m(x_best)
    const first = margin(gatherRows(best, P, live), live);
    live.forEach((n, j) => (bestMargin[n] = first[j]));
    live = live.filter((n) => bestMargin[n] > 0);
    for (let i = 0; i < queries - 2 && live.length > 0; i++) {
      const side = Math.min(Math.max(Math.round(Math.sqrt(squareFraction(i, queries, pInit) * H * W)), 1), H, W);
      const candidate = gatherRows(best, P, live); // [m, C, H, W] x_new
      live.forEach((n, j) => {
        const vh = rngs[n].int(H - side + 1);
        const vw = rngs[n].int(W - side + 1);
        for (let c = 0; c < C; c++) {
          const s = rngs[n].uniform() < 0.5 ? -2 * radius : 2 * radius;
          for (let h = vh; h < vh + side; h++) {
            for (let w = vw; w < vw + side; w++) {
              const q = (c * H + h) * W + w;
              candidate[j * P + q] = clampTo(box, n * P + q, best[n * P + q] + s);
            }
          }
        }
      });
      const m = margin(candidate, live);
      live.forEach((n, j) => {
        if (m[j] < bestMargin[n]) {
          bestMargin[n] = m[j];
          best.set(candidate.subarray(j * P, (j + 1) * P), n * P);
        }
      });
      live = live.filter((n) => bestMargin[n] > 0);
    }
    return new Tensor(best, x.shape);
  });
}
