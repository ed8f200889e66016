/**
 * Guards that stop a training run which has gone wrong, instead of letting it finish an epoch of
 * garbage:
 *
 *   divergence  the first non-finite step loss (NaN or ±∞) stops training at once. Nothing is
 *               written for the unfinished epoch, so the checkpoint of the last finished epoch is
 *               left as it was; the usual cause is a learning rate too high for the input scale
 *               (grey levels 0..255 minus the mean image).
 *   collapse    catastrophic overfitting (Wong et al. 2020): single-step adversarial training can,
 *               within an epoch, turn a model that resists PGD into one that PGD fools almost
 *               always, while its training loss keeps falling. Robust accuracy on a validation set
 *               is measured after every epoch; when it falls below (1 − r)·best, r = `ratio`
 *               (0.5 by default: below half the best seen so far), the run stops and keeps the
 *               best model. The drop is relative, not a fixed number of points: a model whose
 *               robust accuracy was never high collapses by fewer points (FGSM-RS from 0.279 to
 *               0.096 fell 18 points, under a fixed 20-point guard, yet lost two thirds of it).
 */

/** The training loss became non-finite: where, and what to do about it. */
export class DivergenceError extends Error {
  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly steps: number,
    readonly loss: number,
    readonly lr: number,
  ) {
    super(
      `train: training diverged: the loss became ${loss} at epoch ${epoch}, step ${step} of ${steps}. ` +
        `Try a lower learning rate (now ${lr}); the checkpoint of the last finished epoch is left intact.`,
    );
    this.name = 'DivergenceError';
  }
}

/**
 * The relative drop that counts as a collapse: robust accuracy below (1 − 0.5)·best. Wong et al.
 * (2020) saw falls from about 0.4 to about 0, far past it; an epoch-to-epoch wobble of a model
 * still learning stays far inside it.
 */
export const COLLAPSE_RATIO = 0.5;

export interface Collapse {
  /** Index (in the sequence given) of the first figure below (1 − ratio) × the best before it. */
  index: number;
  value: number;
  /** The best figure before `index`, and its index (the first, if several tie). */
  best: number;
  bestIndex: number;
}

/**
 * The first collapse in a sequence of per-epoch robust accuracies, or null: the first figure f_i
 * with f_i < (1 − ratio)·max_{j<i} f_j. Pure, so a test can feed it a planted sequence.
 * @param figures accuracies in [0, 1], epoch by epoch
 * @param ratio the relative drop in [0, 1] (default COLLAPSE_RATIO)
 */
export function findCollapse(figures: readonly number[], ratio = COLLAPSE_RATIO): Collapse | null {
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`findCollapse: ratio must be a relative drop in [0, 1], got ${ratio}`);
  let best = -Infinity;
  let bestIndex = -1;
  for (let i = 0; i < figures.length; i++) {
    if (figures[i] < (1 - ratio) * best) return { index: i, value: figures[i], best, bestIndex };
    if (figures[i] > best) {
      best = figures[i];
      bestIndex = i;
    }
  }
  return null;
}
