/**
 * The standard evaluation (robustness/standard-evaluation.ts) on a small trained LeNet and on the
 * planted masking model: the accuracy never rises from one attack to the next, each attack's
 * "fooled" is what it took off, the same numbers come from 0 and 2 workers, and on the masking
 * model Square takes images both gradient attacks left.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { standardEvaluation, standardSuite } from '../../src/robustness/standard-evaluation.ts';
import { InProcessEngine } from '../../src/train/engine.ts';
import { createEngine } from '../../src/train/workers/engine.ts';
import { QuantisedInput, trainSmallLeNet, type SmallSetup } from './helpers.ts';

let setup: SmallSetup;
beforeAll(async () => {
  setup = await trainSmallLeNet(40);
}, 120_000);

const budget = { steps: 10, queries: 60, targets: 2 } as const;

describe('the standard evaluation', () => {
  test('the suite: APGD-CE, APGD-T, Square; full adds restarts and 5,000 queries', () => {
    expect(standardSuite().map((s) => s.attack)).toEqual(['apgd', 'apgd', 'square']);
    expect(standardSuite()[2]).toMatchObject({ queries: 2500 });
    expect(standardSuite({ full: true })).toMatchObject([{ restarts: 5 }, { targets: 9 }, { queries: 5000 }]);
  });

  test('accuracy never rises along the sequence; each step fooled what it took off; 0 and 2 workers agree', async () => {
    const { model, testSet } = setup;
    const results = [];
    for (const workers of [0, 2]) {
      const engine = await createEngine(model, workers);
      try {
        results.push(await standardEvaluation(engine, testSet.images, testSet.labels, { eps: 0.1, ...budget }));
      } finally {
        await engine.close();
      }
    }
    const [r, r2] = results;
    const n = r.count;
    const chain = [r.clean, ...r.steps.map((s) => s.accuracy)];
    chain.slice(1).forEach((a, i) => {
      expect(a).toBeLessThanOrEqual(chain[i]);
      expect(Math.round((chain[i] - a) * n)).toBe(r.steps[i].fooled);
    });
    expect(r.accuracy).toBe(r.steps[2].accuracy);
    expect(r.bound).toBe('upper');
    expect(r.squareOnly).toBe(r.steps[2].fooled);
    expect(r.steps[0].attack).toBe('APGD-CE (10 steps)');
    expect(Array.from(r2.correct)).toEqual(Array.from(r.correct));
    expect(r2.steps).toEqual(r.steps);
  }, 120_000);

  test('on the planted masking model Square fools images both APGD attacks left', async () => {
    const { model, testSet, mean } = setup;
    const masked = new QuantisedInput(model, mean.data as Float32Array);
    const r = await standardEvaluation(new InProcessEngine(masked), testSet.images, testSet.labels, { eps: 0.25, clip: true, mean, ...budget, queries: 300 });
    expect(r.squareOnly).toBeGreaterThan(r.count * 0.3);
    expect(r.steps[2].accuracy).toBeLessThan(r.steps[1].accuracy - 0.3);
  }, 120_000);
});
