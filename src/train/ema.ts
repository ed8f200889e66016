/**
 * Weight averaging: an exponential moving average of the weights along training (Polyak averaging
 * with a horizon), evaluated and saved in place of the raw weights, which go on training.
 *
 *   w̄ ← d_t·w̄ + (1 − d_t)·w     after every optimiser step t = 1, 2, …   (w̄ = w₀ before the first)
 *   d_t = min(d, (1 + t)/(10 + t))                                       d the decay, e.g. 0.999
 *
 * The warm-up of d_t (TensorFlow's ExponentialMovingAverage with num_updates) keeps a short run's
 * average from being mostly the initial weights: d = 0.999 averages over about 1,000 steps, more
 * than a short run has. The average is float64, updated from the weights the step left, so it is
 * the same for any number of workers (their weights are, bit for bit).
 */
import type { Variable } from '../autograd/variable.ts';

export interface WeightAveragingOptions {
  /** d in (0, 1): the weight of the past at every step (0.999 averages over about 1,000 steps). */
  decay: number;
}

/** Throws a RangeError naming what was expected and what arrived. */
export function checkWeightAveraging(options: WeightAveragingOptions): void {
  const d = options?.decay;
  if (!(typeof d === 'number' && d > 0 && d < 1)) throw new RangeError(`train: ema.decay must be a number in (0, 1) (e.g. 0.999), got ${String(d)}`);
}

/** The moving average of `params`' values; swap it in to evaluate, out to train on. */
export class WeightAverage {
  readonly decay: number;
  /** w̄, one float64 array per parameter. */
  readonly average: Float64Array[];
  /** The raw weights while the average is swapped in, else null. */
  private raw: Float64Array[] | null = null;
  /** Updates so far (t). */
  updates = 0;

  constructor(readonly params: readonly Variable[], options: WeightAveragingOptions) {
    checkWeightAveraging(options);
    this.decay = options.decay;
    this.average = params.map((p) => Float64Array.from(p.value.data));
  }

  /** d_t of the file header for the next update. */
  nextDecay(): number {
    const t = this.updates + 1;
    return Math.min(this.decay, (1 + t) / (10 + t));
  }

  /** w̄ ← d_t·w̄ + (1 − d_t)·w, from the parameters' values now (the raw weights). */
  update(): void {
    if (this.raw !== null) throw new Error('WeightAverage.update: the average is swapped in; swap the raw weights back first');
    const d = this.nextDecay();
    this.params.forEach((p, i) => {
      const avg = this.average[i];
      const w = p.value.data;
      for (let j = 0; j < avg.length; j++) avg[j] = d * avg[j] + (1 - d) * w[j];
    });
    this.updates++;
  }

  /** Puts the average into the parameters, keeping the raw weights for swapOut. */
  swapIn(): void {
    if (this.raw !== null) return;
    this.raw = this.params.map((p) => Float64Array.from(p.value.data));
    this.params.forEach((p, i) => p.value.data.set(this.average[i]));
  }

  /** Puts the raw weights back (after swapIn), bit for bit. */
  swapOut(): void {
    if (this.raw === null) return;
    this.params.forEach((p, i) => p.value.data.set(this.raw![i]));
    this.raw = null;
  }
}
