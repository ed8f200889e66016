/**
 * ReLU, elementwise.
 *   forward:  y[i]  = max(0, x[i])
 *   backward: dx[i] = dy[i] · 1[x[i] > 0]     (subgradient 0 at x = 0, as PyTorch)
 */
import { defineOp, type Variable } from '../autograd/variable.ts';
import { allocate, Tensor } from '../tensor/tensor.ts';
import { Module } from './module.ts';

export function reluForward(x: Tensor): Tensor {
  const y = allocate(x.dtype, x.size);
  const xd = x.data;
  for (let i = 0; i < y.length; i++) y[i] = xd[i] > 0 ? xd[i] : 0;
  return new Tensor(y, x.shape);
}

export function reluBackward(dy: Tensor, x: Tensor): Tensor {
  const dx = allocate(x.dtype, x.size);
  const xd = x.data;
  const g = dy.data;
  for (let i = 0; i < dx.length; i++) dx[i] = xd[i] > 0 ? g[i] : 0;
  return new Tensor(dx, x.shape);
}

/** Differentiable ReLU; any shape. */
export const relu = defineOp('relu', (x: Variable) => ({
  value: reluForward(x.value),
  backward: (dy) => [reluBackward(dy, x.value)],
}));

export class ReLU extends Module {
  forward(x: Variable): Variable {
    return relu(x);
  }
}
