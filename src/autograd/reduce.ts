/**
 * Differentiable reductions to a scalar (shape []).
 *   sum:  s = Σᵢ xᵢ          dx = ds · 1
 *   mean: m = (1/n) Σᵢ xᵢ    dx = (ds / n) · 1
 */
import { full } from '../tensor/create.ts';
import { sumAll } from '../tensor/reduce.ts';
import { Tensor, allocate } from '../tensor/tensor.ts';
import { defineOp, type Variable } from './variable.ts';

function scalar(value: number, like: Tensor): Tensor {
  const data = allocate(like.dtype, 1);
  data[0] = value;
  return new Tensor(data, []);
}

export const sum = defineOp('sum', (x: Variable) => ({
  value: scalar(sumAll(x.value), x.value),
  backward: (ds) => [full(x.shape, ds.data[0], x.value.dtype)],
}));

export const mean = defineOp('mean', (x: Variable) => {
  const n = x.value.size;
  if (n === 0) throw new RangeError('mean: x is empty, the mean is undefined');
  return {
    value: scalar(sumAll(x.value) / n, x.value),
    backward: (dm) => [full(x.shape, dm.data[0] / n, x.value.dtype)],
  };
});
