/**
 * "How robust, really?" states the bracket: per model clean, certified (lower bound), the worst case
 * of every attack (upper bound, the headline) and the single attacks below it, each ± standard
 * error; "—" where a run saved before the bracket has no certificate; and words that follow the
 * numbers. A checker reads the headline back out of the Markdown and fails a report whose headline
 * is a single attack.
 */
import { describe, expect, test } from 'vitest';
import { targetVerdict } from '../../src/report/robust-training-section.ts';
import { bracketTable, headline, renderRobustnessSection, verdictInWords, type ModelSummary } from '../../src/report/robustness-evaluation-section.ts';
import type { AuditCheck } from '../../src/robustness/audit.ts';
import type { Bracket } from '../../src/robustness/bracket.ts';
import { standardSuite } from '../../src/robustness/standard-evaluation.ts';
import type { RobustnessSummary } from '../../src/robustness/summary.ts';

type Figures = Omit<RobustnessSummary['accuracy'], 'certified' | 'upperBound'>;

/** A hand-made summary: accuracies as given, a flat curve, checks passing except those listed; with `bounds`, the bracket. */
function summary(a: Figures, flagged: number[] = [], bounds?: { certified: number; upper: number }): RobustnessSummary {
  const points = [0, 0.25, 0.5].map((eps) => ({ eps, accuracy: eps === 0 ? a.clean : eps === 0.25 ? a.pgd : 0, standardError: 0.01, count: 1000 }));
  const checks: AuditCheck[] = [1, 2, 3, 4, 5, 6, 7, 8].map((id) => ({
    id, name: `check ${id}`, criterion: `criterion ${id}`, measured: `measured ${id}`,
    verdict: flagged.includes(id) ? 'flag' : 'pass', meaning: flagged.includes(id) ? `meaning of ${id}.` : '',
  }));
  const bracket: Bracket | undefined = bounds && {
    eps: 0.25, count: 1000,
    certified: { method: 'crown', accuracy: bounds.certified, standardError: 0.01, certified: Math.round(1000 * bounds.certified), count: 1000, seconds: 12 },
    evaluation: {
      suite: standardSuite({ eps: 0.25, steps: 100, targets: 3, queries: 1000 }).map(({ mean: _mean, ...spec }) => spec),
      steps: [
        { attack: 'APGD-CE (100 steps)', accuracy: (a.worstCase + bounds.upper) / 2, standardError: 0.01, fooled: Math.round(500 * (a.worstCase - bounds.upper)) },
        { attack: 'APGD-T (100 steps, 3 target classes)', accuracy: bounds.upper, standardError: 0.01, fooled: Math.round(500 * (a.worstCase - bounds.upper)) },
        { attack: 'Square (1000 queries)', accuracy: bounds.upper, standardError: 0.01, fooled: 0 },
      ],
      squareOnly: 0, seconds: [1, 2, 3],
    },
    upper: bounds.upper, upperStandardError: 0.01, contradictions: 0,
  };
  return {
    eps: 0.25, count: 1000, steps: 40,
    accuracy: { ...a, ...(bounds ? { certified: bounds.certified, upperBound: bounds.upper } : {}) },
    worstCase: { count: 1000, clean: a.clean, accuracy: a.worstCase, standardError: 0.01, steps: [{ attack: 'FGSM', accuracy: a.fgsm, standardError: 0.01, fooled: 10 }] },
    audit: {
      eps: 0.25, count: 1000, zeroGradientShare: 0, checks,
      accuracy: { clean: a.clean, fgsm: a.fgsm, fgsmPredictedLabel: a.fgsm, pgd: a.pgd, noise: a.clean, transfer: null },
      curves: { fgsm: { attack: 'fgsm', description: 'FGSM', points }, pgd: { attack: 'pgd', description: 'PGD-40', points } },
    },
    ...(bracket ? { bracket } : {}),
  };
}

const masked: ModelSummary = { name: 'fgsm-trained', summary: summary({ clean: 0.99, fgsm: 0.87, pgd: 0.02, pgdClipped: 0.05, worstCase: 0.01 }, [1], { certified: 0, upper: 0.004 }) };
const robust: ModelSummary = { name: 'robust', summary: summary({ clean: 0.97, fgsm: 0.7, pgd: 0.66, pgdClipped: 0.68, worstCase: 0.64 }, [], { certified: 0.21, upper: 0.6 }) };
const old: ModelSummary = { name: 'old run', summary: summary({ clean: 0.97, fgsm: 0.7, pgd: 0.66, pgdClipped: 0.68, worstCase: 0.64 }) };

