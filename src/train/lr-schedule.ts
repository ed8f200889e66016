/**
 * Learning-rate schedules: the learning rate of every step of a run as a factor of the base
 * rate η, from the step's index t = 0 … T−1 among the run's T steps (all epochs', from the first):
 *
 *   constant    f(t) = 1                                                    (the seed's)
 *   cosine      f(t) = ½·(1 + cos(π·t/T))                                   from 1 down towards 0
 *   one-cycle   f(t) = f₀ + (1 − f₀)·t/W                        t < W       (Smith & Topin 2019:
 *               f(t) = ½·(1 + cos(π·(t − W)/(T − W)))           t ≥ W        warm up, then anneal)
 *               with W = ⌈0.3·T⌉ warm-up steps and f₀ = 1/25 (PyTorch's OneCycleLR defaults)
 *
 * Cosine takes the first step at η and its last at η·½(1 + cos(π(T−1)/T)), a few millionths of η
 * for a run of thousands of steps ("decay to 0 over the run"). The factor depends on t and T only,
 * so a run resumed at an epoch boundary continues on the same curve, and the rate is the same for
 * any number of workers (the worker engine reads the optimiser's lr at every step).
 */

export type LrScheduleName = 'constant' | 'cosine' | 'one-cycle';
export const LR_SCHEDULES: readonly LrScheduleName[] = ['constant', 'cosine', 'one-cycle'];

/** A schedule by name, or any factor f(t, T) of the base rate (t = 0 … T−1). */
export type LrSchedule = LrScheduleName | ((step: number, steps: number) => number);

/** One-cycle's share of warm-up steps and its starting factor f₀ (PyTorch's OneCycleLR: 0.3 and 1/25). */
export const ONE_CYCLE_WARMUP = 0.3;
export const ONE_CYCLE_START = 1 / 25;

/**
 * f(t, T) of the file header.
 * @param step t, 0-based, < steps   @param steps T ≥ 1, the run's steps
 */
export function lrFactor(schedule: LrSchedule, step: number, steps: number): number {
  if (!(Number.isInteger(steps) && steps >= 1 && Number.isInteger(step) && step >= 0 && step < steps)) {
    throw new RangeError(`lrFactor: step must be an integer in [0, steps) and steps an integer ≥ 1, got step ${step} of ${steps}`);
  }
  if (typeof schedule === 'function') return schedule(step, steps);
  if (schedule === 'constant') return 1;
  if (schedule === 'cosine') return 0.5 * (1 + Math.cos((Math.PI * step) / steps));
  if (schedule === 'one-cycle') {
    const warmup = Math.ceil(ONE_CYCLE_WARMUP * steps);
    if (step < warmup) return ONE_CYCLE_START + ((1 - ONE_CYCLE_START) * step) / warmup;
    return 0.5 * (1 + Math.cos((Math.PI * (step - warmup)) / (steps - warmup)));
  }
  throw new RangeError(`lrFactor: schedule must be one of ${LR_SCHEDULES.join(', ')} or a function, got '${String(schedule)}'`);
}

/** Throws a RangeError unless `schedule` is a known name or a function. */
export function checkLrSchedule(schedule: unknown): void {
  if (typeof schedule !== 'function' && !LR_SCHEDULES.includes(schedule as LrScheduleName)) {
    throw new RangeError(`train: lrSchedule must be one of ${LR_SCHEDULES.join(', ')} or a function (step, steps) → factor, got '${String(schedule)}'`);
  }
}
