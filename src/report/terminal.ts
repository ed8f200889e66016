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
import { MODELS, PAPER_EPOCHS, PAPER_RESULTS, type Results } from './results.ts';
import { targetVerdict } from './robust-training-section.ts';

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
          ...[rt.models.pgd, rt.models.fgsmRs].map(
            (run) => `  ${run.schedule.padEnd(7)}  validation PGD per epoch ${run.validation.map((v) => v.robust.toFixed(4)).join(', ')}  best epoch ${run.bestEpoch}${run.collapse ? '  (collapsed)' : ''}`,
          ),
          '',
        ]
      : []),
    `How robust, really? (first ${r.count} test images, ε = ${eps}, ± standard error)`,
    ...models.map((m) => {
      const a = r.models[m.key]!.accuracy;
      const n = r.count;
      return `  ${m.name.padEnd(width)}  clean ${formatWithError(a.clean, n)}  FGSM ${formatWithError(a.fgsm, n)}  PGD-${r.models[m.key]!.steps} ${formatWithError(a.pgd, n)}  worst case ${formatWithError(a.worstCase, n)}`;
    }),
    ...models.filter((m) => m.key !== 'standard').map((m) => `  audit of the ${m.name} model (surrogate: ${m.surrogate}): ${auditLine(r.models[m.key]!)}`),
    ...(r.models.pgd ? [`  ${targetVerdict(r.models.pgd).text.replace(/\*\*/g, '')}`] : []),
    '',
    `wall time ${formatDuration(s.total!)} (standard training ${formatDuration(s.standard)}, adversarial ${formatDuration(s.adversarial)}` +
      `${s.pgd !== undefined ? `, pgd ${formatDuration(s.pgd)}, fgsm-rs ${formatDuration(s.fgsmRs!)}` : ''}, robustness ${formatDuration(s.robustness!)})`,
  ].join('\n');
}

/** "2 flags: 1 iterative beats single-step; 3 large ε reaches chance", or "no check flagged". */
function auditLine(summary: RobustnessSummary): string {
  const flags = summary.audit.checks.filter((c) => c.verdict === 'flag');
  return flags.length === 0 ? 'no check flagged' : `${plural(flags.length, 'flag')}: ${flags.map((c) => `${c.id} ${c.name}`).join('; ')}`;
}
