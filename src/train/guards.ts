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
 *               is measured after every epoch; when it falls more than `drop` (20 points by
 *               default) below the best seen so far, the run stops and keeps the best model.
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

/** Robust accuracy may fall this far below its best before the run counts as collapsed (Wong et al. 2020 saw falls from ~0.4 to ~0). */
export const COLLAPSE_DROP = 0.2;

export interface Collapse {
  /** Index (in the sequence given) of the first figure more than `drop` below the best before it. */
  index: number;
  value: number;
  /** The best figure before `index`, and its index (the first, if several tie). */
  best: number;
  bestIndex: number;
}

/**
 * The first collapse in a sequence of per-epoch robust accuracies, or null: the first figure f_i
 * with max_{j<i} f_j − f_i > drop. Pure, so a test can feed it a planted sequence.
 * @param figures accuracies in [0, 1], epoch by epoch
 */
export function findCollapse(figures: readonly number[], drop = COLLAPSE_DROP): Collapse | null {
  if (!(drop >= 0)) throw new RangeError(`findCollapse: drop must be a number ≥ 0, got ${drop}`);
  let best = -Infinity;
  let bestIndex = -1;
  for (let i = 0; i < figures.length; i++) {
    if (best - figures[i] > drop) return { index: i, value: figures[i], best, bestIndex };
    if (figures[i] > best) {
      best = figures[i];
      bestIndex = i;
    }
  }
  return null;
}
