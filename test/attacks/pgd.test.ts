/**
 * PGD, BIM and noise: the identities that tie them to FGSM, the L∞ and pixel-range guarantees,
 * restarts, targets, determinism across batchings and workers, and clear errors.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { fgsm } from '../../src/attacks/fgsm.ts';
import { noise } from '../../src/attacks/noise.ts';
import { pgd } from '../../src/attacks/pgd.ts';
import { runAttack, type AttackSpec } from '../../src/attacks/spec.ts';
import { noGrad, Variable } from '../../src/autograd/variable.ts';
import { crossEntropyPerExample, marginPerExample } from '../../src/layers/example-losses.ts';
import { softmaxForward } from '../../src/layers/softmax-cross-entropy.ts';
import { createLeNet } from '../../src/models/lenet.ts';
import { randn, tensor, uniform } from '../../src/tensor/create.ts';
import { argmaxRows } from '../../src/tensor/reduce.ts';
import { Rng } from '../../src/tensor/rng.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { InProcessEngine, sliceBatch, type Engine } from '../../src/train/engine.ts';
import { createEngine } from '../../src/train/workers/engine.ts';

const model = createLeNet({ seed: 3 });
const model64 = createLeNet({ seed: 3, dtype: 'float64' });
const x = randn([6, 1, 28, 28], { rng: 11, std: 70 }); // [6, 1, 28, 28]
const labels = Int32Array.from([0, 1, 2, 3, 4, 5]);
const logits = (m: typeof model, input: Tensor): Tensor => noGrad(() => m.forward(new Variable(input)).value);
const bits = (t: Tensor): number[] => Array.from(t.data);

describe('PGD, BIM and FGSM are one family', () => {
  test('one step of PGD with α = ε and no random start equals fgsm bit for bit (true, predicted, targeted, clipped)', () => {
    const mean = uniform([1, 1, 28, 28], { rng: 2, low: 0, high: 255 });
    const variants = [{}, { labelMode: 'predicted' as const }, { targeted: 'least-likely' as const }, { clip: true, mean }];
    for (const extra of variants) {
      const options = { eps: 0.1, ...extra };
      const one = pgd(model, x, labels, { ...options, steps: 1, stepSize: 0.1, randomStart: false });
      expect(bits(one)).toEqual(bits(fgsm(model, x, labels, options)));
    }
  });

  test('BIM is PGD without the random start', () => {
    const options = { eps: 0.05, steps: 4 };
    expect(bits(runAttack(model, x, labels, { attack: 'bim', ...options }))).toEqual(bits(pgd(model, x, labels, { ...options, randomStart: false })));
  });

  test('PGD raises the loss of a row at least as much as FGSM does on most rows, and more on average', () => {
    const lossOf = (input: Tensor): number[] => noGrad(() => crossEntropyPerExample(new Variable(logits(model, input)), labels).value.toArray());
    const viaFgsm = lossOf(fgsm(model, x, labels, { eps: 0.03 }));
    const viaPgd = lossOf(pgd(model, x, labels, { eps: 0.03, steps: 10, earlyStop: false }));
    const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(viaPgd)).toBeGreaterThan(mean(viaFgsm));
  });
});

describe('guarantees over 200 seeded cases (float64: the bound holds up to the rounding of x ± r, < 1e-12 here)', () => {
  test('‖x_adv − x‖∞ ≤ 255·ε, clip keeps x_adv + mean in [0, 255], no NaN: PGD, BIM, noise, FGSM', () => {
    const rng = new Rng(5);
    const mean = uniform([1, 1, 28, 28], { rng: 9, low: 0, high: 255, dtype: 'float64' });
    const names = ['pgd', 'bim', 'noise', 'fgsm'] as const;
    for (let c = 0; c < 200; c++) {
      const eps = rng.uniform() * 0.6;
      const clip = rng.uniform() < 0.5;
      const pixels = uniform([2, 1, 28, 28], { rng, low: 0, high: 255, dtype: 'float64' }); // a valid image, so the ball meets [0, 255]
      const input = tensor(Array.from(pixels.data, (v, i) => v - mean.data[i % 784]), [2, 1, 28, 28], 'float64');
      const spec = { attack: names[c % 4], eps, clip, mean, steps: 1 + rng.int(3), restarts: 1 + rng.int(2), seed: c, loss: rng.uniform() < 0.5 ? 'ce' : 'margin' } as AttackSpec;
      const xAdv = runAttack(model64, input, [c % 10, (c + 3) % 10], spec);
      let inf = 0;
      xAdv.data.forEach((v, i) => {
        expect(Number.isNaN(v)).toBe(false);
        inf = Math.max(inf, Math.abs(v - input.data[i]));
        if (clip) {
          expect(v + mean.data[i % 784]).toBeGreaterThanOrEqual(-1e-9);
          expect(v + mean.data[i % 784]).toBeLessThanOrEqual(255 + 1e-9);
        }
      });
      expect(inf).toBeLessThanOrEqual(255 * eps + 1e-12);
    }
  });
});

describe('restarts, targets, early stopping', () => {
  test('restarts never lower the per-example margin reached (restart 0 is the single run)', () => {
    const predicted = argmaxRows(logits(model, x)); // every row starts correctly classified
    const options = { eps: 0.004, steps: 2, loss: 'margin' as const, seed: 4, earlyStop: false };
    const margin = (input: Tensor): number[] => noGrad(() => marginPerExample(new Variable(logits(model, input)), predicted).value.toArray());
    const once = margin(pgd(model, x, predicted, { ...options, restarts: 1 }));
    const thrice = margin(pgd(model, x, predicted, { ...options, restarts: 3 }));
    thrice.forEach((m, n) => expect(m).toBeGreaterThanOrEqual(once[n]));
    expect(thrice.some((m, n) => m > once[n])).toBe(true); // the restarts did something
  });

  test('a targeted attack raises the probability of its target', () => {
    const targets = Int32Array.from([9, 8, 7, 6, 5, 4]);
    const p = (input: Tensor): Tensor => softmaxForward(logits(model, input));
    const before = p(x);
    const after = p(pgd(model, x, labels, { eps: 0.05, steps: 5, targeted: targets, earlyStop: false }));
    targets.forEach((t, n) => expect(after.data[n * 10 + t]).toBeGreaterThan(before.data[n * 10 + t]));
  });

  test('early stopping keeps the accuracy of running every step: whatever a full run fools, it fools too', () => {
    const predictionsWrong = (input: Tensor): boolean[] => {
      const z = logits(model, input);
      return Array.from(labels, (y, n) => z.data.slice(n * 10, n * 10 + 10).indexOf(Math.max(...z.data.slice(n * 10, n * 10 + 10))) !== y);
    };
    const full = predictionsWrong(pgd(model, x, labels, { eps: 0.03, steps: 6, earlyStop: false }));
    const early = predictionsWrong(pgd(model, x, labels, { eps: 0.03, steps: 6 }));
    full.forEach((f, n) => expect(early[n] || !f).toBe(true));
  });

  test('noise is ±255·ε on every pixel, seeded by the example index', () => {
    const a = noise(x, { eps: 0.1, seed: 1 });
    a.data.forEach((v, i) => expect(Math.abs(Math.abs(v - x.data[i]) - 25.5)).toBeLessThan(1e-4));
    const tail = noise(sliceBatch(x, 2, 6), { eps: 0.1, seed: 1 }, 2);
    expect(bits(tail)).toEqual(bits(a).slice(2 * 784));
    expect(bits(noise(x, { eps: 0.1, seed: 2 }))).not.toEqual(bits(a));
  });
});

describe('determinism: batch size and workers do not change a bit', () => {
  const engines: Engine[] = [];
  afterAll(async () => {
    for (const e of engines) await e.close();
  });
  const eleven = randn([11, 1, 28, 28], { rng: 21, std: 70 });
  const elevenLabels = Int32Array.from({ length: 11 }, (_, n) => n % 10);
  const specs: AttackSpec[] = [
    { attack: 'pgd', eps: 0.03, steps: 4, restarts: 2, seed: 3 },
    { attack: 'pgd', eps: 0.05, steps: 3, loss: 'margin', targeted: 'least-likely' },
    { attack: 'noise', eps: 0.2, seed: 8 },
  ];

  test.each(specs.map((s) => [s.attack, s] as const))('%s: 0, 1 and 2 workers and batches of 11 or 3 + 8 rows agree', async (_, spec) => {
    const inProcess = new InProcessEngine(model);
    const reference = bits(await inProcess.attack(eleven, elevenLabels, spec));
    const split = [
      ...bits(await inProcess.attack(sliceBatch(eleven, 0, 3), elevenLabels.subarray(0, 3), spec, 0)),
      ...bits(await inProcess.attack(sliceBatch(eleven, 3, 11), elevenLabels.subarray(3, 11), spec, 3)),
    ];
    expect(split).toEqual(reference);
    const alone = bits(await inProcess.attack(sliceBatch(eleven, 4, 5), elevenLabels.subarray(4, 5), spec, 4)); // one row: padded to two
    expect(alone).toEqual(reference.slice(4 * 784, 5 * 784));
    for (const workers of [1, 2]) {
      const engine = await createEngine(model, workers);
      engines.push(engine);
      expect(bits(await engine.attack(eleven, elevenLabels, spec))).toEqual(reference);
    }
  });
});

describe('bad input is a clear error', () => {
  test.each([
    [{ attack: 'pgd', eps: 1.5 }, 'pgd: eps must be a fraction of the pixel range in [0, 1]'],
    [{ attack: 'pgd', eps: 0.1, steps: 0 }, 'pgd: steps must be an integer ≥ 1, got 0'],
    [{ attack: 'pgd', eps: 0.1, stepSize: -0.01 }, 'pgd: stepSize must be a positive fraction of the pixel range, got -0.01'],
    [{ attack: 'pgd', eps: 0.1, restarts: 0 }, 'pgd: restarts must be an integer ≥ 1, got 0'],
    [{ attack: 'pgd', eps: 0.1, loss: 'hinge' }, "pgd: loss must be 'ce' or 'margin', got 'hinge'"],
    [{ attack: 'bim', eps: 0.1, clip: true }, 'bim: clip needs the mean image'],
    [{ attack: 'fgsm', eps: 0.1, targeted: [0, 1, 2, 3, 9, 9] }, 'fgsm: the target of image 0 is its true label 0'],
    [{ attack: 'pgd', eps: 0.1, targeted: [1, 2] }, 'pgd: 6 images but 2 targets'],
    [{ attack: 'deepfool', eps: 0.1 }, "attack: unknown attack 'deepfool' (known: fgsm, pgd, bim, noise, apgd, square)"],
  ])('%j', (spec, message) => {
    expect(() => runAttack(model, x, labels, spec as AttackSpec)).toThrow(message);
  });

  test('labels of the wrong length', () => {
    expect(() => pgd(model, x, [1, 2], { eps: 0.1 })).toThrow('pgd: 6 images (x [6,1,28,28]) but 2 labels');
  });
});
