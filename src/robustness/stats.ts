/**
 * The statistics every robustness figure carries. An accuracy p measured on n examples is a
 * binomial proportion; its standard error is
 *
 *   se(p, n) = √(p·(1 − p) / n)
 *
 * Two accuracies a and b (on the same n examples) differ "beyond noise" when a − b exceeds two
 * standard errors of the difference, 2·√(se(a)² + se(b)²): about a 5% false-alarm rate for
 * independent measurements, and a conservative one for ours, which share their examples.
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
