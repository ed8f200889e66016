/**
 * APGD (attacks/apgd.ts, apgd-schedule.ts): the checkpoints and the halving rule on hand-made
 * cases; every example stays inside the ε-ball (and the pixels with clip); APGD fools at least as
 * many images as PGD on a small trained LeNet; the result is the same for any batch size and any
 * number of workers (0, 1, 2).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { apgd } from '../../src/attacks/apgd.ts';
import { apgdCheckpoints, halvesStep, type CheckpointState } from '../../src/attacks/apgd-schedule.ts';
import { runAttack, type AttackSpec } from '../../src/attacks/spec.ts';
import { evaluateAttack } from '../../src/robustness/attack-evaluation.ts';
import { sliceBatch } from '../../src/train/engine.ts';
import { createEngine } from '../../src/train/workers/engine.ts';
import { InProcessEngine } from '../../src/train/engine.ts';
import { trainSmallLeNet, type SmallSetup } from '../robustness/helpers.ts';

describe('checkpoints w_j = ⌈p_j·N⌉, p₁ = 0.22, p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06)', () => {
  test('N = 100: the paper\'s p_j times 100', () => {
    const p = [0, 0.22];
    while (p[p.length - 1] < 1) p.push(p[p.length - 1] + Math.max(p[p.length - 1] - p[p.length - 2] - 0.03, 0.06));
    const expected = p.slice(1).map((v) => Math.round(v * 100)).filter((w) => w <= 100);
    expect(apgdCheckpoints(100)).toEqual(expected);
    expect(expected).toEqual([22, 41, 57, 70, 80, 87, 93, 99]);
  });

  test('N = 10: intervals of at least one step (2, then 1 each)', () => {
    expect(apgdCheckpoints(10)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(apgdCheckpoints(1)).toEqual([1]);
  });

  test('N = 200: the intervals shrink by 6 steps down to 12', () => {
    const w = apgdCheckpoints(200);
    const intervals = w.map((v, j) => v - (j === 0 ? 0 : w[j - 1]));
    expect(intervals).toEqual([44, 38, 32, 26, 20, 14, 12, 12]);
  });

  test('a bad step count is a clear error', () => {
    expect(() => apgdCheckpoints(0)).toThrow('apgdCheckpoints: steps must be an integer ≥ 1, got 0');
  });
});

describe('the halving rule at a checkpoint (ρ = 0.75)', () => {
  const state = (s: Partial<CheckpointState>): CheckpointState => ({ increases: 22, interval: 22, reducedLastCheck: false, bestAtLastCheck: 1, best: 2, ...s });
  test('condition 1: fewer than 75% of the steps raised the loss (16 of 22 < 16.5) halves; 17 of 22 does not', () => {
    expect(halvesStep(state({ increases: 16 }))).toBe(true);
    expect(halvesStep(state({ increases: 17 }))).toBe(false);
    expect(halvesStep(state({ increases: 14, interval: 19 }))).toBe(true); // 14 < 14.25
    expect(halvesStep(state({ increases: 15, interval: 19 }))).toBe(false);
  });

  test('condition 2: η kept at the last checkpoint and the best loss unchanged halves', () => {
    expect(halvesStep(state({ bestAtLastCheck: 2, best: 2 }))).toBe(true);
    expect(halvesStep(state({ bestAtLastCheck: 2, best: 2, reducedLastCheck: true }))).toBe(false); // η was just halved: give it an interval
    expect(halvesStep(state({ bestAtLastCheck: 1.9, best: 2 }))).toBe(false); // the best loss moved
  });
});

let setup: SmallSetup;
beforeAll(async () => {
  setup = await trainSmallLeNet(100);
}, 120_000);

const maxDeviation = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('APGD on a small trained LeNet', () => {
  test('‖x_adv − x‖∞ ≤ 255·ε always, and with clip every pixel stays in [0, 255]', () => {
    const { model, testSet, mean } = setup;
    const x = sliceBatch(testSet.images, 0, 20);
    const y = testSet.labels.subarray(0, 20);
    for (const options of [{ eps: 0.1 }, { eps: 0.3, clip: true, mean }, { eps: 0.2, targets: 2, clip: true, mean }, { eps: 0.15, loss: 'dlr' as const, restarts: 2 }]) {
      const adv = apgd(model, x, y, { ...options, steps: 20 });
      expect(maxDeviation(adv.data, x.data)).toBeLessThanOrEqual(options.eps * 255 + 1e-4);
      if ('clip' in options) {
        for (let i = 0; i < adv.size; i++) {
          const pixel = adv.data[i] + mean.data[i % mean.size];
          expect(pixel).toBeGreaterThanOrEqual(-1e-4);
          expect(pixel).toBeLessThanOrEqual(255 + 1e-4);
        }
      }
    }
  });

  test('APGD-CE (100 steps) and APGD-T (3 targets, 40 steps) each fool at least as many images as PGD-40', async () => {
    const { model, testSet } = setup;
    const engine = new InProcessEngine(model);
    const eps = 0.05;
    const pgd = await evaluateAttack(engine, testSet.images, testSet.labels, { attack: 'pgd', eps, steps: 40 });
    const ce = await evaluateAttack(engine, testSet.images, testSet.labels, { attack: 'apgd', eps });
    expect(ce.metrics.accuracy).toBeLessThanOrEqual(pgd.metrics.accuracy);
    expect(ce.metrics.accuracy).toBeLessThan(0.9); // the attack does work at this ε
    const t = await evaluateAttack(engine, testSet.images, testSet.labels, { attack: 'apgd', eps, targets: 3, steps: 40 });
    expect(t.metrics.accuracy).toBeLessThanOrEqual(pgd.metrics.accuracy);
  });

  test('targets above K − 1, and a targeted option, are clear errors', () => {
    const { model, testSet } = setup;
    const x = sliceBatch(testSet.images, 0, 2);
    expect(() => apgd(model, x, [0, 1], { eps: 0.1, targets: 10 })).toThrow('apgd: targets is 10 but the model has 10 classes, so at most 9 other classes to target');
    expect(() => apgd(model, x, [0, 1], { eps: 0.1, targeted: 'least-likely' } as never)).toThrow('apgd: targeted does not apply');
    expect(() => apgd(model, x, [0, 1], { eps: 0.1, targets: 2, loss: 'ce' })).toThrow("loss 'ce' does not apply");
  });
});

describe('determinism', () => {
  const specs: AttackSpec[] = [
    { attack: 'apgd', eps: 0.1, steps: 8, restarts: 2, seed: 3 },
    { attack: 'apgd', eps: 0.1, steps: 8, targets: 2, loss: 'dlr' },
    { attack: 'square', eps: 0.1, queries: 40, seed: 5 },
  ];

  test('a row gets the same example alone, in any batch, with its data-set index', () => {
    const { model, testSet } = setup;
    const x = sliceBatch(testSet.images, 0, 6);
    const y = testSet.labels.subarray(0, 6);
    for (const spec of specs) {
      const whole = runAttack(model, x, y, spec, 0);
      const tail = runAttack(model, sliceBatch(testSet.images, 3, 6), y.subarray(3, 6), spec, 3);
      expect(Array.from(tail.data)).toEqual(Array.from(whole.data.subarray(3 * 784, 6 * 784)));
    }
  });

  test('0, 1 and 2 workers give identical examples', async () => {
    const { model, testSet } = setup;
    const x = sliceBatch(testSet.images, 0, 7);
    const y = testSet.labels.slice(0, 7);
    for (const spec of specs) {
      const results: number[][] = [];
      for (const workers of [0, 1, 2]) {
        const engine = await createEngine(model, workers);
        try {
          results.push(Array.from((await engine.attack(x, y, spec, 10)).data));
        } finally {
          await engine.close();
        }
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[2]).toEqual(results[0]);
    }
  }, 120_000);
});
