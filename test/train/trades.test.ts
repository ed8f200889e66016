/**
 * The 'trades' schedule (Zhang et al. 2019): its inner attack (attacks/kl-pgd.ts), its loss
 * through the model (train/step.ts), and the worker engine. What must hold: x̃ stays in the ε-ball
 * and raises the KL from its start; a row's x̃ does not depend on its batch; the loss's θ-gradient
 * passes a float64 check through both predictions; and a step gives the in-process weights and Σ J
 * bit for bit with 1 and 2 workers, under train() too.
 */
import { describe, expect, test } from 'vitest';
import { add, scale } from '../../src/autograd/arithmetic.ts';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import { mean } from '../../src/autograd/reduce.ts';
import { noGrad, Variable } from '../../src/autograd/variable.ts';
import { klPgd, type KlPgdOptions } from '../../src/attacks/kl-pgd.ts';
import { klDivergencePerExample } from '../../src/layers/kl-divergence.ts';
import { softmaxCrossEntropy } from '../../src/layers/softmax-cross-entropy.ts';
import { createLeNet } from '../../src/models/lenet.ts';
import { createLeNetRelu, type LeNetRelu } from '../../src/models/lenet-relu.ts';
import { randn } from '../../src/tensor/create.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { Adam } from '../../src/train/adam.ts';
import { SGD } from '../../src/train/sgd.ts';
import { checkAdversarialTraining, tradesAttackOptions } from '../../src/train/schedules.ts';
import type { StepKind } from '../../src/train/step.ts';
import { train } from '../../src/train/train.ts';
import { createEngine } from '../../src/train/workers/engine.ts';
import { enginesPerWorkerCount, expectSameBits, randomData } from './helpers.ts';

const ATTACK: KlPgdOptions = { eps: 0.25, steps: 3, stepSize: (2.5 * 0.25) / 3, seed: 7 };

/** Σₙ KL(p(xₙ) ‖ p(x̃ₙ)) per row. */
function klRows(model: LeNetRelu, x: Tensor, xAdv: Tensor): Float32Array | Float64Array {
  return noGrad(() => klDivergencePerExample(model.forward(new Variable(x)), model.forward(new Variable(xAdv)))).value.data;
}

describe('the KL attack', () => {
  const model = createLeNetRelu({ seed: 1 });
  const { images } = randomData(6, 1);

  test('x̃ stays within ε·255 of x, moves, and raises the KL above that of its start (one step of size ~0)', () => {
    const xAdv = klPgd(model, images, ATTACK);
    const r = 0.25 * 255;
    let moved = 0;
    for (let i = 0; i < images.size; i++) {
      expect(Math.abs(xAdv.data[i] - images.data[i])).toBeLessThanOrEqual(r * (1 + 1e-6));
      moved = Math.max(moved, Math.abs(xAdv.data[i] - images.data[i]));
    }
    expect(moved).toBeGreaterThan(r / 2);
    const start = klPgd(model, images, { ...ATTACK, steps: 1, stepSize: 1e-12 }); // the start, barely moved
    const [kl, kl0] = [klRows(model, images, xAdv), klRows(model, images, start)];
    for (let n = 0; n < 6; n++) expect(kl[n]).toBeGreaterThan(kl0[n]);
  });

  test('a row\'s x̃ depends on its pixels and its index, not on the rows around it', () => {
    const whole = klPgd(model, images, ATTACK, 10);
    const part = klPgd(model, new Tensor(images.data.slice(2 * 784, 5 * 784), [3, 1, 28, 28]), ATTACK, 12);
    expectSameBits(part.data, whole.data.subarray(2 * 784, 5 * 784), 'rows 2..4');
  });

  test('with clip, x̃ + mean stays in [0, 255]; ε = 0 returns x', () => {
    const meanImage = new Tensor(new Float32Array(784).fill(33), [1, 1, 28, 28]);
    const xAdv = klPgd(model, images, { ...ATTACK, clip: true, mean: meanImage });
    xAdv.data.forEach((v) => {
      expect(v + 33).toBeGreaterThanOrEqual(0);
      expect(v + 33).toBeLessThanOrEqual(255);
    });
    expectSameBits(klPgd(model, images, { ...ATTACK, eps: 0 }).data, images.data, 'ε = 0');
  });
});

test('the TRADES loss CE(f(x)) + β·mean KL(p(x) ‖ p(x̃)) passes a float64 gradient check in θ, through both predictions', () => {
  const model = createLeNetRelu({ seed: 1, dtype: 'float64', init: { kind: 'he' } });
  const x = new Variable(randn([2, 1, 28, 28], { rng: 2, dtype: 'float64' }));
  const xAdv = new Variable(randn([2, 1, 28, 28], { rng: 3, dtype: 'float64' }));
  const loss = (): Variable => {
    const clean = model.forward(x);
    return add(softmaxCrossEntropy(clean, [3, 8]), scale(mean(klDivergencePerExample(clean, model.forward(xAdv))), 6));
  };
  const r = gradcheck(loss, model.parameters(), { mode: 'projected', samples: 10, name: 'TRADES ∂L/∂θ' });
  expect(r.ok).toBe(true);
});

