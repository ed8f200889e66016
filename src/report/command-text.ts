/**
 * What `npm run train`, `eval` and `attack` print: the five metrics on one line, and an attack's
 * result (its metrics at one ε, or the accuracy curve over several), and what train says at its
 * start and end.
 */
import { PIXEL_RANGE } from '../attacks/attack.ts';
import type { AttackSpec } from '../attacks/spec.ts';
import { formatWithError, standardError } from '../robustness/stats.ts';
import { plural, round4 } from './format.ts';
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

/** The attack results of `advgrad attack --json`: per ε its grey levels, the metrics and the accuracy's standard error. */
export function attackResultsJson(results: ReadonlyArray<{ spec: AttackSpec; metrics: Metrics }>, n: number): object[] {
  return results.map(({ spec, metrics }) => ({ eps: spec.eps, epsGreyLevels: spec.eps * PIXEL_RANGE, metrics, standardError: standardError(metrics.accuracy, n) }));
}

/** What `npm run train` says before it starts: the recipe, the data, the epochs, the optimizer and the output folder. */
export function formatTrainStart(run: {
  recipe: string; trainCount: number; validation?: { count: number; attack: string }; epochs: number; resumedAfter?: number; optimizer: string; lr: string; workers: unknown; out: string;
}): string {
  return `advgrad train: ${run.recipe}${run.trainCount} training images${run.validation ? ` + ${run.validation.count} validation (${run.validation.attack})` : ''}, ` +
    `${plural(run.epochs, 'epoch')}${run.resumedAfter !== undefined ? ` (resuming after epoch ${run.resumedAfter})` : ''}, ${run.optimizer} lr ${run.lr}, workers ${run.workers}, output ${run.out}`;
}

/** What `npm run train` prints at the end: the best epoch (with a validation), the test metrics, the seconds per epoch and the checkpoint. */
export function formatTrainSummary(summary: { test: Metrics; bestEpoch?: number; secondsPerEpoch: readonly number[] }, checkpoint: string): string {
  const best = summary.bestEpoch !== undefined ? `best epoch by validation: ${summary.bestEpoch}; ` : '';
  return `${best}test (${summary.test.count} images): ${formatMetricsLine(summary.test)}\nseconds per epoch: ${summary.secondsPerEpoch.map((s) => s.toFixed(1)).join(', ')}\ncheckpoint: ${checkpoint}\n`;
}

/** The recipe's departures from the paper's, each followed by ", " (empty for the paper's recipe). */
export function describeRecipe(r: { arch: string; normalization: string; lrSchedule: string; emaDecay?: number }): string {
  return [
    r.arch === 'lenet' ? '' : `${r.arch}, `,
    r.normalization === 'image' ? '' : `${r.normalization} mean, `,
    r.lrSchedule === 'constant' ? '' : `${r.lrSchedule} lr, `,
    r.emaDecay === undefined ? '' : `EMA ${r.emaDecay}, `,
  ].join('');
}
