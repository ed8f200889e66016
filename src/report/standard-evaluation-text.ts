/**
 * What `advgrad evaluate` prints: the standard evaluation as a table, with the bracket certified ≤
 * true robust accuracy ≤ worst case stated in its header lines, or as one JSON object.
 */
import { PIXEL_RANGE } from '../attacks/attack.ts';
import type { Certified } from '../robustness/bracket.ts';
import type { Convergence } from '../robustness/convergence.ts';
import type { StandardEvaluation } from '../robustness/standard-evaluation.ts';
import { formatWithError } from '../robustness/stats.ts';

/**
 * The evaluation as a table: clean, the certified lower bound (or "—" without it), the worst case
 * (the upper bound, the figure to quote), then the attacks below it, each on the survivors of the
 * ones before.
 */
export function formatStandardEvaluation(r: StandardEvaluation, certified: (Certified & { contradictions: number }) | null = null): string {
  const n = r.count;
  const upper = 'worst case of APGD-CE, APGD-T and Square (upper bound)';
  const names = ['clean', 'certified by CROWN (lower bound)', upper, ...r.steps.map((s) => `  after ${s.attack}`)];
  const width = Math.max(...names.map((s) => s.length)) + 2;
  const lines = [
    `ε = ${r.eps} (${(r.eps * PIXEL_RANGE).toFixed(2)} grey levels), ${n} images`,
    'The true robust accuracy lies in the bracket: certified (no attack can fool those images) ≤ true ≤ worst case.',
    'Every attacked accuracy is an UPPER BOUND on the true robust accuracy (an attack that fails proves nothing).',
    '',
    `${''.padEnd(width)}accuracy ± se     fooled   seconds`,
    `${'clean'.padEnd(width)}${formatWithError(r.clean, n)}`,
    `${'certified by CROWN (lower bound)'.padEnd(width)}${certified === null ? '—              (--no-certify)' : `${formatWithError(certified.accuracy, n)}   ${''.padStart(6)}   ${certified.seconds.toFixed(1).padStart(7)}`}`,
    `${upper.padEnd(width)}${formatWithError(r.accuracy, n)}   (the figure to quote)`,
    'single attacks, each on the images every earlier one failed on:',
  ];
  r.steps.forEach((s, i) => lines.push(`${`  after ${s.attack}`.padEnd(width)}${formatWithError(s.accuracy, n)}   ${String(s.fooled).padStart(6)}   ${r.seconds[i].toFixed(1).padStart(7)}`));
  lines.push('', r.squareOnly > 0
    ? `Square, which never uses the gradient, fooled ${r.squareOnly} image${r.squareOnly === 1 ? '' : 's'} both gradient attacks had failed on; beyond noise that is a sign of gradient masking (check 9 of advgrad audit tests it).`
    : 'Square, which never uses the gradient, fooled no image the gradient attacks had failed on.');
  if (certified !== null && certified.contradictions > 0) lines.push(`${certified.contradictions} certified image${certified.contradictions === 1 ? ' was' : 's were'} fooled by an attack: a bound or an attack is wrong.`);
  return lines.join('\n');
}

/** The JSON object of `advgrad evaluate --json`: everything but the per-image survivor masks. */
export function standardEvaluationJson(checkpoint: string, result: StandardEvaluation, certified: (Certified & { contradictions: number }) | null, study: Convergence | null): object {
  const { correct: _correct, ...rest } = result;
  const strip = (c: Convergence): object => ({ ...c, steps: c.steps.map(({ correct: _c, ...p }) => p), restarts: c.restarts.map(({ correct: _c, ...p }) => p) });
  return { checkpoint, ...rest, certified, convergence: study === null ? null : strip(study) };
}
