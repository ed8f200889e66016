/**
 * On the fast GEMM (kernels/gemm/gemm.ts); the readable reference is kernels/reference/gemm.ts.
 *
 * Matrix product of 2-D tensors: z[M,N] = x[M,K] · y[K,N], with optional transposes.
 *   z[i,j] = Σ_k op(x)[i,k] · op(y)[k,j]
 */
import { gemm } from './gemm.ts';
import { formatShape } from '../../tensor/shape.ts';
import { allocate, Tensor } from '../../tensor/tensor.ts';

export interface MatmulOptions {
  /** Use xᵀ: x has shape [K, M]. */
  transX?: boolean;
  /** Use yᵀ: y has shape [N, K]. */
  transY?: boolean;
}

export function matmul(x: Tensor, y: Tensor, options: MatmulOptions = {}): Tensor {
  const { transX = false, transY = false } = options;
  if (x.rank !== 2 || y.rank !== 2) {
    throw new RangeError(`matmul: x and y must be 2-D, got x ${formatShape(x.shape)} and y ${formatShape(y.shape)}`);
  }
  if (x.dtype !== y.dtype) throw new TypeError(`matmul: x is ${x.dtype} but y is ${y.dtype}`);
  const [M, Kx] = transX ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]];
  const [Ky, N] = transY ? [y.shape[1], y.shape[0]] : [y.shape[0], y.shape[1]];
  if (Kx !== Ky) {
    throw new RangeError(
      `matmul: inner dimensions differ: ${transX ? 'xᵀ' : 'x'} is ${M}×${Kx} (x ${formatShape(x.shape)}) but ${transY ? 'yᵀ' : 'y'} is ${Ky}×${N} (y ${formatShape(y.shape)})`,
    );
  }
  const z = allocate(x.dtype, M * N); // [M, N]
  gemm(transX, transY, M, N, Kx, x.data, x.shape[1], y.data, y.shape[1], 0, z, N);
  return new Tensor(z, [M, N]);
}
