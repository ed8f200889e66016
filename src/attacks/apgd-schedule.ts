/**
 * APGD's step-size control (Croce & Hein 2020, section 3.2): where the checkpoints fall, and when
 * a checkpoint halves an example's step size and sends it back to its best point.
 *
 * Checkpoints. For a budget of N iterations, w_j = ⌈p_j·N⌉ with
 *
 *   p₀ = 0,  p₁ = 0.22,  p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06)
 *
 * i.e. the intervals between checkpoints shrink from 22% of the budget by 3% each time, down to
 * 6%. In whole iterations (as the reference implementation counts them, which avoids p_j·N landing
 * a hair above an integer in floating point): the first interval is max(⌊0.22·N⌋, 1), each next one
 * max(previous − max(⌊0.03·N⌋, 1), max(⌊0.06·N⌋, 1)). For N = 100: 22, 41, 57, 70, 80, 87, 93, 99.
 *
 * Decision at checkpoint w_j, per example (ρ = 0.75):
 *   condition 1   Σ_{i = w_{j−1}}^{w_j − 1} 1[f(x^(i+1)) > f(x^(i))] < ρ·(w_j − w_{j−1})
 *                 (the loss rose in fewer than 75% of the steps since the last checkpoint: the step
 *                 oscillates)
 *   condition 2   η^(w_{j−1}) = η^(w_j) and f_max^(w_{j−1}) = f_max^(w_j)
 *                 (the step size was not cut at the last checkpoint and the best loss has not moved)
 * If either holds, η ← η/2 and the iterate restarts from the best point x_max. Condition 2 needs a
 * previous checkpoint to compare with; as in the reference implementation it is first tested at w₂.
 */

/** ρ: the share of loss increases below which the step size is halved. */
export const APGD_RHO = 0.75;

/** The checkpoints w₁ < w₂ < … ≤ steps (iteration counts after which the decision is taken). */
export function apgdCheckpoints(steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`apgdCheckpoints: steps must be an integer ≥ 1, got ${String(steps)}`);
  const decrease = Math.max(Math.floor(0.03 * steps), 1);
  const shortest = Math.max(Math.floor(0.06 * steps), 1);
  let interval = Math.max(Math.floor(0.22 * steps), 1);
  const out: number[] = [];
  for (let w = interval; w <= steps; w += interval) {
    out.push(w);
    interval = Math.max(interval - decrease, shortest);
  }
  return out;
}

/** One example's record between two checkpoints. */
export interface CheckpointState {
  /** Steps since the last checkpoint whose loss rose above the previous iterate's. */
  increases: number;
  /** w_j − w_{j−1}. */
  interval: number;
  /** Whether the last checkpoint halved the step size (true before the first, see the header). */
  reducedLastCheck: boolean;
  /** f_max at the last checkpoint (at the start before the first). */
  bestAtLastCheck: number;
  /** f_max now. */
  best: number;
}

/** True when condition 1 or condition 2 holds: halve η and restart from the best point. */
export function halvesStep(s: CheckpointState, rho = APGD_RHO): boolean {
  const oscillates = s.increases < rho * s.interval;
  const stalled = !s.reducedLastCheck && s.best <= s.bestAtLastCheck;
  return oscillates || stalled;
}
