/**
 * Robustness evaluation on real MNIST, CI-sized: a plainly trained LeNet passes the audit's checks
 * 1, 2, 5, 7, 8, 9 and 10 and PGD beats FGSM on it; a planted masking model (it rounds its input to
 * four grey levels, so ∂L/∂x is zero almost everywhere) is flagged, by the new checks too (vanishing
 * gradient, Square beating APGD). Plus the worst case, the audit's bracket table and the curve.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import type { Dataset } from '../../src/data/dataset.ts';
import type { LeNet } from '../../src/models/lenet.ts';
import { formatAudit } from '../../src/report/audit-text.ts';
import { audit, type AuditResult } from '../../src/robustness/audit.ts';
import { certifiedFigure, certifyImages } from '../../src/robustness/bracket.ts';
import { evaluateAttack } from '../../src/robustness/attack-evaluation.ts';
import { robustnessCurve } from '../../src/robustness/curve.ts';
import { exceedsBeyondNoise, standardError } from '../../src/robustness/stats.ts';
import { defaultSuite, worstCase } from '../../src/robustness/worst-case.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { InProcessEngine } from '../../src/train/engine.ts';
import { QuantisedInput, trainSmallLeNet } from './helpers.ts';

let testSet: Dataset;
let mean: Tensor;
let model: LeNet;
const N = 200;
beforeAll(async () => {
  ({ model, mean, testSet } = await trainSmallLeNet(N));
}, 120_000);

const options = { eps: 0.25, epsilons: [0, 0.1, 0.25], steps: 10, apgdSteps: 10, convergenceSteps: [5, 10], convergenceRestarts: [1, 2], squareQueries: 200, noiseDraws: 10 } as const;
const verdicts = (r: AuditResult): Record<number, string> => Object.fromEntries(r.checks.map((c) => [c.id, c.verdict]));

describe('stats', () => {
  test('standard error √(p(1−p)/n), and a difference beyond two standard errors of the difference (curves, check 2)', () => {
    expect(standardError(0.5, 100)).toBeCloseTo(0.05, 12);
    expect(standardError(0, 100)).toBe(0);
    expect(exceedsBeyondNoise(0.6, 0.5, 100)).toBe(false); // 0.1 < 2·√(0.0024 + 0.0025) = 0.14
    expect(exceedsBeyondNoise(0.7, 0.5, 100)).toBe(true);
  });
});

describe('a plainly trained LeNet (2,000 images, 1 epoch)', () => {
  test('PGD accuracy ≤ FGSM accuracy, both well below clean', async () => {
    const engine = new InProcessEngine(model);
    const fgsm = await evaluateAttack(engine, testSet.images, testSet.labels, { attack: 'fgsm', eps: 0.1 });
    const pgd = await evaluateAttack(engine, testSet.images, testSet.labels, { attack: 'pgd', eps: 0.1, steps: 10 });
    expect(pgd.metrics.accuracy).toBeLessThanOrEqual(fgsm.metrics.accuracy);
    expect(pgd.maxPerturbation).toBeLessThanOrEqual(0.1 * 255 + 1e-4);
  });

  test('the audit passes checks 1, 2, 5, 7, 8, 9 and 10', async () => {
    const result = await audit(model, testSet.images, testSet.labels, options);
    const v = verdicts(result);
    expect([v[1], v[2], v[5], v[7], v[8], v[9], v[10]]).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass']);
    expect(v[4]).toBe('skipped'); // no surrogate given
    expect(result.checks.map((c) => c.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(result.gradientScale!.vanishingShare).toBe(0);
    expect(result.convergence!.steps.map((p) => p.budget)).toEqual([5, 10]);
    expect(result.curves.pgd.points.map((p) => p.eps)).toEqual([0, 0.1, 0.25, 0.5]);

    // The bracket: the worst case over every attack the audit ran is no better than any one of
    // them, and the printed table puts clean, certified, the worst case, then the single attacks.
    const a = result.accuracy;
    for (const single of [a.fgsm, a.fgsmPredictedLabel, a.pgd, a.noise, a.apgd!, a.square!]) expect(a.worstCase!).toBeLessThanOrEqual(single);
    expect(a.worstCase!).toBeLessThan(Math.min(a.pgd, a.square!) + 1e-12);
    const certified = certifiedFigure(certifyImages(model, testSet.images, testSet.labels, { eps: 0.25 }), 0);
    expect(certified.accuracy).toBeLessThanOrEqual(a.worstCase!);
    const text = formatAudit(result, certified).split('\n');
    const at = ['clean', 'certified by CROWN (lower bound)', 'worst case of every attack below (upper bound)', '  FGSM', '  PGD-10', '  APGD-CE', '  Square'].map((l) => text.findIndex((line) => line.startsWith(l)));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((x, y) => x - y)).toEqual(at);
    expect(text.find((line) => line.startsWith('  transfer PGD'))).toMatch(/—$/); // no surrogate: not measured
    expect(formatAudit(result).split('\n').find((line) => line.startsWith('certified by CROWN'))).toMatch(/—$/);
  });

  test('the worst case over the suite is no better than any single attack of it, and the curve starts at clean accuracy', async () => {
    const engine = new InProcessEngine(model);
    const suite = defaultSuite({ eps: 0.05 }, 5);
    const worst = await worstCase(engine, testSet.images, testSet.labels, suite);
    expect(worst.steps.map((s) => s.accuracy)).toEqual([...worst.steps.map((s) => s.accuracy)].sort((a, b) => b - a)); // never rises
    for (const spec of suite) {
      const single = await evaluateAttack(engine, testSet.images, testSet.labels, spec);
      expect(worst.accuracy).toBeLessThanOrEqual(single.metrics.accuracy);
    }
    const curve = await robustnessCurve(engine, testSet.images, testSet.labels, { attack: 'fgsm', eps: 0 }, [0, 0.05]);
    expect(curve.points[0].accuracy).toBe(worst.clean);
  });
});

describe('a planted masking model: it rounds its input to 4 grey levels', () => {
  test('the audit flags it: no gradient (7), white-box no better than noise (5), no chance at ε = 0.5 (3), Square beats APGD (9)', async () => {
    const masked = new QuantisedInput(model, mean.data as Float32Array);
    const result = await audit(masked, testSet.images, testSet.labels, { ...options, steps: 5, clip: true, mean });
    const v = verdicts(result);
    expect(result.zeroGradientShare).toBe(1);
    expect(v[7]).toBe('flag');
    expect(v[5]).toBe('flag');
    expect(v[3]).toBe('flag');
    expect(v[9]).toBe('flag');
    expect(result.gradientScale!.vanishingShare).toBe(1);
    expect(result.accuracy.square!).toBeLessThan(result.accuracy.apgd! - 0.2);
    expect(result.checks.find((c) => c.id === 7)!.meaning).toMatch(/gradient attack cannot move/);
  });
});

describe('bad input', () => {
  test('an empty ε list or an ε outside [0, 1] is a clear error', async () => {
    const engine = new InProcessEngine(model);
    await expect(robustnessCurve(engine, testSet.images, testSet.labels, { attack: 'fgsm', eps: 0 }, [])).rejects.toThrow('robustnessCurve: the ε list is empty');
    await expect(audit(model, testSet.images, testSet.labels, { eps: 1.5 })).rejects.toThrow('audit: every ε must be a fraction of the pixel range in [0, 1] (0.25 = 63.75 grey levels), got 1.5');
    await expect(worstCase(engine, testSet.images, testSet.labels, [])).rejects.toThrow('worstCase: the suite is empty');
  });
});