/** The figure (before ±) in each model column of the table row whose label starts with `label`. */
function row(md: string, label: string): Array<number | null> {
  const line = md.split('\n').find((l) => l.startsWith(`| ${label}`));
  if (line === undefined) throw new Error(`no row '${label}'`);
  return line.split('|').slice(2, -1).map((cell) => {
    const m = /(\d\.\d{4}) ±/.exec(cell);
    return m === null ? null : Number(m[1]);
  });
}

/**
 * The headline of a bracket table, read back: the bold row must be labelled a worst case and an
 * upper bound, name more than one attack, and hold each model's lowest attacked figure.
 */
function checkHeadline(md: string, singleAttackRows: string[]): number[] {
  const line = md.split('\n').find((l) => l.startsWith('| **'));
  if (line === undefined) throw new Error('no bold headline row');
  const label = line.split('|')[1];
  if (!/worst case/.test(label) || !/upper bound/.test(label)) throw new Error(`the headline '${label.trim()}' is not a worst case labelled an upper bound`);
  if (!/suite|APGD/.test(label)) throw new Error(`the headline '${label.trim()}' names a single attack`);
  const top = row(md, label.trim()).map((v) => v!);
  for (const single of singleAttackRows) {
    row(md, single).forEach((v, i) => {
      if (v !== null && top[i] > v) throw new Error(`the headline ${top[i]} is above the single attack '${single}' ${v}: it is not the worst case`);
    });
  }
  return top;
}

const SINGLE = ['FGSM', 'PGD-40, unclipped', 'PGD-40, clipped'];

describe('the bracket table', () => {
  const md = renderRobustnessSection([masked, robust], 'curves.svg');

  test('per model: clean, certified (lower bound), the worst case (upper bound, bold), then the single attacks, each ± standard error', () => {
    const labels = md.split('\n').filter((l) => l.startsWith('| ')).map((l) => l.split('|')[1].trim());
    const order = ['clean', 'certified by CROWN (lower bound)', '**worst case of the PGD-40 suite, APGD-CE, APGD-T and Square (upper bound)**', 'single attacks, each alone (upper bounds):', 'FGSM', 'PGD-40, unclipped (as the paper)', 'PGD-40, clipped to [0, 255]'];
    expect(labels.slice(1, 1 + order.length)).toEqual(order);
    expect(md).toContain('| certified by CROWN (lower bound) | 0.0000 ± 0.0000 | 0.2100 ± 0.0129 |');
    expect(md).toContain('| **worst case of the PGD-40 suite, APGD-CE, APGD-T and Square (upper bound)** | **0.0040 ± 0.0020** | **0.6000 ± 0.0155** |');
  });

  test('certified ≤ worst case ≤ every single attack, read from the rendered table', () => {
    const certified = row(md, 'certified by CROWN');
    const top = checkHeadline(md, SINGLE);
    top.forEach((upper, i) => expect(certified[i]!).toBeLessThanOrEqual(upper));
    expect(top).toEqual([masked.summary.accuracy.upperBound, robust.summary.accuracy.upperBound]);
  });

  test('a report whose headline is a single attack fails the checker', () => {
    const asPgd = md.replace(/\| \*\*worst case of the PGD-40 suite, APGD-CE, APGD-T and Square \(upper bound\)\*\* \|[^\n]*/, '| **PGD-40 (upper bound)** | **0.0200 ± 0.0044** | **0.6600 ± 0.0150** |');
    expect(() => checkHeadline(asPgd, SINGLE)).toThrow(/names a single attack|not a worst case/);
    const wrongFigure = md.replace('**0.6000 ± 0.0155**', '**0.6600 ± 0.0150**').replace('| PGD-40, clipped to [0, 255] | 0.0500 ± 0.0069 | 0.6800 ± 0.0148 |', '| PGD-40, clipped to [0, 255] | 0.0500 ± 0.0069 | 0.6500 ± 0.0151 |');
    expect(() => checkHeadline(wrongFigure, SINGLE)).toThrow(/above the single attack/);
  });

  test('the chain lists the PGD suite then the standard evaluation, with what each fooled', () => {
    expect(md).toContain('| after FGSM | 0.8700 ± 0.0106 (10 fooled here) |');
    expect(md).toMatch(/\| after APGD-T \(100 steps, 3 target classes\) \| 0\.0040 ± 0\.0020 \(3 fooled here\) \| 0\.6000 ± 0\.0155 \(20 fooled here\) \|/);
    expect(md).toContain('no certified image was fooled');
  });

  test('a run saved before the bracket: "—" for the certificate, the PGD suite\'s worst case as its headline, labelled so', () => {
    const text = bracketTable([old], 1000).join('\n');
    expect(text).toContain('| certified by CROWN (lower bound) | — |');
    expect(text).toContain('| **worst case of the PGD-40 suite (upper bound; no standard evaluation in this run)** | **0.6400 ± 0.0152** |');
    expect(headline(old.summary)).toEqual({ value: 0.64, label: 'worst case of the PGD-40 suite (upper bound; no standard evaluation in this run)' });
    expect(renderRobustnessSection([old], 'c.svg')).toContain('saved before the bracket');
  });
});

