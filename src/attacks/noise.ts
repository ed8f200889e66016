/**
 * Random sign noise of the attack's size, the baseline every attack must beat:
 *
 *   x_noise = x + R·ε·s,   s ∈ {−1, +1} per pixel, each with probability ½
 *
 * (then, with clip, onto the valid pixels [0, R]), R = `pixelRange` (default 255: grey levels; ε
 * is a fraction of the pixel range, attack.ts). It lies on a corner of the same L∞ ball as
 * FGSM's examples, so a white-box attack that does no better than it has learned nothing from the
 * gradient: a sign of gradient masking. The signs come from the stream of (seed, example index)
 * (attack.ts), so the result does not depend on the batch or on the number of workers.
 */
import { Rng } from '../tensor/rng.ts';
import { Tensor } from '../tensor/tensor.ts';
import { checkAttackOptions, clipToPixels, exampleIndex, PIXEL_RANGE, STREAM, streamSeed, type AttackOptions, type ExampleIndex } from './attack.ts';

/** Noise takes ε, pixelRange, clip, mean and seed; labels and targets do not apply. */
export type NoiseOptions = Pick<AttackOptions, 'eps' | 'pixelRange' | 'clip' | 'mean' | 'seed'>;

/**
 * @param x [N, C, H, W] mean-subtracted inputs
 * @param index the data-set index of row 0, or of every row (seeds each row's signs)
 * @returns x_noise [N, C, H, W]
 */
export function noise(x: Tensor, options: NoiseOptions, index: ExampleIndex = 0): Tensor {
  checkAttackOptions('noise', options, x);
  const { eps, seed = 0 } = options;
  const N = x.shape[0];
  const out = x.data.slice(); // [N, C, H, W]
  const P = N === 0 ? 0 : x.size / N;
  const pixelRange = options.pixelRange ?? PIXEL_RANGE;
  const radius = eps * pixelRange; // in input units
  for (let n = 0; n < N; n++) {
    const rng = new Rng(streamSeed(seed, exampleIndex(index, n), 0, STREAM.noise));
    for (let p = 0; p < P; p++) out[n * P + p] += rng.uniform() < 0.5 ? -radius : radius;
  }
  if (options.clip) clipToPixels(out, options.mean!.data, pixelRange);
  return new Tensor(out, x.shape);
}
