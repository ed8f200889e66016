/**
 * Weight initialisers, each drawing from a seeded Rng. The layers' defaults differ, on purpose:
 *   matconvnet: weight ~ f·N(0, 1), f = 0.01 (MatConvNet's cnn_mnist; the seed's recipe; Conv2d's default)
 *   he:         weight ~ N(0, 2 / fanIn)  (He et al. 2015, for ReLU networks; Linear's default)
 * fanIn is the number of inputs per output: IN for Linear, C·KH·KW for Conv2d. Biases start at zero
 * in both. A layer takes either by name (`init: 'he'`) or as a record (`init: { kind: 'matconvnet',
 * scale: 0.05 }`, to choose f).
 */
import { randn } from '../tensor/create.ts';
import type { Rng } from '../tensor/rng.ts';
import type { Shape } from '../tensor/shape.ts';
import type { DType, Tensor } from '../tensor/tensor.ts';

/** An initialiser's name: 'he' or 'matconvnet' (f = 0.01). */
export type InitName = 'he' | 'matconvnet';

/** An initialiser, by name or as a record (matconvnet's record may set the scale f). */
export type Init = InitName | { kind: 'matconvnet'; scale?: number } | { kind: 'he' };

/** The standard deviation `init` draws with for a fan-in of `fanIn`; throws on an unknown init. */
export function initStd(init: Init, fanIn: number): number {
  const kind = typeof init === 'string' ? init : init?.kind;
  if (kind === 'he') return Math.sqrt(2 / fanIn);
  if (kind === 'matconvnet') return typeof init === 'object' && init.kind === 'matconvnet' ? (init.scale ?? 0.01) : 0.01;
  throw new RangeError(`init: expected 'he', 'matconvnet' or { kind: 'matconvnet', scale }, got ${JSON.stringify(init)}`);
}

/** A weight tensor of `shape` whose fan-in (inputs per output) is `fanIn`. */
export function initWeight(shape: Shape, fanIn: number, init: Init, rng: Rng, dtype: DType): Tensor {
  return randn(shape, { rng, std: initStd(init, fanIn), dtype });
}