describe('the words follow the numbers', () => {
  test('FGSM far above the worst case: the FGSM figure is called out, the flag explained, "not robust" said', () => {
    const text = verdictInWords(masked, 1000);
    expect(text).toContain('robust accuracy between 0.0000 ± 0.0000 certified and 0.0040 ± 0.0020, the worst case of the PGD-40 suite, APGD-CE, APGD-T and Square (upper bound)');
    expect(text).toContain('Its FGSM accuracy overstates its robustness by 86.6 points');
    expect(text).toContain('it is not robust at ε = 0.25');
    expect(text).toContain('The audit flags 1 (check 1): meaning of 1.');
  });

  test('FGSM within noise of the worst case, no flag: no overstatement claimed', () => {
    const close: ModelSummary = { name: 'close', summary: summary({ clean: 0.97, fgsm: 0.62, pgd: 0.61, pgdClipped: 0.61, worstCase: 0.61 }, [], { certified: 0.1, upper: 0.6 }) };
    const text = verdictInWords(close, 1000);
    expect(text).toContain('FGSM and the strongest attacks agree within noise.');
    expect(text).not.toContain('not robust');
    expect(text).toContain('The audit flags none of its checks');
  });

  test('the section has the chart and every check per model', () => {
    const md = renderRobustnessSection([masked, robust], 'curves.svg');
    expect(md).toContain('![accuracy against ε for FGSM and PGD, every model](curves.svg)');
    expect(md).toContain('| 1. check 1 | criterion 1 | **flag**: measured 1 | **pass**: measured 1 |');
  });
});

describe('the robust preset judges each network\'s target on the worst case, never on a single attack', () => {
  const base = { clean: 0.988, fgsm: 0.9, pgd: 0.9, pgdClipped: 0.91, worstCase: 0.88 };

  test('the variant: PGD-40 above its target but the worst case below it: not met, and the worst case is the figure named', () => {
    const { met, text } = targetVerdict(summary(base, [], { certified: 0, upper: 0.8 }), 'pgdRelu');
    expect(met).toBe(false);
    expect(text).toContain('Target of the PGD-trained LeNet-ReLU model');
    expect(text).toContain('worst case of the PGD-40 suite, APGD-CE, APGD-T and Square (upper bound) 0.8000 ± 0.0126 (below 0.85');
    expect(text).toContain('PGD-40 alone 0.9000 ± 0.0095, not the figure judged');
  });

  test('the variant: the worst case above 0.85 with clean ≥ 0.98 and no flag: met; a flag or clean below 0.98: not met', () => {
    expect(targetVerdict(summary(base, [], { certified: 0.1, upper: 0.86 }), 'pgdRelu').met).toBe(true);
    expect(targetVerdict(summary(base, [3], { certified: 0.1, upper: 0.86 }), 'pgdRelu').met).toBe(false);
    expect(targetVerdict(summary({ ...base, clean: 0.975 }, [], { certified: 0.1, upper: 0.86 }), 'pgdRelu').met).toBe(false);
  });

  test("the seed's LeNet has its own target: above 0.42 with clean ≥ 0.95", () => {
    const lenet = { ...base, clean: 0.96, pgd: 0.55, worstCase: 0.47 };
    expect(targetVerdict(summary(lenet, [], { certified: 0, upper: 0.45 }), 'pgd').met).toBe(true);
    const below = targetVerdict(summary(lenet, [], { certified: 0, upper: 0.3 }), 'pgd');
    expect(below.met).toBe(false);
    expect(below.text).toContain('Target of the PGD-trained LeNet model');
    expect(below.text).toContain('(below 0.42');
  });

  test('a run without the standard evaluation cannot meet it, whatever its PGD suite gave', () => {
    const { met, text } = targetVerdict(summary(base), 'pgdRelu');
    expect(met).toBe(false);
    expect(text).toContain('without the standard evaluation, so it cannot be met');
  });
});
