/**
 * Differentiable reshape: the same data in another shape of equal size; the gradient is reshaped
 * back.   y = reshape(x, S)   dx = reshape(dy, shape(x))
 */
import type { Shape } from '../tensor/shape.ts';
import { defineOp, type Variable } from './variable.ts';

export const reshape = defineOp('reshape', (x: Variable, shape: Shape) => ({
  value: x.value.reshape(shape),
  backward: (dy) => [dy.reshape(x.shape)],
}));

/** [N, d₁, d₂, …] → [N, d₁·d₂·…]: keeps the batch axis. */
export function flatten(x: Variable): Variable {
  if (x.shape.length < 1) throw new RangeError(`flatten: x must have a batch axis, got shape []`);
  const N = x.shape[0];
  const rest = N === 0 ? x.shape.slice(1).reduce((a, b) => a * b, 1) : x.value.size / N;
  return reshape(x, [N, rest]);
}
