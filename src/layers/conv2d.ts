/**
 * 2-D convolution (cross-correlation), NCHW, weight OIHW: the geometry checks, the differentiable
 * op and the Conv2d Module. The arithmetic lives in src/kernels/ and this file implements none:
 *
 *   y[n,oc,oh,ow] = bias[oc] + Σ_c Σ_kh Σ_kw weight[oc,c,kh,kw] · x[n,c,oh·S + kh − P, ow·S + kw − P]
 *
 * Every path computes that formula (and its gradients); kernels/conv2d/plan.ts picks one per call
 * from `options.algorithm` (default 'auto') and the geometry:
 *
 *   'direct'    kernels/reference/conv2d.ts: the formula and its transposed loop nest, as written.
 *               The math to read first; the tests hold every other path against it.
 *   'gemm'      kernels/conv2d/gemm-path.ts: the batch lowered to one matrix product, im2col + GEMM,
 *               with the im2col matrix read through offset tables (kernels/conv2d/lowering.ts) by
 *               the packed GEMM (kernels/gemm/). The explicit version, with cols stored, is
 *               layers/conv2d-im2col.ts on kernels/reference/im2col.ts.
 *   'winograd'  kernels/conv2d/winograd-path.ts: F(m×m, r×r) minimal filtering (kernels/winograd/).
 *   'auto'      Winograd where it saves at least a third of the multiply-adds, else 'gemm'. In the
 *               LeNet, conv2 (20 → 50 channels, 5×5 on 12×12) takes Winograd; conv1, conv3 and
 *               conv4 take im2col + GEMM (conv2dPlan says so for any geometry).
 *
 * To step through the reference, build the model with `createLeNet({ algorithm: 'direct' })` (or
 * `new Conv2d(…, { algorithm: 'direct' })`, or call `conv2d(x, w, b, { algorithm: 'direct' })`):
 * forward is conv2dDirectForward, backward conv2dDirectBackward. Every path gives the same
 * numbers up to float rounding; which one ran is a function of the options and shapes only.
 */
import { defineOp, isGradEnabled, parameter, type Variable } from '../autograd/variable.ts';
import { conv2dGemmBackward, conv2dGemmForward, type Conv2dGradients, type Conv2dNeeds, type LoweredInput } from '../kernels/conv2d/gemm-path.ts';
import { conv2dPlan, parseConv2dAlgorithm, type Conv2dAlgorithm, type Conv2dPlan } from '../kernels/conv2d/plan.ts';
import { conv2dWinogradBackward, conv2dWinogradForward, type WinogradSaved } from '../kernels/conv2d/winograd-path.ts';
import { conv2dDirectBackward, conv2dDirectForward } from '../kernels/reference/conv2d.ts';
import { zeros } from '../tensor/create.ts';
import type { Rng } from '../tensor/rng.ts';
import { formatShape } from '../tensor/shape.ts';
import type { DType, Tensor } from '../tensor/tensor.ts';
import { windowGeometry, type ConvGeometry } from '../tensor/window.ts';
import { initWeight, type Init } from './init.ts';
import { Module } from './module.ts';

export { conv2dPlan, parseConv2dAlgorithm, CONV2D_ALGORITHMS, type Conv2dAlgorithm, type Conv2dPlan } from '../kernels/conv2d/plan.ts';
export type { LoweredInput } from '../kernels/conv2d/gemm-path.ts';

export interface Conv2dOptions {
  stride?: number;
  pad?: number;
  /** The path (kernels/conv2d/plan.ts); default 'auto'. */
  algorithm?: Conv2dAlgorithm;
  /** Winograd output tile m (F(m×m, K×K)); default: the one bestWinogradTile picks, else 4. */
  winogradTile?: number;
}

/** Checks shapes and returns the geometry; errors name conv2d and the shapes. */
export function conv2dGeometry(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions = {}): ConvGeometry {
  const { stride = 1, pad = 0 } = options;
  if (weight.rank !== 4) throw new RangeError(`conv2d: weight must be 4-D [OC, C, KH, KW], got shape ${formatShape(weight.shape)}`);
  const [OC, CW, KH, KW] = weight.shape;
  const g = windowGeometry('conv2d', x.shape, KH, KW, stride, pad);
  if (g.C !== CW) {
    throw new RangeError(`conv2d: x has C=${g.C} channels but weight expects C=${CW} (x shape ${formatShape(x.shape)}, weight shape ${formatShape(weight.shape)})`);
  }
  if (bias !== null && (bias.rank !== 1 || bias.shape[0] !== OC)) {
    throw new RangeError(`conv2d: bias must have shape [${OC}] (one per output channel), got ${formatShape(bias.shape)}`);
  }
  if (x.dtype !== weight.dtype || (bias !== null && bias.dtype !== x.dtype)) {
    throw new TypeError(`conv2d: x is ${x.dtype}, weight is ${weight.dtype}${bias ? `, bias is ${bias.dtype}` : ''}; they must match`);
  }
  return { ...g, OC };
}

/** The direct path (kernels/reference/conv2d.ts) after this op's checks. y [N, OC, OH, OW]. */
export function conv2dForwardDirect(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions = {}): Tensor {
  return conv2dDirectForward(x, weight, bias, conv2dGeometry(x, weight, bias, options));
}

