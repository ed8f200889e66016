/**
 * The statistics every robustness figure carries. An accuracy p measured on n examples is a
 * binomial proportion; its standard error is
 *
 *   se(p, n) = √(p·(1 − p) / n)
 *
 * Two accuracies a and b differ "beyond noise" when a − b exceeds two standard errors of the
 * difference, 2·√(se(a)² + se(b)²): about a 5% false-alarm rate for independent measurements, and
 * a conservative one for measurements that share their examples. Where the per-example outcomes
 * of both are at hand (two attacks on the same images), McNemar's exact test below uses the
 * pairing and is the sharper test.
 */

/** The standard error of an accuracy p measured on n examples (0 for n = 0). */
export function standardError(p: number, n: number): number {
  return n > 0 ? Math.sqrt((p * (1 - p)) / n) : 0;
}

/** True when a exceeds b by more than two standard errors of their difference. */
export function exceedsBeyondNoise(a: number, b: number, n: number): boolean {
  const se = Math.sqrt(standardError(a, n) ** 2 + standardError(b, n) ** 2);
  return a - b > 2 * se;
}

/** "0.8740 ± 0.0105": an accuracy with its standard error. */
export function formatWithError(p: number, n: number): string {
  return Number.isFinite(p) ? `${p.toFixed(4)} ± ${standardError(p, n).toFixed(4)}` : 'n/a';
}

/**
 * McNemar's exact test on paired outcomes: two attacks (or settings) run on the same n images,
 * each image correct (1) or fooled (0) under each. Only the discordant images carry information:
 *
 *   b = #{A correct, B fooled},   c = #{A fooled, B correct}
 *
 * Under the null hypothesis (A and B equally strong) each discordant image is b or c with
 * probability ½, so b ~ Binomial(b + c, ½) and the two-sided exact p-value is
 *
 *   p = min(1, 2·Σ_{k ≤ min(b, c)} C(b + c, k)·2^−(b+c))
 *
 * Paired, it sees a difference that the unpaired two-standard-error rule misses: 10 images fooled
 * by B alone and none by A alone give p = 0.002, whatever the accuracies.
 */
export interface McNemar {
  /** Images A gets right and B wrong. */
  b: number;
  /** Images A gets wrong and B right. */
  c: number;
  /** Two-sided exact p-value. */
  pValue: number;
}

/** The exact two-sided McNemar p-value for b and c discordant pairs (see McNemar). */
export function mcnemarPValue(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  // log C(n, i) − n·log 2 summed for i = 0 … k by log-sum-exp (n may be in the thousands)
  let logTerm = -n * Math.LN2; // i = 0
  const logs = [logTerm];
  for (let i = 0; i < k; i++) {
    logTerm += Math.log(n - i) - Math.log(i + 1);
    logs.push(logTerm);
  }
  const top = Math.max(...logs);
  const tail = Math.exp(top) * logs.reduce((s, l) => s + Math.exp(l - top), 0);
  return Math.min(1, 2 * tail);
}

/** McNemar's test of A against B. @param a [n] 1 where A is correct @param b [n] 1 where B is correct */
export function mcnemar(a: ArrayLike<number>, b: ArrayLike<number>): McNemar {
  if (a.length !== b.length) throw new RangeError(`mcnemar: the outcomes are not paired: ${a.length} against ${b.length} images`);
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && !b[i]) onlyA++;
    else if (!a[i] && b[i]) onlyB++;
  }
  return { b: onlyA, c: onlyB, pValue: mcnemarPValue(onlyA, onlyB) };
}

/** The significance level of every paired "beyond noise" verdict. */
export const PAIRED_ALPHA = 0.05;

/** True when A is correct on more images than B beyond noise (McNemar, two-sided, p < 0.05). */
export function pairedExceeds(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const t = mcnemar(a, b);
  return t.b > t.c && t.pValue < PAIRED_ALPHA;
}
