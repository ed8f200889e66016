import { describe, expect, test } from 'vitest';
import { driftMarkdown, driftRows } from '../../src/report/drift.ts';
import type { Metrics, Results } from '../../src/report/results.ts';

function metrics(accuracy: number, confidence: number, count = 10_000): Metrics {
  return { accuracy, error: 1 - accuracy, confidence, confidenceCorrect: confidence, confidenceError: confidence, count };
}

function run(standardFgsm: number, adversarialFgsm: number): Results {
  return {
    config: { eps: 0.25, clip: false, schedule: 'batch', seed: 0, epochs: { standard: 3, adversarial: 3 }, trainCount: 60_000, testCount: 10_000, preset: 'default' },
    standard: { clean: metrics(0.986, 0.98), adversarial: metrics(standardFgsm, 0.9) },
    adversarial: { clean: metrics(0.988, 0.98), adversarial: metrics(adversarialFgsm, 0.88) },
    seconds: { standard: 1, adversarial: 1 },
  };
}

describe('drift between two reproduce runs', () => {
  test('a difference is beyond noise exactly when it exceeds two standard errors of the difference', () => {
    // se(b − a) for 0.87 vs 0.90 on 10,000 images each: √(0.87·0.13 + 0.9·0.1)/100 ≈ 0.0045
    const rows = driftRows(run(0.018, 0.87), run(0.019, 0.9));
    const fgsmTrained = rows.find((r) => r.cell === 'FGSM-trained, FGSM accuracy')!;
    expect(fgsmTrained.se).toBeCloseTo(Math.sqrt(0.87 * 0.13 + 0.9 * 0.1) / 100, 12);
    const table = driftMarkdown(run(0.018, 0.87), run(0.019, 0.9), { a: 'A', b: 'B' });
    expect(table).toContain('| FGSM-trained, FGSM accuracy | 0.8700 | 0.9000 | +0.0300 | 0.0090 | **yes** |');
    expect(table).toContain('| standard, FGSM accuracy | 0.0180 | 0.0190 | +0.0010 | 0.0038 | no |');
  });

  test('confidences carry no verdict; a fall is signed', () => {
    const table = driftMarkdown(run(0.018, 0.9), run(0.018, 0.87), { a: 'A', b: 'B' });
    expect(table).toContain('| standard, FGSM confidence | 0.9000 | 0.9000 | ±0.0000 |  |  |');
    expect(table).toContain('| FGSM-trained, FGSM accuracy | 0.9000 | 0.8700 | −0.0300 | 0.0090 | **yes** |');
  });

  test('the robustness rows appear only when both runs measured them', () => {
    const a = run(0.018, 0.87);
    const b = run(0.018, 0.87);
    const summary = (pgd: number) => ({ eps: 0.25, count: 1000, steps: 40, accuracy: { clean: 0.99, fgsm: 0.86, pgd, pgdClipped: 0.07, worstCase: 0 } });
    a.robustness = { count: 1000, chart: 'x.svg', models: { standard: summary(0), adversarial: summary(0) } as never };
    expect(driftRows(a, b).some((r) => r.cell.includes('PGD-40'))).toBe(false);
    b.robustness = { count: 1000, chart: 'x.svg', models: { standard: summary(0), adversarial: summary(0.05) } as never };
    const pgd = driftRows(a, b).find((r) => r.cell.startsWith('FGSM-trained, PGD-40 accuracy'))!;
    expect([pgd.a, pgd.b]).toEqual([0, 0.05]);
    expect(pgd.cell).toContain('(1000 / 1000 images)');
  });
});
