/**
 * What `npm run audit` prints: the bracket of the robust accuracy (clean; certified, the lower
 * bound; the worst case over every attack the audit ran, the upper bound; then each attack alone,
 * every figure ± its standard error), the audit's checks as a checklist, each with what was
 * measured and its verdict, then what each flag means.
 */
import { PIXEL_RANGE } from '../attacks/attack.ts';
import type { AuditResult } from '../robustness/audit.ts';
import type { Certified } from '../robustness/bracket.ts';
import { formatWithError } from '../robustness/stats.ts';

/** The bracket rows of an audit: [label, accuracy or undefined when not measured]. */
export function auditBracketRows(result: AuditResult, certified: Certified | null): Array<[string, number | null | undefined]> {
  const a = result.accuracy;
  const pgd = result.curves.pgd.description.replace(/ \(.*$/, '');
  return [
    ['clean', a.clean],
    ['certified by CROWN (lower bound)', certified?.accuracy],
    ['worst case of every attack below (upper bound)', a.worstCase],
    ['single attacks, each alone (upper bounds):', null],
    ['  FGSM', a.fgsm],
    ['  FGSM, predicted labels', a.fgsmPredictedLabel],
    [`  ${pgd}`, a.pgd],
    ['  random ±ε noise, worst of its draws', a.noise],
    ['  transfer FGSM from the surrogate', a.transfer ?? undefined],
    ['  transfer PGD from the surrogate', a.transferPgd ?? undefined],
    ['  APGD-CE', a.apgd],
    ['  Square', a.square ?? undefined],
  ];
}

/** The audit as text: the bracket, then one line per check, then what each flag means. */
export function formatAudit(result: AuditResult, certified: Certified | null = null): string {
  const { eps, count } = result;
  const lines = [`ε = ${eps} (${(eps * PIXEL_RANGE).toFixed(2)} grey levels), ${count} images`, ''];
  lines.push('The true robust accuracy lies in the bracket: certified (no attack can fool those images) ≤ true ≤ worst case of the attacks.');
  const rows = auditBracketRows(result, certified);
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  lines.push(`${''.padEnd(width)}accuracy ± se`);
  for (const [label, p] of rows) lines.push(`${label.padEnd(width)}${p === null ? '' : p === undefined ? '—' : formatWithError(p, count)}`.trimEnd());
  lines.push('');
  const idWidth = 3;
  const nameWidth = Math.max(...result.checks.map((c) => c.name.length));
  for (const c of result.checks) {
    lines.push(`${String(c.id).padStart(idWidth)}  ${c.name.padEnd(nameWidth)}  ${c.verdict.toUpperCase().padEnd(7)}  ${c.measured}`);
  }
  const flags = result.checks.filter((c) => c.verdict === 'flag');
  lines.push('', flags.length === 0 ? 'no check flagged.' : `${flags.length} check${flags.length === 1 ? '' : 's'} flagged:`);
  for (const c of flags) lines.push(`  ${c.id} (${c.name}): ${c.meaning}`);
  return lines.join('\n');
}
