/**
 * Elementwise kernels on equal-shape tensors. Each allocates its output like its first input.
 *   add: z = x + y     sub: z = x − y     mul: z = x ⊙ y     scale: z = α·x
 */
import { assertSameShape } from './shape.ts';
import { allocate, Tensor } from './tensor.ts';

export function add(x: Tensor, y: Tensor): Tensor {
  assertSameShape('add', 'x', x.shape, 'y', y.shape);
  const z = allocate(x.dtype, x.size);
  const a = x.data;
  const b = y.data;
  for (let i = 0; i < z.length; i++) z[i] = a[i] + b[i];
  return new Tensor(z, x.shape);
}

export function sub(x: Tensor, y: Tensor): Tensor {
  assertSameShape('sub', 'x', x.shape, 'y', y.shape);
  const z = allocate(x.dtype, x.size);
  const a = x.data;
  const b = y.data;
  for (let i = 0; i < z.length; i++) z[i] = a[i] - b[i];
  return new Tensor(z, x.shape);
}

export function mul(x: Tensor, y: Tensor): Tensor {
  assertSameShape('mul', 'x', x.shape, 'y', y.shape);
  const z = allocate(x.dtype, x.size);
  const a = x.data;
  const b = y.data;
  for (let i = 0; i < z.length; i++) z[i] = a[i] * b[i];
  return new Tensor(z, x.shape);
}

export function scale(x: Tensor, alpha: number): Tensor {
  const z = allocate(x.dtype, x.size);
  const a = x.data;
  for (let i = 0; i < z.length; i++) z[i] = alpha * a[i];
  return new Tensor(z, x.shape);
}

/** Σᵢ xᵢ·yᵢ over all elements (a float64 sum whatever the dtype). */
export function dot(x: Tensor, y: Tensor): number {
  assertSameShape('dot', 'x', x.shape, 'y', y.shape);
  let s = 0;
  const a = x.data;
  const b = y.data;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
