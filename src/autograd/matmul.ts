/**
 * Differentiable matrix product of 2-D Variables.
 *   z[M,N] = x[M,K] · y[K,N]
 *   dx[M,K] = dz · yᵀ        dy[K,N] = xᵀ · dz
 */
import { matmul as matmulKernel } from '../kernels/gemm/matmul.ts';
import { defineOp, type Variable } from './variable.ts';

export const matmul = defineOp('matmul', (x: Variable, y: Variable) => ({
  value: matmulKernel(x.value, y.value),
  backward: (dz, needs) => [
    needs[0] ? matmulKernel(dz, y.value, { transY: true }) : null, // [M,N]·[K,N]ᵀ = [M,K]
    needs[1] ? matmulKernel(x.value, dz, { transX: true }) : null, // [M,K]ᵀ·[M,N] = [K,N]
  ],
}));
