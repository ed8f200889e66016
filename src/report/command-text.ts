/**
 * What `npm run train`, `eval` and `attack` print: the five metrics on one line, and an attack's
 * result (its metrics at one ε, or the accuracy curve over several).
 */
import { PIXEL_RANGE } from '../attacks/attack.ts';
import type { AttackSpec } from '../attacks/spec.ts';
import { formatWithError } from '../robustness/stats.ts';
import { round4 } from './format.ts';
import type { Metrics } from './results.ts';

/** "accuracy 0.9871, error 0.0129, confidence …, confidence correct …, confidence error …". */
export function formatMetricsLine(m: Metrics, accuracy = String(round4(m.accuracy))): string {
  return (
    `accuracy ${accuracy}, error ${round4(m.error)}, confidence ${round4(m.confidence)}, ` +
    `confidence correct ${round4(m.confidenceCorrect)}, confidence error ${round4(m.confidenceError)}`
  );
}

/** One ε: its grey levels and the five metrics (accuracy ± standard error); several: the curve as a table. */
export function formatAttackText(results: ReadonlyArray<{ spec: AttackSpec; metrics: Metrics }>, n: number): string {
  if (results.length === 1) {
    const { spec, metrics: m } = results[0];
    return `ε = ${spec.eps} (${(spec.eps * PIXEL_RANGE).toFixed(2)} grey levels): ${formatMetricsLine(m, formatWithError(m.accuracy, n))}`;
  }
  const lines = ['     ε   grey levels   accuracy ± se'];
  for (const { spec, metrics } of results) lines.push(`${spec.eps.toFixed(3).padStart(6)}   ${(spec.eps * PIXEL_RANGE).toFixed(2).padStart(11)}   ${formatWithError(metrics.accuracy, n)}`);
  return lines.join('\n');
}
