/**
 * The feasible set of an L∞ attack as one box per value: the ε-ball around the clean input,
 * intersected, with clip, with the valid pixels. In grey levels (attack.ts), for value i of an
 * image of P values, with r = ε·pixelRange:
 *
 *   lo[i] = x[i] − r,   hi[i] = x[i] + r                              (no clip)
 *   lo[i] = max(x[i] − r, −mean[i mod P]),
 *   hi[i] = min(x[i] + r, pixelRange − mean[i mod P])                 (clip)
 *
 * A valid image lies in both boxes, so the intersection is never empty and clamping onto it is
 * the Euclidean (and L∞) projection onto the feasible set. APGD and Square (apgd.ts, square.ts)
 * compute the bounds once per run and clamp every candidate point onto them.
 */
import type { FloatArray } from '../tensor/tensor.ts';

/** The bounds [lo, hi] of rows of x (rows of P values), as arrays shaped like x. */
export interface LinfBox {
  lo: Float64Array;
  hi: Float64Array;
}

/**
 * @param x [n·P] clean rows @param radius r in grey levels
 * @param mean [P] the mean image, or null without clip @param pixelRange the top of the pixel scale
 */
export function linfBox(x: ArrayLike<number>, radius: number, mean: ArrayLike<number> | null, pixelRange: number): LinfBox {
  const lo = new Float64Array(x.length);
  const hi = new Float64Array(x.length);
  const P = mean === null ? 1 : mean.length;
  for (let i = 0; i < x.length; i++) {
    lo[i] = x[i] - radius;
    hi[i] = x[i] + radius;
    if (mean !== null) {
      const m = mean[i % P];
      if (lo[i] < -m) lo[i] = -m;
      if (hi[i] > pixelRange - m) hi[i] = pixelRange - m;
    }
  }
  return { lo, hi };
}

/** v clamped onto [lo[i], hi[i]]. */
export function clampTo(box: LinfBox, i: number, v: number): number {
  return v < box.lo[i] ? box.lo[i] : v > box.hi[i] ? box.hi[i] : v;
}

/** Rows `rows` of box (rows of P values), in that order. */
export function gatherBox(box: LinfBox, P: number, rows: ArrayLike<number>): LinfBox {
  const lo = new Float64Array(rows.length * P);
  const hi = new Float64Array(rows.length * P);
  for (let i = 0; i < rows.length; i++) {
    lo.set(box.lo.subarray(rows[i] * P, (rows[i] + 1) * P), i * P);
    hi.set(box.hi.subarray(rows[i] * P, (rows[i] + 1) * P), i * P);
  }
  return { lo, hi };
}

/** Throws unless pixelRange (when given) is a positive finite number. */
export function checkPixelRange(attack: string, pixelRange: unknown): void {
  if (pixelRange !== undefined && (typeof pixelRange !== 'number' || !Number.isFinite(pixelRange) || pixelRange <= 0)) {
    throw new RangeError(`${attack}: pixelRange must be a positive number of grey levels (default 255), got ${String(pixelRange)}`);
  }
}

/** A zero array of `length` values of the same type as `like` (not pooled: it outlives any recycling scope). */
export function emptyLike(like: FloatArray, length: number): FloatArray {
  return new (like.constructor as new (n: number) => FloatArray)(length);
}
