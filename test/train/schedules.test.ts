/**
 * The adversarial-training schedules: ε warm-up values, the training attacks, the 'batch' step kept
 * bit for bit, and bit-identical weights for 0, 1 and 2 workers with 'pgd' and 'fgsm-rs'.
 */
import { describe, expect, test } from 'vitest';
import { scale } from '../../src/autograd/arithmetic.ts';
import { backward } from '../../src/autograd/backward.ts';
import { Variable } from '../../src/autograd/variable.ts';
import { fgsmFromGradient } from '../../src/attacks/fgsm.ts';
import { softmaxCrossEntropy } from '../../src/layers/softmax-cross-entropy.ts';
import { createLeNet } from '../../src/models/lenet.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { Adam } from '../../src/train/adam.ts';
import { checkAdversarialTraining, epsRampFactor, rampedEps, trainingAttackSpec, type AdversarialTraining } from '../../src/train/schedules.ts';
import { SGD } from '../../src/train/sgd.ts';
import { shardGradients } from '../../src/train/step.ts';
import { train } from '../../src/train/train.ts';
import { enginesPerWorkerCount, expectSameBits, randomData } from './helpers.ts';

describe('ε warm-up: ε(e, s) = ε·min(1, ((e − 1)·S + s)/(R·S))', () => {
  test.each([
    // [R, epoch, step, S, factor]
    [2, 1, 1, 100, 1 / 200],
    [2, 1, 50, 100, 0.25],
    [2, 1, 100, 100, 0.5],
    [2, 2, 50, 100, 0.75],
    [2, 2, 100, 100, 1],
    [2, 3, 1, 100, 1],
    [1, 1, 3, 4, 0.75],
    [0, 1, 1, 100, 1],
  ])('R=%i epoch %i step %i of %i: factor %f', (R, epoch, step, S, factor) => {
    expect(epsRampFactor(R, epoch, step, S)).toBeCloseTo(factor, 15);
  });

  test('rampedEps scales ε and returns ε itself once warm', () => {
    expect(rampedEps(0.25, 2, 1, 50, 100)).toBeCloseTo(0.0625, 15);
    expect(rampedEps(0.25, 2, 2, 100, 100)).toBe(0.25);
    expect(rampedEps(0.3, 0, 1, 1, 590)).toBe(0.3);
  });

  test('ε never falls and reaches its value at the last step of epoch R', () => {
    const S = 7;
    let last = 0;
    for (let e = 1; e <= 4; e++) {
      for (let s = 1; s <= S; s++) {
        const f = epsRampFactor(3, e, s, S);
        expect(f).toBeGreaterThan(last - 1e-15);
        expect(f === 1).toBe(e > 3 || (e === 3 && s === S));
        last = f;
      }
    }
  });
});

describe('training attacks', () => {
  const base: AdversarialTraining = { fgsm: { eps: 0.2, labelMode: 'predicted' }, schedule: 'pgd' };

  test("'pgd': PGD-7 by default, α = 2.5·ε/7, random start, every step run (no early stop)", () => {
    const spec = trainingAttackSpec(base, 0.1, 0, 1, 1);
    expect(spec).toMatchObject({ attack: 'pgd', eps: 0.1, steps: 7, randomStart: true, earlyStop: false, labelMode: 'predicted' });
    expect((spec as { stepSize: number }).stepSize).toBeCloseTo((2.5 * 0.1) / 7, 15);
    expect(trainingAttackSpec({ ...base, steps: 3 }, 0.2, 0, 1, 1)).toMatchObject({ steps: 3, stepSize: (2.5 * 0.2) / 3 });
  });

  test("'fgsm-rs': one step of 1.25·ε from a uniform start (Wong et al.)", () => {
    expect(trainingAttackSpec({ ...base, schedule: 'fgsm-rs' }, 0.2, 0, 1, 1)).toMatchObject({ attack: 'pgd', steps: 1, stepSize: 1.25 * 0.2, randomStart: true });
  });

  test('random starts differ across epochs, steps and seeds', () => {
    const seeds = new Set<number>();
    for (const seed of [0, 1]) for (const epoch of [1, 2, 3]) for (const step of [1, 2, 3]) seeds.add(trainingAttackSpec(base, 0.2, seed, epoch, step).seed!);
    expect(seeds.size).toBe(18);
  });

  test('bad options are clear errors', () => {
    const check = (extra: Partial<AdversarialTraining>, batch = 100) => () => checkAdversarialTraining({ ...base, ...extra }, batch);
    expect(check({ advRatio: 1.5 })).toThrow('train: advRatio (the share of adversarial examples in the loss) must be a number in [0, 1], got 1.5');
    expect(check({ steps: 0 })).toThrow("train: steps (attack steps of the 'pgd' and 'trades' schedules) must be an integer ≥ 1, got 0");
    expect(check({ epsRamp: -1 })).toThrow('train: epsRamp must be a whole number of epochs ≥ 0, got -1');
    expect(check({ schedule: 'batch', steps: 3 })).toThrow("train: steps applies to the 'pgd' and 'trades' schedules only, not 'batch'");
    expect(check({ schedule: 'epoch', epsRamp: 2 })).toThrow(/epsRamp needs examples made every batch/);
    expect(check({ schedule: 'epoch', advRatio: 1 })).toThrow(/'epoch' schedule mixes N clean and N adversarial samples/);
    expect(check({ schedule: 'nope' as 'pgd' })).toThrow("train: schedule must be one of batch, epoch, pgd, fgsm-rs, trades, got 'nope'");
    expect(check({ schedule: 'batch' }, 99)).toThrow(/even batch size/);
  });
});

