/**
 * What `reproduce` prints on stdout after a run: both tables beside the paper's, the robust
 * models' validation figures when there are any, "How robust, really?" with each model's audit,
 * and the wall time. A quick run says so in its first line.
 */
import { formatWithError } from '../robustness/stats.ts';
import type { RobustnessSummary } from '../robustness/summary.ts';
import { formatDuration, plural } from './format.ts';
import { formatMetricsText } from './metrics-table.ts';
import { isQuickRun, quickRunNote } from './report.ts';
import { MODELS, PAPER_EPOCHS, PAPER_RESULTS, ROBUST_KEYS, ROBUST_PHASE, surrogateOf, type Results } from './results.ts';
import { ROBUST_TARGETS, robustRuns, targetVerdict } from './robust-training-section.ts';
import { cellWithError, certifiedOf, headline } from './robustness-evaluation-section.ts';

/** The terminal summary of one run. */
export function formatRunText(results: Results): string {
  const { epochs, schedule, eps } = results.config;
  const paper = epochs.standard === PAPER_EPOCHS.standard && epochs.adversarial === PAPER_EPOCHS.adversarial ? `paper (${PAPER_EPOCHS.standard} + ${PAPER_EPOCHS.adversarial} epochs)` : 'paper';
  const r = results.robustness!;
  const rt = results.robustTraining;
  const models = MODELS.filter((m) => r.models[m.key]);
  const width = Math.max(...models.map((m) => m.name.length));
  const s = results.seconds;
  return [
    ...(isQuickRun(results) ? [quickRunNote(results), ''] : []),
    formatMetricsText(`standard training (${plural(epochs.standard, 'epoch')}) vs the ${paper}`, results.standard, PAPER_RESULTS.standard),
    '',
    formatMetricsText(`adversarial training (${plural(epochs.adversarial, 'epoch')}, schedule ${schedule}) vs the ${paper}`, results.adversarial, PAPER_RESULTS.adversarial),
    '',
    ...(rt
      ? [
          `robust training (Adam lr ${rt.recipe.lr}, ε ramp ${rt.recipe.epsRamp} epoch, ${rt.recipe.images} images, best epoch by validation ${rt.recipe.validationAttack} on ${rt.recipe.validationCount} held-out training images)`,
          ...robustRuns(rt).map(
            (run) => `  ${ROBUST_PHASE[run.key].padEnd(8)}  validation PGD per epoch ${run.validation.map((v) => v.robust.toFixed(4)).join(', ')}  best epoch ${run.bestEpoch}${run.collapse ? '  (collapsed)' : ''}`,
          ),
          '',
        ]
      : []),
    `How robust, really? (first ${r.count} test images, ε = ${eps}, ± standard error; robust accuracy lies between the certified lower bound and the worst-case upper bound)`,
    `  upper bound: the ${headline(r.models.standard).label.replace(/ \(upper bound.*$/, '')}`,
    ...models.map((m) => {
      const s = r.models[m.key]!;
      const a = s.accuracy;
      const n = r.count;
      return (
        `  ${m.name.padEnd(width)}  clean ${formatWithError(a.clean, n)}  certified (lower bound) ${cellWithError(certifiedOf(s), n)}  worst case (upper bound) ${formatWithError(headline(s).value, n)}` +
        `  | single attacks: FGSM ${formatWithError(a.fgsm, n)}  PGD-${s.steps} ${formatWithError(a.pgd, n)}`
      );
    }),
    ...models.filter((m) => m.key !== 'standard').map((m) => `  audit of the ${m.name} model (surrogate: ${surrogateOf(r, m.key) ?? 'none'}): ${auditLine(r.models[m.key]!)}`),
    ...(rt ? robustRuns(rt).filter((run) => r.models[run.key] && ROBUST_TARGETS[run.key]).map((run) => `  ${targetVerdict(r.models[run.key]!, run.key).text.replace(/\*\*/g, '')}`) : []),
    '',
    `wall time ${formatDuration(s.total!)} (standard training ${formatDuration(s.standard)}, adversarial ${formatDuration(s.adversarial)}` +
      `${ROBUST_KEYS.filter((key) => s[key] !== undefined).map((key) => `, ${ROBUST_PHASE[key]} ${formatDuration(s[key]!)}`).join('')}, robustness ${formatDuration(s.robustness!)})`,
  ].join('\n');
}

/** "2 flags: 1 iterative beats single-step; 3 large ε reaches chance", or "no check flagged". */
function auditLine(summary: RobustnessSummary): string {
  const flags = summary.audit.checks.filter((c) => c.verdict === 'flag');
  return flags.length === 0 ? 'no check flagged' : `${plural(flags.length, 'flag')}: ${flags.map((c) => `${c.id} ${c.name}`).join('; ')}`;
}
