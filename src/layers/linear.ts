/**
 * Fully connected layer (PyTorch's layout: weight [OUT, IN]).
 *   y[n,o]      = bias[o] + Σ_i x[n,i] · weight[o,i]      y = x·weightᵀ + bias
 *   dx[n,i]     = Σ_o dy[n,o] · weight[o,i]                dx = dy·weight
 *   dWeight[o,i] = Σ_n dy[n,o] · x[n,i]                    dWeight = dyᵀ·x
 *   dBias[o]    = Σ_n dy[n,o]
 * (The LeNet uses 1×1 and 4×4 convolutions instead, as the seed does; this layer is for users.)
 */
import { defineOp, parameter, type Variable } from '../autograd/variable.ts';
import { zeros } from '../tensor/create.ts';
import { gemm } from '../kernels/gemm/gemm.ts';
import type { Rng } from '../tensor/rng.ts';
import { formatShape } from '../tensor/shape.ts';
import { allocate, Tensor, type DType } from '../tensor/tensor.ts';
import { initWeight, type Init } from './init.ts';
import { Module } from './module.ts';

function checkLinear(x: Tensor, weight: Tensor, bias: Tensor | null): [number, number, number] {
  if (x.rank !== 2) throw new RangeError(`linear: x must be 2-D [N, IN], got shape ${formatShape(x.shape)}`);
  if (weight.rank !== 2) throw new RangeError(`linear: weight must be 2-D [OUT, IN], got shape ${formatShape(weight.shape)}`);
  const [N, IN] = x.shape;
  const [OUT, INW] = weight.shape;
  if (IN !== INW) throw new RangeError(`linear: x has ${IN} features (x ${formatShape(x.shape)}) but weight expects ${INW} (weight ${formatShape(weight.shape)})`);
  if (bias !== null && (bias.rank !== 1 || bias.shape[0] !== OUT)) throw new RangeError(`linear: bias must have shape [${OUT}], got ${formatShape(bias.shape)}`);
  return [N, IN, OUT];
}

export function linearForward(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const [N, IN, OUT] = checkLinear(x, weight, bias);
  const y = allocate(x.dtype, N * OUT); // [N, OUT]
  gemm(false, true, N, OUT, IN, x.data, IN, weight.data, IN, 0, y, OUT);
  if (bias !== null) for (let n = 0; n < N; n++) for (let o = 0; o < OUT; o++) y[n * OUT + o] += bias.data[o];
  return new Tensor(y, [N, OUT]);
}

export function linearBackward(dy: Tensor, x: Tensor, weight: Tensor, needs: readonly boolean[]): [Tensor | null, Tensor | null, Tensor | null] {
  const [N, IN, OUT] = checkLinear(x, weight, null);
  let dx: Tensor | null = null;
  let dWeight: Tensor | null = null;
  let dBias: Tensor | null = null;
  if (needs[0]) {
    const d = allocate(x.dtype, N * IN); // [N, IN]
    gemm(false, false, N, IN, OUT, dy.data, OUT, weight.data, IN, 0, d, IN);
    dx = new Tensor(d, x.shape);
  }
  if (needs[1]) {
    const d = allocate(x.dtype, OUT * IN); // [OUT, IN]
    gemm(true, false, OUT, IN, N, dy.data, OUT, x.data, IN, 0, d, IN);
    dWeight = new Tensor(d, weight.shape);
  }
  if (needs[2]) {
    const d = allocate(x.dtype, OUT); // [OUT]
    for (let n = 0; n < N; n++) for (let o = 0; o < OUT; o++) d[o] += dy.data[n * OUT + o];
    dBias = new Tensor(d, [OUT]);
  }
  return [dx, dWeight, dBias];
}

/** @param x [N, IN] @param weight [OUT, IN] @param bias [OUT] or null @returns [N, OUT] */
export const linear = defineOp('linear', (x: Variable, weight: Variable, bias: Variable | null) => ({
  value: linearForward(x.value, weight.value, bias === null ? null : bias.value),
  backward: (dy, needs) => linearBackward(dy, x.value, weight.value, needs),
}));

/**
 * A fully connected layer with its own weight [OUT, IN] and bias [OUT].
 * Initialisation (init.ts): by default He, weight ~ N(0, 2/IN), for a ReLU after it; pass
 * `init: 'matconvnet'` for the seed's 0.01·N(0, 1), the default of Conv2d. Biases start at zero.
 * @param options rng draws the weight; init 'he' (default) or 'matconvnet'; dtype (default float32)
 */
export class Linear extends Module {
  readonly weight: Variable;
  readonly bias: Variable;
  constructor(inFeatures: number, outFeatures: number, options: { init?: Init; rng: Rng; dtype?: DType }) {
    super();
    this.weight = parameter(initWeight([outFeatures, inFeatures], inFeatures, options.init ?? 'he', options.rng, options.dtype ?? 'float32'));
    this.bias = parameter(zeros([outFeatures], options.dtype ?? 'float32'));
  }
  forward(x: Variable): Variable {
    return linear(x, this.weight, this.bias);
  }
  override namedParameters(): Array<[string, Variable]> {
    return [['weight', this.weight], ['bias', this.bias]];
  }
}
