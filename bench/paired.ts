/**
 * Timing two things against each other on a machine whose speed drifts: their calls alternate,
 * and which of the two goes first alternates too, so a drift within a pair favours neither. The
 * figure to quote is the median of the per-pair ratios (pairRatio), not a ratio of two medians.
 * Used by bench/scaling.ts and bench/compare-builds.ts.
 */
import { median } from './gemm.ts';

/** Milliseconds of each side's calls, pair by pair, after `warmup` untimed pairs. */
export async function alternate(pairs: number, warmup: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<{ a: number[]; b: number[] }> {
  const time = async (fn: () => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let r = 0; r < pairs; r++) {
    if (r % 2 === 0) {
      ta.push(await time(a));
      tb.push(await time(b));
    } else {
      tb.push(await time(b));
      ta.push(await time(a));
    }
  }
  return { a: ta, b: tb };
}

/** The median over pairs of t(a) / t(b): how many times faster b is than a. */
export function pairRatio(t: { a: number[]; b: number[] }): number {
  return median(t.a.map((ta, i) => ta / t.b[i]));
}
