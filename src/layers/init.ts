/**
 * Weight initialisers, each drawing from a seeded Rng.
 *   matconvnet: weight ~ f·N(0, 1), f = 0.01 (MatConvNet's cnn_mnist; the seed's recipe)
 *   he:         weight ~ N(0, 2 / fanIn)  (He et al. 2015, for ReLU networks)
 * Biases start at zero in both.
 */
import { randn } from '../tensor/create.ts';
import type { Rng } from '../tensor/rng.ts';
import type { Shape } from '../tensor/shape.ts';
import type { DType, Tensor } from '../tensor/tensor.ts';

export type Init = { kind: 'matconvnet'; scale?: number } | { kind: 'he' };

/** A weight tensor of `shape` whose fan-in (inputs per output) is `fanIn`. */
export function initWeight(shape: Shape, fanIn: number, init: Init, rng: Rng, dtype: DType): Tensor {
  const std = init.kind === 'he' ? Math.sqrt(2 / fanIn) : (init.scale ?? 0.01);
  return randn(shape, { rng, std, dtype });
}
