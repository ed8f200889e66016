/**
 * What `npm run audit` prints: the audit's checks as a checklist, each with what was measured and
 * its verdict, then what each flag means.
 */
import { PIXEL_RANGE } from '../attacks/attack.ts';
import type { AuditResult } from '../robustness/audit.ts';

/** The audit as text: the accuracies, then one line per check, then what each flag means. */
export function formatAudit(result: AuditResult): string {
  const { eps, count } = result;
  const lines = [`ε = ${eps} (${(eps * PIXEL_RANGE).toFixed(2)} grey levels), ${count} images`, ''];
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