test("the 'batch' step with advRatio ½ is the former J̃ = (J(x) + J(x_adv))/B bit for bit", () => {
  const { images, labels } = randomData(6, 3);
  const fgsm = { eps: 0.25 };
  // The step as it was written before advRatio existed.
  const former = createLeNet({ seed: 2 });
  const w = 6 / 12;
  const xv = new Variable(images, { requiresGrad: true });
  const clean = softmaxCrossEntropy(former.forward(xv), labels);
  backward(scale(clean, w));
  const adv = softmaxCrossEntropy(former.forward(new Variable(fgsmFromGradient(images, xv.grad!, fgsm))), labels);
  backward(scale(adv, w));
  const formerLoss = (clean.value.data[0] + adv.value.data[0]) * 6;

  for (const advRatio of [undefined, 0.5]) {
    const model = createLeNet({ seed: 2 });
    const loss = shardGradients(model, images, labels, 12, { kind: 'adversarial', fgsm, advRatio });
    expect(loss).toBe(formerLoss);
    model.parameters().forEach((p, i) => expectSameBits(p.grad!.data, former.parameters()[i].grad!.data, `parameter ${i}`));
  }
});

describe('0, 1 and 2 workers give bit-identical weights', () => {
  const { models, engines } = enginesPerWorkerCount();

  const cases: Array<[string, AdversarialTraining, 'sgd' | 'adam']> = [
    ['pgd, 2 steps, ε ramp over 1 epoch', { fgsm: { eps: 0.25 }, schedule: 'pgd', steps: 2, epsRamp: 1 }, 'sgd'],
    ['pgd, predicted labels, advRatio ½, Adam', { fgsm: { eps: 0.2, labelMode: 'predicted' }, schedule: 'pgd', steps: 2, advRatio: 0.5 }, 'adam'],
    ['fgsm-rs, clipped', { fgsm: { eps: 0.25, clip: true, mean: new Tensor(new Float32Array(784).fill(40), [1, 1, 28, 28]) }, schedule: 'fgsm-rs' }, 'sgd'],
    ['batch, advRatio 1, predicted labels', { fgsm: { eps: 0.25, labelMode: 'predicted' }, schedule: 'batch', advRatio: 1 }, 'sgd'],
  ];
  test.each(cases)('%s (2 steps)', async (_, adversarial, optimizerName) => {
    const data = randomData(40, 3);
    const weights = new Map<number, Float32Array[]>();
    const losses = new Map<number, number[]>();
    for (const workers of [0, 1, 2]) {
      const model = models.get(workers)!;
      const fresh = createLeNet({ seed: 0 }).parameters();
      model.parameters().forEach((p, i) => p.value.data.set(fresh[i].value.data));
      const optimizer = optimizerName === 'adam' ? new Adam(model.parameters(), { lr: 1e-3 }) : new SGD(model.parameters(), { lr: 1e-4 });
      const batchSize = adversarial.schedule === 'batch' ? 40 : 20;
      const log = await train(model, data, { optimizer, epochs: 1, batchSize, seed: 5, adversarial, engine: engines.get(workers) });
      weights.set(workers, model.parameters().map((p) => Float32Array.from(p.value.data)));
      losses.set(workers, log.map((e) => e.loss));
    }
    expect(weights.get(0)![0]).not.toEqual(createLeNet({ seed: 0 }).parameters()[0].value.data);
    for (const workers of [1, 2]) {
      expect(losses.get(workers)).toEqual(losses.get(0));
      weights.get(workers)!.forEach((w, i) => expectSameBits(w, weights.get(0)![i], `${workers} workers, parameter ${i}`));
    }
  });
});
