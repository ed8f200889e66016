import { describe, expect, test } from 'vitest';
import { renderRobustnessSection, verdictInWords, type ModelSummary } from '../../src/report/robustness-evaluation-section.ts';
import type { AuditCheck } from '../../src/robustness/audit.ts';
import type { RobustnessSummary } from '../../src/robustness/summary.ts';

/** A hand-made summary: accuracies as given, a flat curve, checks passing except those listed. */
function summary(a: RobustnessSummary['accuracy'], flagged: number[] = []): RobustnessSummary {
  const points = [0, 0.25, 0.5].map((eps) => ({ eps, accuracy: eps === 0 ? a.clean : eps === 0.25 ? a.pgd : 0, standardError: 0.01, count: 1000 }));
  const checks: AuditCheck[] = [1, 2, 3, 4, 5, 6, 7, 8].map((id) => ({
    id, name: `check ${id}`, criterion: `criterion ${id}`, measured: `measured ${id}`,
    verdict: flagged.includes(id) ? 'flag' : 'pass', meaning: flagged.includes(id) ? `meaning of ${id}.` : '',
  }));
  return {
    eps: 0.25, count: 1000, steps: 40, accuracy: a,
    worstCase: { count: 1000, clean: a.clean, accuracy: a.worstCase, standardError: 0.01, steps: [{ attack: 'FGSM', accuracy: a.fgsm, standardError: 0.01, fooled: 10 }] },
    audit: {
      eps: 0.25, count: 1000, zeroGradientShare: 0, checks,
      accuracy: { clean: a.clean, fgsm: a.fgsm, fgsmPredictedLabel: a.fgsm, pgd: a.pgd, noise: a.clean, transfer: null },
      curves: { fgsm: { attack: 'fgsm', description: 'FGSM', points }, pgd: { attack: 'pgd', description: 'PGD-40', points } },
    },
  };
}

const masked: ModelSummary = { name: 'fgsm-trained', summary: summary({ clean: 0.99, fgsm: 0.87, pgd: 0.02, pgdClipped: 0.05, worstCase: 0.01 }, [1]) };
const robust: ModelSummary = { name: 'robust', summary: summary({ clean: 0.97, fgsm: 0.7, pgd: 0.66, pgdClipped: 0.68, worstCase: 0.68 }) };

describe('the words follow the numbers', () => {
  test('FGSM far above the worst case: the FGSM figure is called out, the flag explained, "not robust" said', () => {
    const text = verdictInWords(masked, 1000);
    expect(text).toContain('Its FGSM accuracy overstates its robustness by 86.0 points');
    expect(text).toContain('it is not robust at ε = 0.25');
    expect(text).toContain('The audit flags 1 (check 1): meaning of 1.');
  });

  test('FGSM and the worst case within noise, no flag: no overstatement claimed', () => {
    const text = verdictInWords(robust, 1000);
    expect(text).toContain('FGSM and the strongest attacks agree within noise.');
    expect(text).not.toContain('not robust');
    expect(text).toContain('The audit flags none of its checks');
  });

  test('the section has the table with standard errors, the chart and every check per model', () => {
    const md = renderRobustnessSection([masked, robust], 'curves.svg');
    expect(md).toContain('| worst case over the suite | 0.0100 ± 0.0031 | 0.6800 ± 0.0148 |');
    expect(md).toContain('![accuracy against ε for FGSM and PGD, every model](curves.svg)');
    expect(md).toContain('| 1. check 1 | criterion 1 | **flag**: measured 1 | **pass**: measured 1 |');
  });
});
