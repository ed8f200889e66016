/**
 * The black-box check across centrings (src/robustness/shifted-surrogate.ts): a surrogate centred by
 * the mean image attacks a target centred by a scalar mean. Checked: the shifted surrogate's
 * examples are the surrogate's own examples of the same pixels (the same perturbation δ, moved into
 * the target's centring), for FGSM and for PGD with clipping (which needs the surrogate's mean);
 * with one mean for both it is the engine itself.
 */
import { describe, expect, test } from 'vitest';
import { meanImage, scalarMeanImage, subtractMean } from '../../src/data/dataset.ts';
import { createLeNet } from '../../src/models/lenet.ts';
import { shiftedSurrogate } from '../../src/robustness/shifted-surrogate.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { InProcessEngine } from '../../src/train/engine.ts';

/** [n, 1, 28, 28] random grey levels in [0, 255] with some ink. */
function pixels(n: number, seed: number): Tensor {
  const rng = new Rng(seed);
  const data = new Float32Array(n * 784);
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform() < 0.2 ? 255 * rng.uniform() : 0;
  return new Tensor(data, [n, 1, 28, 28]);
}

describe('a surrogate of another centring', () => {
  const raw = pixels(6, 1); // [6, 1, 28, 28]
  const labels = new Int32Array([0, 1, 2, 3, 4, 5]);
  const imageMean = meanImage(pixels(50, 2)); // [1, 1, 28, 28], the surrogate's
  const scalarMean = scalarMeanImage(pixels(50, 2)); // [1, 1, 28, 28], the target's
  const engine = new InProcessEngine(createLeNet({ seed: 3 }));

  test.each([
    ['FGSM', { attack: 'fgsm' as const, eps: 0.25 }],
    ['PGD-5, clipped', { attack: 'pgd' as const, eps: 0.25, steps: 5, clip: true, seed: 4 }],
  ])('%s: its examples are the surrogate\'s own examples of the same pixels, in the target\'s centring', async (_, spec) => {
    const own = await engine.attack(subtractMean(raw, imageMean), labels, { ...spec, mean: imageMean }, 0); // [6, 1, 28, 28]
    const shifted = await shiftedSurrogate(engine, imageMean, scalarMean).attack(subtractMean(raw, scalarMean), labels, { ...spec, mean: scalarMean }, 0);
    // as pixels: own + m_s and shifted + m_t must agree up to float32 rounding of the two shifts
    const a = own.data;
    const b = shifted.data;
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] + imageMean.data[i % 784] - (b[i] + scalarMean.data[0])));
    expect(worst).toBeLessThan(1e-3); // grey levels; a sign flip of FGSM's δ would be 127.5
  });

  test('with one mean for both, it is the engine itself', () => {
    expect(shiftedSurrogate(engine, imageMean, imageMean)).toBe(engine);
  });
});