describe('TRADES steps at 0, 1 and 2 workers', () => {
  const { models, engines } = enginesPerWorkerCount(() => createLeNetRelu({ seed: 0 }));

  test('SGD (in the workers) and Adam (on the main thread): weights and Σ J bit for bit, batches of 10 and 3 rows', async () => {
    const step: StepKind = { kind: 'trades', attack: ATTACK, beta: 6 };
    const sgd = new Map([...models].map(([w, m]) => [w, new SGD(m.parameters(), { lr: 1e-4 })]));
    for (const [rows, seed] of [[10, 1], [3, 2]]) {
      const { images, labels } = randomData(rows, seed);
      const reference = await engines.get(0)!.trainStep(images, labels, rows, step, sgd.get(0)!);
      expect(Number.isFinite(reference.lossSum)).toBe(true);
      for (const workers of [1, 2]) {
        const got = await engines.get(workers)!.trainStep(images, labels, rows, step, sgd.get(workers)!);
        expect(got.lossSum, `${workers} workers, ${rows} rows`).toBe(reference.lossSum);
        models.get(workers)!.parameters().forEach((p, i) => expectSameBits(p.value.data, models.get(0)!.parameters()[i].value.data, `${workers} workers, ${rows} rows, weight ${i}`));
      }
    }
    const adam = new Map([...models].map(([w, m]) => [w, new Adam(m.parameters(), { lr: 1e-4 })]));
    const { images, labels } = randomData(7, 3);
    const reference = await engines.get(0)!.trainStep(images, labels, 7, step, adam.get(0)!);
    for (const workers of [1, 2]) {
      expect((await engines.get(workers)!.trainStep(images, labels, 7, step, adam.get(workers)!)).lossSum).toBe(reference.lossSum);
      models.get(workers)!.parameters().forEach((p, i) => expectSameBits(p.value.data, models.get(0)!.parameters()[i].value.data, `Adam, ${workers} workers, weight ${i}`));
    }
  });

  test('train() with schedule trades, an ε ramp, β = 3 and 2 steps: the same log and weights at 0, 1 and 2 workers', async () => {
    const data = randomData(24, 4);
    const logs = [];
    const weights: Array<Array<Float32Array | Float64Array>> = [];
    for (const workers of [0, 1, 2]) {
      const model = createLeNet({ seed: 2 });
      const engine = await createEngine(model, workers);
      try {
        logs.push(await train(model, data, {
          optimizer: new SGD(model.parameters(), { lr: 1e-4 }), epochs: 2, batchSize: 8, seed: 3, engine,
          adversarial: { fgsm: { eps: 0.2 }, schedule: 'trades', steps: 2, beta: 3, epsRamp: 1 },
        }));
      } finally {
        await engine.close();
      }
      weights.push(model.parameters().map((p) => p.value.data));
    }
    for (const w of [1, 2]) {
      expect(logs[w].map((e) => [e.loss, e.eps, e.samples])).toEqual(logs[0].map((e) => [e.loss, e.eps, e.samples]));
      weights[w].forEach((a, i) => expectSameBits(a, weights[0][i], `${w} workers, weight ${i}`));
    }
    expect(logs[0][1].eps).toBe(0.2);
  });
});

describe('the trades schedule\'s options', () => {
  test('steps and β apply to it; advRatio does not; β must be finite and ≥ 0', () => {
    const fgsm = { eps: 0.25 };
    expect(() => checkAdversarialTraining({ fgsm, schedule: 'trades', steps: 3, beta: 1 }, 10)).not.toThrow();
    expect(() => checkAdversarialTraining({ fgsm, schedule: 'trades', advRatio: 0.5 }, 10)).toThrow("train: advRatio does not apply to the 'trades' schedule");
    expect(() => checkAdversarialTraining({ fgsm, schedule: 'pgd', beta: 1 }, 10)).toThrow("train: beta applies to the 'trades' schedule only, not 'pgd'");
    expect(() => checkAdversarialTraining({ fgsm, schedule: 'trades', beta: -1 }, 10)).toThrow('must be a finite number ≥ 0, got -1');
  });

  test('its attack: k = 7 sign steps of 2.5·ε/k by default, a seed per (run, epoch, step)', () => {
    const a = tradesAttackOptions({ fgsm: { eps: 0.3 }, schedule: 'trades' }, 0.3, 0, 1, 1);
    expect([a.eps, a.steps, a.stepSize]).toEqual([0.3, 7, (2.5 * 0.3) / 7]);
    expect(tradesAttackOptions({ fgsm: { eps: 0.3 }, schedule: 'trades' }, 0.3, 0, 1, 2).seed).not.toBe(a.seed);
    expect(tradesAttackOptions({ fgsm: { eps: 0.3 }, schedule: 'trades', steps: 3 }, 0.3, 0, 1, 1).steps).toBe(3);
  });
});
