/**
 * The initialiser story: Linear defaults to He, Conv2d to MatConvNet's 0.01·N(0, 1), each can be
 * chosen by name or record, and the defaults draw the same bits as before (the seeded Rng's normal
 * stream times the documented standard deviation).
 */
import { describe, expect, test } from 'vitest';
import { Conv2d } from '../../src/layers/conv2d.ts';
import { initStd } from '../../src/layers/init.ts';
import { Linear } from '../../src/layers/linear.ts';
import { randn } from '../../src/tensor/create.ts';
import { Rng } from '../../src/tensor/rng.ts';

const bits = (t: { data: ArrayLike<number> }): number[] => Array.from(t.data);

describe('layer initialisers', () => {
  test('Linear: default He, weight = N(0, 1)·√(2/IN) from the rng; bias zero', () => {
    const layer = new Linear(50, 3, { rng: new Rng(4) });
    expect(bits(layer.weight.value)).toEqual(bits(randn([3, 50], { rng: new Rng(4), std: Math.sqrt(2 / 50) })));
    expect(bits(layer.bias.value)).toEqual([0, 0, 0]);
  });

  test('Conv2d: default MatConvNet, weight = 0.01·N(0, 1) from the rng', () => {
    const layer = new Conv2d(2, 4, 3, { rng: new Rng(5) });
    expect(bits(layer.weight.value)).toEqual(bits(randn([4, 2, 3, 3], { rng: new Rng(5), std: 0.01 })));
  });

  test('the option chooses: by name or record, both layers, same bits either way', () => {
    const heConv = new Conv2d(2, 4, 3, { rng: new Rng(6), init: 'he' });
    expect(bits(heConv.weight.value)).toEqual(bits(randn([4, 2, 3, 3], { rng: new Rng(6), std: Math.sqrt(2 / 18) })));
    expect(bits(new Conv2d(2, 4, 3, { rng: new Rng(6), init: { kind: 'he' } }).weight.value)).toEqual(bits(heConv.weight.value));
    const mcnLinear = new Linear(7, 2, { rng: new Rng(8), init: 'matconvnet' });
    expect(bits(mcnLinear.weight.value)).toEqual(bits(randn([2, 7], { rng: new Rng(8), std: 0.01 })));
    const scaled = new Linear(7, 2, { rng: new Rng(8), init: { kind: 'matconvnet', scale: 0.5 } });
    expect(bits(scaled.weight.value)).toEqual(bits(randn([2, 7], { rng: new Rng(8), std: 0.5 })));
  });

  test('initStd states each rule, and an unknown init is refused by name', () => {
    expect(initStd('he', 8)).toBe(0.5);
    expect(initStd('matconvnet', 8)).toBe(0.01);
    expect(() => initStd('xavier' as never, 8)).toThrow(/init: expected 'he', 'matconvnet' .* got "xavier"/);
  });
});
