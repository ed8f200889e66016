/**
 * The cost of a PGD step against an FGSM step. A PGD step is one forward and one ∂L/∂x backward,
 * as FGSM is, plus the projection; PGD-K adds a random start and a final forward that scores the
 * last iterate. So K·images/s of PGD-K (earlyStop off: every step runs on every image) should
 * match FGSM's images/s, and the ratio shows what the per-step bookkeeping costs.
 *
 * The two are timed in alternation, K FGSM calls then one PGD-K call on the same batch and
 * engine, and the ratio is the median of the per-pair ratios: a load that drifts during the run
 * (the machine is shared) then touches both sides of each pair alike.
 */
import type { Tensor } from '../src/tensor/tensor.ts';
import type { Engine } from '../src/train/engine.ts';
import { median } from './gemm.ts';

/** PGD steps per timed call: enough that the final forward (half a step) is a few percent. */
export const PGD_BENCH_STEPS = 20;

/**
 * PGD step·images/s, FGSM images/s (medians) and the median of their paired ratios.
 * @param x [B, 1, 28, 28] @param labels [B]
 */
export async function pgdAgainstFgsm(engine: Engine, x: Tensor, labels: Int32Array, pairs: number): Promise<{ pgd: number; fgsm: number; ratio: number }> {
  const B = x.shape[0];
  const K = PGD_BENCH_STEPS;
  const seconds = async (fn: () => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    await fn();
    return (performance.now() - t0) / 1000;
  };
  const fgsmCall = async (): Promise<void> => {
    for (let k = 0; k < K; k++) await engine.fgsm(x, labels, { eps: 0.25 });
  };
  const pgdCall = (): Promise<Tensor> => engine.attack(x, labels, { attack: 'pgd', eps: 0.25, steps: K, earlyStop: false });
  await fgsmCall(); // warm-up of both paths
  await pgdCall();
  const pgd: number[] = [];
  const fgsm: number[] = [];
  const ratio: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const f = (K * B) / (await seconds(fgsmCall));
    const p = (K * B) / (await seconds(pgdCall));
    fgsm.push(f);
    pgd.push(p);
    ratio.push(p / f);
  }
  return { pgd: median(pgd), fgsm: median(fgsm), ratio: median(ratio) };
}