/** The direct backward (kernels/reference/conv2d.ts) after this op's checks. */
export function conv2dBackwardDirect(dy: Tensor, x: Tensor, weight: Tensor, options: Conv2dOptions = {}): { dx: Tensor; dWeight: Tensor; dBias: Tensor } {
  return conv2dDirectBackward(dy, x, weight, conv2dGeometry(x, weight, null, options));
}

/** The im2col + GEMM path (kernels/conv2d/gemm-path.ts) after this op's checks: y, and the lowered x backward needs. */
export function conv2dForward(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions = {}): { y: Tensor; lowered: LoweredInput } {
  return conv2dGemmForward(x, weight, bias, conv2dGeometry(x, weight, bias, options));
}

/** The im2col + GEMM backward (kernels/conv2d/gemm-path.ts) after this op's checks; skips what is not needed. */
export function conv2dBackward(dy: Tensor, x: Tensor, weight: Tensor, lowered: LoweredInput, options: Conv2dOptions, needs: Conv2dNeeds): Conv2dGradients {
  return conv2dGemmBackward(dy, x, weight, lowered, conv2dGeometry(x, weight, null, options), needs);
}

/** The Winograd path (kernels/conv2d/winograd-path.ts) with m×m tiles after this op's checks. */
export function conv2dForwardWinograd(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions = {}, m = 4, keep = true): { y: Tensor; saved: WinogradSaved } {
  return conv2dWinogradForward(x, weight, bias, conv2dGeometry(x, weight, bias, options), m, keep);
}

/** The Winograd backward (kernels/conv2d/winograd-path.ts). */
export function conv2dBackwardWinograd(dy: Tensor, x: Tensor, weight: Tensor, saved: WinogradSaved, needs: Conv2dNeeds): Conv2dGradients {
  return conv2dWinogradBackward(dy, x, weight, saved, needs);
}

/**
 * Differentiable convolution. `bias` may be null.
 * @param x [N, C, H, W]   @param weight [OC, C, KH, KW]   @param bias [OC] or null
 * @returns y [N, OC, OH, OW]
 */
export const conv2d = defineOp('conv2d', (x: Variable, weight: Variable, bias: Variable | null, options: Conv2dOptions = {}) => {
  const b = bias === null ? null : bias.value;
  const g = conv2dGeometry(x.value, weight.value, b, options);
  const plan: Conv2dPlan = conv2dPlan(g, options);
  const want = (needs: readonly boolean[]): Conv2dNeeds => ({ dx: needs[0], dWeight: needs[1], dBias: needs[2] ?? false });
  if (plan.algorithm === 'winograd') {
    // U and V are kept: dx = transposed Winograd through U, dWeight = dM·Vᵀ
    const keep = isGradEnabled(); // no graph, no backward: V may live in the workspace
    const { y, saved } = conv2dWinogradForward(x.value, weight.value, b, g, plan.m, keep);
    return { value: y, backward: (dy, needs) => toList(conv2dWinogradBackward(dy, x.value, weight.value, saved, want(needs))) };
  }
  if (plan.algorithm === 'direct') {
    return { value: conv2dDirectForward(x.value, weight.value, b, g), backward: (dy) => toList(conv2dDirectBackward(dy, x.value, weight.value, g)) };
  }
  // the lowered x is kept for dWeight = dY·colsᵀ
  const { y, lowered } = conv2dGemmForward(x.value, weight.value, b, g);
  return { value: y, backward: (dy, needs) => toList(conv2dGemmBackward(dy, x.value, weight.value, lowered, g, want(needs))) };
});

function toList(g: Conv2dGradients): Array<Tensor | null> {
  return [g.dx, g.dWeight, g.dBias];
}

/**
 * A convolution layer with its own weight [OC, C, KH, KW] and bias [OC]. Its forward passes
 * `algorithm` (default 'auto') and `winogradTile` to every conv2d call.
 * Initialisation (init.ts): by default MatConvNet's, weight ~ 0.01·N(0, 1) (the seed's recipe);
 * pass `init: 'he'` for N(0, 2/(C·KH·KW)), the default of Linear. Biases start at zero.
 */
export class Conv2d extends Module {
  readonly weight: Variable;
  readonly bias: Variable;
  readonly stride: number;
  readonly pad: number;
  readonly algorithm: Conv2dAlgorithm;
  readonly winogradTile: number | undefined;

  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], options: Conv2dOptions & { init?: Init; rng: Rng; dtype?: DType }) {
    super();
    const [KH, KW] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    const shape = [outChannels, inChannels, KH, KW];
    this.weight = parameter(initWeight(shape, inChannels * KH * KW, options.init ?? { kind: 'matconvnet' }, options.rng, options.dtype ?? 'float32'));
    this.bias = parameter(zeros([outChannels], options.dtype ?? 'float32'));
    this.stride = options.stride ?? 1;
    this.pad = options.pad ?? 0;
    this.algorithm = parseConv2dAlgorithm(options.algorithm, 'Conv2d options.algorithm');
    this.winogradTile = options.winogradTile;
  }

  forward(x: Variable): Variable {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, pad: this.pad, algorithm: this.algorithm, winogradTile: this.winogradTile });
  }

  override namedParameters(): Array<[string, Variable]> {
    return [['weight', this.weight], ['bias', this.bias]];
  }
}
