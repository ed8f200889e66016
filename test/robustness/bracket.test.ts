/**
 * The bracket built on the audit (robustness/bracket.ts with `audit`): the standard evaluation
 * reuses the audit's APGD-CE and Square runs and gets, attack for attack, the numbers it gets when
 * it runs them itself; the upper bound then also counts every attack the audit made, so it is never
 * above either chain's worst case, and the audit's row counts what it took off. And sameAttack,
 * which decides the reuse: omitted options mean their defaults, anything else that differs does not
 * match.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { SQUARE_QUERIES } from '../../src/attacks/square.ts';
import { sameAttack, type AttackSpec } from '../../src/attacks/spec.ts';
import { auditRun, type AuditRun } from '../../src/robustness/audit.ts';
import { bracketBudget, robustnessBracket, type Bracket } from '../../src/robustness/bracket.ts';
import { defaultSuite, worstCase } from '../../src/robustness/worst-case.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { InProcessEngine } from '../../src/train/engine.ts';
import { trainSmallLeNet, type SmallSetup } from './helpers.ts';

describe('sameAttack', () => {
  const mean = new Tensor(new Float32Array(784), [1, 1, 28, 28]);
  const apgd: AttackSpec = { attack: 'apgd', eps: 0.25, clip: false, mean, steps: 100, loss: 'ce', seed: 0 };
  test('an omitted option equals its default: restarts 1, first restart 0, the default queries of Square', () => {
    expect(sameAttack(apgd, { ...apgd, restarts: 1, firstRestart: 0 })).toBe(true);
    expect(sameAttack({ attack: 'apgd', eps: 0.25, mean }, { ...apgd, clip: undefined })).toBe(true);
    expect(sameAttack({ attack: 'square', eps: 0.1, seed: 2 }, { attack: 'square', eps: 0.1, seed: 2, queries: SQUARE_QUERIES, pInit: 0.8 })).toBe(true);
  });
  test('a different seed, budget, ε, loss, attack or mean image is another run', () => {
    for (const other of [{ seed: 1 }, { steps: 50 }, { eps: 0.3 }, { loss: 'dlr' as const }, { restarts: 2 }, { mean: new Tensor(new Float32Array(784), [1, 1, 28, 28]) }]) {
      expect(sameAttack(apgd, { ...apgd, ...other } as AttackSpec)).toBe(false);
    }
    expect(sameAttack(apgd, { attack: 'square', eps: 0.25, mean, seed: 0 })).toBe(false);
  });
});

describe('the bracket on the audit (100 test images, a LeNet trained on 2,000)', () => {
  let setup: SmallSetup;
  let run: AuditRun;
  let alone: Bracket;
  let built: Bracket;
  const eps = 0.1;
  const steps = 4; // the audit's APGD-CE (2.5·4 = 10 steps) and Square (25·4 = 100 queries) are the bracket's
  beforeAll(async () => {
    setup = await trainSmallLeNet(100);
    const { model, testSet, mean } = setup;
    const engine = new InProcessEngine(model);
    const [images, labels] = [testSet.images, testSet.labels];
    run = await auditRun(model, images, labels, { eps, mean, steps, epsilons: [eps], convergenceSteps: [5, 10], convergenceRestarts: [1, 2], noiseDraws: 2, engine });
    const survivors = (await worstCase(engine, images, labels, defaultSuite({ eps, mean }, steps))).correct;
    const options = { eps, mean, budget: bracketBudget(steps) };
    alone = await robustnessBracket(model, engine, images, labels, survivors, options);
    built = await robustnessBracket(model, engine, images, labels, survivors, { ...options, audit: run });
  }, 300_000);

  test("APGD-CE and Square are taken from the audit, and every attack's figures equal running it", () => {
    expect(built.evaluation.reused).toEqual([true, false, true]);
    expect(alone.evaluation.reused).toEqual([false, false, false]);
    expect(built.evaluation.steps).toEqual(alone.evaluation.steps);
    expect(alone.evaluation.steps[0].fooled + alone.evaluation.steps[1].fooled).toBeGreaterThan(0); // the chain did work
  });

  test("the upper bound counts the audit's attacks: at most either chain's figure, and its own row says how many it took off", () => {
    const N = run.survivors.length;
    expect(built.upper).toBeLessThanOrEqual(alone.upper);
    expect(built.upper).toBeLessThanOrEqual(run.result.accuracy.worstCase!);
    expect(alone.audit).toBeUndefined();
    expect(built.audit!.fooled).toBe(Math.round((alone.upper - built.upper) * N));
    expect(built.audit!.accuracy).toBe(built.upper);
    expect(built.contradictions).toBe(0);
  });
});
