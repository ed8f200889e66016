/**
 * Elementwise differentiable primitives on equal-shape Variables.
 *   add:   z = x + y    dx = dz,       dy = dz
 *   sub:   z = x − y    dx = dz,       dy = −dz
 *   mul:   z = x ⊙ y    dx = dz ⊙ y,   dy = dz ⊙ x
 *   scale: z = α·x      dx = α·dz
 */
import * as k from '../tensor/elementwise.ts';
import { defineOp, type Variable } from './variable.ts';

export const add = defineOp('add', (x: Variable, y: Variable) => ({
  value: k.add(x.value, y.value),
  backward: (dz) => [dz, dz],
}));

export const sub = defineOp('sub', (x: Variable, y: Variable) => ({
  value: k.sub(x.value, y.value),
  backward: (dz, needs) => [dz, needs[1] ? k.scale(dz, -1) : null],
}));

export const mul = defineOp('mul', (x: Variable, y: Variable) => ({
  value: k.mul(x.value, y.value),
  backward: (dz, needs) => [needs[0] ? k.mul(dz, y.value) : null, needs[1] ? k.mul(dz, x.value) : null],
}));

export const scale = defineOp('scale', (x: Variable, alpha: number) => {
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new RangeError(`scale: alpha must be a finite number, got ${String(alpha)}`);
  return {
    value: k.scale(x.value, alpha),
    backward: (dz) => [k.scale(dz, alpha)],
  };
});
