/**
 * The Square attack (attacks/square.ts): it never runs a backward pass nor builds a graph; it
 * spends at most its query budget per image (all of it on an image it cannot fool); it stays in
 * the ε-ball (and the pixels with clip); its p-schedule halves where the paper says; and on the
 * planted masking model (input rounded to 4 grey levels, ∂L/∂x ≡ 0) it fools images where APGD,
 * which follows the gradient, cannot.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { defineOp, isGradEnabled, Variable } from '../../src/autograd/variable.ts';
import { square, squareFraction } from '../../src/attacks/square.ts';
import { Module } from '../../src/layers/module.ts';
import { evaluateAttack } from '../../src/robustness/attack-evaluation.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { InProcessEngine, sliceBatch } from '../../src/train/engine.ts';
import { QuantisedInput, trainSmallLeNet, type SmallSetup } from '../robustness/helpers.ts';

/** The identity, but its backward throws: any gradient taken through it fails the test. */
const noBackward = defineOp('noBackward', (x: Variable) => ({
  value: x.value,
  backward: () => {
    throw new Error('Square asked for a gradient');
  },
}));

/** Wraps a model: counts the images it is run on, refuses a forward pass that could build a graph. */
class Guarded extends Module {
  rows = 0;
  constructor(readonly inner: Module) {
    super();
  }
  forward(x: Variable): Variable {
    if (isGradEnabled()) throw new Error('Square ran a forward pass with gradients enabled');
    this.rows += x.shape[0];
    return this.inner.forward(noBackward(x));
  }
  override namedParameters(): Array<[string, Variable]> {
    return this.inner.namedParameters();
  }
}

/** A model no L∞ perturbation can fool: its logits ignore the input, class 3 always wins by 5. */
class Constant extends Module {
  forward(x: Variable): Variable {
    const N = x.shape[0];
    const z = new Float32Array(N * 10);
    for (let n = 0; n < N; n++) z[n * 10 + 3] = 5;
    return new Variable(new Tensor(z, [N, 10]));
  }
}

describe('the p-schedule (p_init = 0.8, thresholds 10, 50, 200, … at 5,000 queries)', () => {
  test('halves after iterations 10, 50, 200, 500, … and stretches with the budget', () => {
    expect([0, 10, 11, 50, 51, 200, 201, 500, 501, 8001].map((i) => squareFraction(i, 5000))).toEqual([0.8, 0.8, 0.4, 0.4, 0.2, 0.2, 0.1, 0.1, 0.05, 0.8 / 512]);
    expect(squareFraction(21, 10000)).toBe(0.8); // 21·5000/10000 = 10.5 → 10: not past 10 yet
    expect(squareFraction(22, 10000)).toBe(0.4);
    expect(squareFraction(3, 1000)).toBe(0.4); // 3·5 = 15 > 10
  });
});

let setup: SmallSetup;
beforeAll(async () => {
  setup = await trainSmallLeNet(100);
}, 120_000);

describe('Square on a small trained LeNet', () => {
  test('forward passes only, with gradients disabled; never more than the budget per image', () => {
    const { model, testSet } = setup;
    const guarded = new Guarded(model);
    const x = sliceBatch(testSet.images, 0, 10);
    square(guarded, x, testSet.labels.subarray(0, 10), { eps: 0.1, queries: 60 });
    expect(guarded.rows).toBeGreaterThan(10);
    expect(guarded.rows).toBeLessThanOrEqual(10 * 60);
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
  });

  test('an image it cannot fool costs exactly the budget', () => {
    const guarded = new Guarded(new Constant());
    const x = sliceBatch(setup.testSet.images, 0, 1);
    const adv = square(guarded, x, [3], { eps: 0.3, queries: 37 });
    expect(guarded.rows).toBe(37);
    expect(Array.from(adv.data).some((v, i) => v !== x.data[i])).toBe(true); // it did move
  });

  test('‖x_adv − x‖∞ ≤ 255·ε, and with clip every pixel stays in [0, 255]', () => {
    const { model, testSet, mean } = setup;
    const x = sliceBatch(testSet.images, 0, 20);
    for (const options of [{ eps: 0.1 }, { eps: 0.3, clip: true, mean }]) {
      const adv = square(model, x, testSet.labels.subarray(0, 20), { ...options, queries: 50 });
      for (let i = 0; i < adv.size; i++) {
        expect(Math.abs(adv.data[i] - x.data[i])).toBeLessThanOrEqual(options.eps * 255 + 1e-4);
        if (options.clip) {
          const pixel = adv.data[i] + mean.data[i % mean.size];
          expect(pixel).toBeGreaterThanOrEqual(-1e-4);
          expect(pixel).toBeLessThanOrEqual(255 + 1e-4);
        }
      }
    }
  });

  test('bad options are clear errors', () => {
    const x = sliceBatch(setup.testSet.images, 0, 1);
    expect(() => square(setup.model, x, [7], { eps: 0.1, queries: 1 })).toThrow('square: queries must be an integer ≥ 2');
    expect(() => square(setup.model, x, [7], { eps: 0.1, pInit: 0 })).toThrow('square: pInit must be a share of the image in (0, 1], got 0');
  });
});

describe('the planted masking model', () => {
  test('Square fools images APGD cannot: the gradient is zero, the model is not robust', async () => {
    const { model, testSet, mean } = setup;
    const masked = new QuantisedInput(model, mean.data as Float32Array);
    const engine = new InProcessEngine(masked);
    const base = { eps: 0.25, clip: true, mean };
    const clean = await evaluateAttack(engine, testSet.images, testSet.labels, { attack: 'noise', eps: 0 });
    const apgdCe = await evaluateAttack(engine, testSet.images, testSet.labels, { attack: 'apgd', ...base, steps: 20 });
    const sq = await evaluateAttack(engine, testSet.images, testSet.labels, { attack: 'square', ...base, queries: 300 });
    const squareOnly = sq.correct.reduce((a, c, n) => a + (c === 0 && apgdCe.correct[n] === 1 ? 1 : 0), 0);
    expect(sq.metrics.accuracy).toBeLessThan(apgdCe.metrics.accuracy - 0.2);
    expect(squareOnly).toBeGreaterThan(20);
    expect(apgdCe.metrics.accuracy).toBeGreaterThan(clean.metrics.accuracy - 0.3); // the gradient barely moves it
  }, 120_000);
});
