/**
 * The attacks' pixel range R (`pixelRange`, default 255): ε is a fraction of it, so on inputs in
 * [0, 1] with pixelRange 1 FGSM moves every value by exactly ε, and the default keeps the seed's
 * grey-level units bit for bit.
 */
import { describe, expect, test } from 'vitest';
import { PIXEL_RANGE } from '../../src/attacks/attack.ts';
import { fgsm } from '../../src/attacks/fgsm.ts';
import { noise } from '../../src/attacks/noise.ts';
import { pgd } from '../../src/attacks/pgd.ts';
import { fromWire, runAttack, toWire, type AttackSpec } from '../../src/attacks/spec.ts';
import { createLeNet } from '../../src/models/lenet.ts';
import { fromWire as fgsmFromWire, toWire as fgsmToWire } from '../../src/train/workers/protocol.ts';
import { trainingAttackSpec } from '../../src/train/schedules.ts';
import { randn, tensor, uniform } from '../../src/tensor/create.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';

const model = createLeNet({ seed: 0, dtype: 'float64' });
const labels = [3, 1, 4];
const unit = uniform([3, 1, 28, 28], { rng: 7, low: 0, high: 1, dtype: 'float64' }); // inputs in [0, 1]
const grey = randn([3, 1, 28, 28], { rng: 8, std: 60, dtype: 'float64' }); // the seed's units

/** |x_adv − x| per value. */
function moves(x: Tensor, xAdv: Tensor): number[] {
  return Array.from(x.data, (v, i) => Math.abs(xAdv.data[i] - v));
}

describe('fgsm with pixelRange', () => {
  test('pixelRange 1 on [0, 1] inputs moves each value by exactly ε (float64)', () => {
    const eps = 0.1;
    const xAdv = fgsm(model, unit, labels, { eps, pixelRange: 1 });
    const d = moves(unit, xAdv);
    // x ± ε in float64 is exact to rounding: each value moves by ε up to one ulp of 1
    expect(d.every((v) => Math.abs(v - eps) < 1e-15)).toBe(true);
  });

  test('the default is pixelRange 255 bit for bit, and moves by 255·ε', () => {
    const byDefault = fgsm(model, grey, labels, { eps: 0.1 });
    const explicit = fgsm(model, grey, labels, { eps: 0.1, pixelRange: PIXEL_RANGE });
    expect(Array.from(byDefault.data)).toEqual(Array.from(explicit.data));
    const d = moves(grey, byDefault);
    expect(d.every((v) => Math.abs(v - 25.5) < 1e-12)).toBe(true);
  });

  test('scaling the inputs and the pixel range together scales the step: same signs, step R·ε', () => {
    const a = fgsm(model, unit, labels, { eps: 0.2, pixelRange: 1 });
    const b = fgsm(model, unit, labels, { eps: 0.2, pixelRange: 3 });
    unit.data.forEach((v, i) => expect(b.data[i] - v).toBeCloseTo(3 * (a.data[i] - v), 12));
  });

  test('with clip, x_adv + mean stays inside [0, pixelRange]', () => {
    const mean = tensor(new Array(784).fill(0.5), [1, 1, 28, 28], 'float64');
    const x = tensor(Array.from(unit.data, (v) => v - 0.5), unit.shape, 'float64');
    const xAdv = fgsm(model, x, labels, { eps: 0.3, pixelRange: 1, clip: true, mean });
    const pixels = Array.from(xAdv.data, (v) => v + 0.5);
    expect(Math.min(...pixels)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...pixels)).toBeLessThanOrEqual(1);
    expect(Math.max(...pixels)).toBe(1); // some value did reach the top: the clip is at 1, not 255
  });

  test('a pixelRange that is not a positive number is refused, naming the option', () => {
    expect(() => fgsm(model, unit, labels, { eps: 0.1, pixelRange: 0 })).toThrow(/fgsm: pixelRange must be a positive number .* got 0/);
    expect(() => fgsm(model, unit, labels, { eps: 0.1, pixelRange: Number.NaN })).toThrow(/pixelRange/);
  });
});

describe('pgd and noise with pixelRange', () => {
  test('pgd stays within ε of x for pixelRange 1, and reaches it', () => {
    const xAdv = pgd(model, unit, labels, { eps: 0.05, pixelRange: 1, steps: 3, earlyStop: false });
    const d = moves(unit, xAdv);
    expect(Math.max(...d)).toBeLessThanOrEqual(0.05 + 1e-15);
    expect(Math.max(...d)).toBeGreaterThan(0.05 - 1e-12);
  });

  test('pgd default equals pixelRange 255 bit for bit', () => {
    const options = { eps: 0.1, steps: 2 };
    expect(Array.from(pgd(model, grey, labels, options).data)).toEqual(Array.from(pgd(model, grey, labels, { ...options, pixelRange: 255 }).data));
  });

  test('noise moves each value by exactly R·ε', () => {
    const d = moves(unit, noise(unit, { eps: 0.1, pixelRange: 1 }));
    expect(d.every((v) => Math.abs(v - 0.1) < 1e-15)).toBe(true);
  });
});

describe('pixelRange travels', () => {
  test('through an attack spec, its wire form, and the worker engine\'s FGSM options', () => {
    const spec: AttackSpec = { attack: 'fgsm', eps: 0.1, pixelRange: 1 };
    expect(fromWire(structuredClone(toWire(spec)))).toEqual(spec);
    expect(Array.from(runAttack(model, unit, labels, fromWire(toWire(spec))).data)).toEqual(Array.from(fgsm(model, unit, labels, spec).data));
    expect(fgsmFromWire(structuredClone(fgsmToWire({ eps: 0.1, pixelRange: 2 }))).pixelRange).toBe(2);
  });

  test('into the PGD that the training schedules build from the FGSM options', () => {
    const spec = trainingAttackSpec({ fgsm: { eps: 0.1, pixelRange: 1 }, schedule: 'pgd' }, 0.1, 0, 1, 1);
    expect(spec.pixelRange).toBe(1);
    expect('pixelRange' in trainingAttackSpec({ fgsm: { eps: 0.1 }, schedule: 'pgd' }, 0.1, 0, 1, 1)).toBe(false);
  });
});
