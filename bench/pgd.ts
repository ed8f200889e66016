/**
 * The cost of a PGD step against an FGSM step: PGD-K (random start, every step run on every
 * image: earlyStop off) on a batch, timed, as K·images/s, beside FGSM's images/s on the same batch
 * and engine. A PGD step is one forward and one ∂L/∂x backward, as FGSM is, plus the projection
 * and a final forward for the last iterate; the ratio shows what the per-step bookkeeping costs.
 */
import type { Tensor } from '../src/tensor/tensor.ts';
import type { Engine } from '../src/train/engine.ts';

/** PGD steps per timed call: enough that the final forward (half a step) is a few percent. */
export const PGD_BENCH_STEPS = 20;

/**
 * PGD step·images/s. @param time the bench's timer (median seconds of `reps` calls after warm-up)
 * @param x [B, 1, 28, 28] @param labels [B]
 */
export async function pgdStepsPerSecond(
  engine: Engine,
  x: Tensor,
  labels: Int32Array,
  time: (reps: number, warmup: number, fn: () => Promise<void>) => Promise<number>,
  reps: number,
): Promise<number> {
  const seconds = await time(reps, 1, async () => {
    await engine.attack(x, labels, { attack: 'pgd', eps: 0.25, steps: PGD_BENCH_STEPS, earlyStop: false });
  });
  return (PGD_BENCH_STEPS * x.shape[0]) / seconds;
}
