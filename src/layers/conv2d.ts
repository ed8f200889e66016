/**
 * 2-D convolution (cross-correlation, as in every deep-learning library), NCHW, weight OIHW.
 *
 *   y[n,oc,oh,ow] = bias[oc] + Σ_c Σ_kh Σ_kw weight[oc,c,kh,kw] · x[n,c,ih,iw],
 *       ih = oh·S + kh − P,  iw = ow·S + kw − P   (terms in the zero padding vanish)
 *
 * Backward is the forward loop nest with each multiply-accumulate transposed: every read of
 * x[n,c,ih,iw] and weight[oc,c,kh,kw] that fed y[n,oc,oh,ow] sends dy[n,oc,oh,ow] back:
 *
 *   dx[n,c,ih,iw]       += weight[oc,c,kh,kw] · dy[n,oc,oh,ow]
 *   dWeight[oc,c,kh,kw] += x[n,c,ih,iw]       · dy[n,oc,oh,ow]
 *   dBias[oc]           += dy[n,oc,oh,ow]
 *
 * Sizes: N batch, C input channels, H×W input, OC output channels, KH×KW kernel, S stride,
 * P zero padding, OH×OW output (tensor/window.ts), R = C·KH·KW, Q = OH·OW.
 *
 * Two kernels compute the same thing. The direct one is the formula above, kept as the reference.
 * The fast one (used by the op) lowers the batch to one matrix product with im2col:
 *
 *   cols [R, N·Q] = im2col(x)           Y [OC, N·Q] = weight [OC, R] · cols,  y = Y regrouped by image
 *   dY [OC, N·Q]  = dy regrouped        dWeight = dY · colsᵀ,  dcols = weightᵀ · dY,  dx = col2im(dcols)
 *
 * None of cols, Y, dY or dcols is ever stored. cols[r, j] = x[rowOffset[r] + colOffset[j]]
 * (tensor/im2col.ts) is packed by the GEMM straight from x; Y and dY are y and dy read as
 * [OC, N·Q] through offsets (nchwAsMatrix); and dcols is added into dx through the im2col offsets
 * as the GEMM produces it, which is col2im (tensor/gemm.ts, gemmIndexed). A padded x is first
 * copied into a zero border, R/S² times smaller than cols.
 */
import { defineOp, isGradEnabled, type Variable } from '../autograd/variable.ts';
import { gemmIndexed } from '../tensor/gemm.ts';
import { NR } from '../tensor/gemm-pack.ts';
import { cropImages, im2colOffsets, nchwAsMatrix, padImages } from '../tensor/im2col.ts';
import { formatShape } from '../tensor/shape.ts';
import { allocate, Tensor, type FloatArray } from '../tensor/tensor.ts';
import { windowGeometry, type WindowGeometry } from '../tensor/window.ts';
import { bestWinogradTile, cachedKernelTransform, winogradBackward, winogradForward, winogradGeometry, winogradMatrices, type WinogradSaved } from '../tensor/winograd.ts';
import { winogradBackwardPanels, winogradForwardPanels, winogradPanelsApply } from '../tensor/winograd-panels.ts';
import { Module } from './module.ts';
import { initWeight, type Init } from './init.ts';
import { parameter } from '../autograd/variable.ts';
import { zeros } from '../tensor/create.ts';
import type { DType } from '../tensor/tensor.ts';
import type { Rng } from '../tensor/rng.ts';

/**
 * How conv2d computes: 'gemm' (im2col + packed GEMM), 'winograd' (tensor/winograd.ts; stride 1,
 * square kernels), 'direct' (the reference loop nest, slow) or 'auto' (the default): Winograd
 * where bestWinogradTile finds it saves at least a third of the multiply-adds, else GEMM.
 */
export type Conv2dAlgorithm = 'auto' | 'winograd' | 'gemm' | 'direct';

export interface Conv2dOptions {
  stride?: number;
  pad?: number;
  /** Default: the process-wide default (setConv2dAlgorithm), itself 'auto' unless ADVGRAD_CONV2D says otherwise. */
  algorithm?: Conv2dAlgorithm;
  /** Winograd output tile m (F(m×m, K×K)); default: the one bestWinogradTile picks, else 4. */
  winogradTile?: number;
}

const ALGORITHMS: readonly Conv2dAlgorithm[] = ['auto', 'winograd', 'gemm', 'direct'];

function parseAlgorithm(value: string | undefined, from: string): Conv2dAlgorithm {
  if (value === undefined || value === '') return 'auto';
  if (!(ALGORITHMS as readonly string[]).includes(value)) {
    throw new RangeError(`conv2d: ${from} must be one of ${ALGORITHMS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as Conv2dAlgorithm;
}

/**
 * The algorithm of calls that do not name one. Read from the environment variable ADVGRAD_CONV2D
 * at start-up, so that worker threads (which inherit the environment) follow the main thread: the
 * benchmark sets it to compare paths with the worker engine.
 */
let defaultAlgorithm: Conv2dAlgorithm = parseAlgorithm(environmentVariable('ADVGRAD_CONV2D'), 'ADVGRAD_CONV2D');

/** A variable of Node's environment, or undefined in a browser, which has no `process`. */
function environmentVariable(name: string): string | undefined {
  const processLike = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return processLike?.env?.[name];
}

/** Sets the algorithm of conv2d calls that do not pass one (this thread only); returns the previous one. */
export function setConv2dAlgorithm(algorithm: Conv2dAlgorithm): Conv2dAlgorithm {
  const previous = defaultAlgorithm;
  defaultAlgorithm = parseAlgorithm(algorithm, 'the algorithm');
  return previous;
}

/** What a call with these options and this geometry runs: the path, and m for Winograd. */
export function conv2dPlan(g: WindowGeometry & { OC: number }, options: Conv2dOptions = {}): { algorithm: 'winograd' | 'gemm' | 'direct'; m: number } {
  const algorithm = options.algorithm === undefined ? defaultAlgorithm : parseAlgorithm(options.algorithm, 'options.algorithm');
  if (algorithm === 'gemm' || algorithm === 'direct') return { algorithm, m: 0 };
  const best = bestWinogradTile(g);
  if (algorithm === 'auto') return best > 0 ? { algorithm: 'winograd', m: options.winogradTile ?? best } : { algorithm: 'gemm', m: 0 };
  if (g.stride !== 1 || g.KH !== g.KW) {
    throw new RangeError(`conv2d: the Winograd path needs stride 1 and a square kernel, got stride ${g.stride} and a ${g.KH}×${g.KW} kernel`);
  }
  return { algorithm: 'winograd', m: options.winogradTile ?? (best > 0 ? best : 4) };
}

/** Checks shapes and returns the geometry; errors name conv2d and the shapes. */
export function conv2dGeometry(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions = {}): WindowGeometry & { OC: number } {
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

/** The reference: the header's formula as a plain loop nest. y [N, OC, OH, OW]. */
export function conv2dForwardDirect(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const { N, C, H, W, KH, KW, stride: S, pad: P, OH, OW, OC } = conv2dGeometry(x, weight, bias, options);
  const y = allocate(x.dtype, N * OC * OH * OW); // [N, OC, OH, OW]
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let s = bias === null ? 0 : bias.data[oc];
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * S + kh - P;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * S + kw - P;
                if (iw < 0 || iw >= W) continue;
                s += weight.data[((oc * C + c) * KH + kh) * KW + kw] * x.data[((n * C + c) * H + ih) * W + iw];
              }
            }
          y[((n * OC + oc) * OH + oh) * OW + ow] = s;
        }
  return new Tensor(y, [N, OC, OH, OW]);
}

/** The reference backward: the same loop nest, multiply-accumulates transposed. */
export function conv2dBackwardDirect(dy: Tensor, x: Tensor, weight: Tensor, options: Conv2dOptions = {}): { dx: Tensor; dWeight: Tensor; dBias: Tensor } {
  const { N, C, H, W, KH, KW, stride: S, pad: P, OH, OW, OC } = conv2dGeometry(x, weight, null, options);
  const dx = allocate(x.dtype, x.size); // [N, C, H, W]
  const dWeight = allocate(x.dtype, weight.size); // [OC, C, KH, KW]
  const dBias = allocate(x.dtype, OC); // [OC]
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const g = dy.data[((n * OC + oc) * OH + oh) * OW + ow];
          dBias[oc] += g;
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * S + kh - P;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * S + kw - P;
                if (iw < 0 || iw >= W) continue;
                const wi = ((oc * C + c) * KH + kh) * KW + kw;
                const xi = ((n * C + c) * H + ih) * W + iw;
                dx[xi] += weight.data[wi] * g;
                dWeight[wi] += x.data[xi] * g;
              }
            }
        }
  return { dx: new Tensor(dx, x.shape), dWeight: new Tensor(dWeight, weight.shape), dBias: new Tensor(dBias, [OC]) };
}

/** The im2col matrix of a convolution's input, as offsets into x (or into its zero-padded copy). */
export interface LoweredInput {
  /** x, or x copied into a zero border of width pad: [N, C, H + 2P, W + 2P] */
  src: Float32Array | Float64Array;
  /** [R] and [N·Q]: cols[r, j] = src[rowOffset[r] + colOffset[j]] */
  rowOffset: Int32Array;
  colOffset: Int32Array;
}

/** x as an implicit im2col matrix (see the file header). */
export function lowerInput(x: Tensor, g: WindowGeometry): LoweredInput {
  const { xp: src, gp } = g.pad === 0 ? { xp: x.data, gp: g } : padImages(x.data, g);
  return { src, ...im2colOffsets(gp) };
}

/**
 * Fast forward: Y [OC, N·Q] = weight [OC, R] · cols [R, N·Q], with cols gathered from x and Y + bias
 * stored straight into y [N, OC, OH, OW]. Returns y and the lowered x
 * that backward needs for dWeight.
 */
export function conv2dForward(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions = {}): { y: Tensor; lowered: LoweredInput } {
  const g = conv2dGeometry(x, weight, bias, options);
  const { N, C, KH, KW, OH, OW, OC } = g;
  const R = C * KH * KW;
  const Q = OH * OW;
  const lowered = lowerInput(x, g);
  const y = allocate(x.dtype, N * OC * Q); // [N, OC, OH, OW]
  // every cell of y is written once, as the product plus bias[oc] (the GEMM's row addend)
  gemmIndexed(OC, N * Q, R, { data: weight.data, ld: R, trans: false }, { data: lowered.src, rowOffset: lowered.rowOffset, colOffset: lowered.colOffset }, 0, {
    data: y, ...nchwAsMatrix(N, OC, Q),
  }, bias === null ? undefined : { rows: bias.data });
  return { y: new Tensor(y, [N, OC, OH, OW]), lowered };
}

/**
 * Fast backward, with dy [N, OC, OH, OW] read in place as dY [OC, N·Q]:
 * dWeight = dY·colsᵀ, dBias = row sums of dY, and dx = col2im(weightᵀ·dY), the product added
 * straight into dx through the im2col offsets. Skips what is not needed.
 */
export function conv2dBackward(
  dy: Tensor, x: Tensor, weight: Tensor, lowered: LoweredInput, options: Conv2dOptions,
  needs: { dx: boolean; dWeight: boolean; dBias: boolean },
): { dx: Tensor | null; dWeight: Tensor | null; dBias: Tensor | null } {
  const g = conv2dGeometry(x, weight, null, options);
  const { N, C, KH, KW, OH, OW, OC } = g;
  const R = C * KH * KW;
  const Q = OH * OW;
  const dY = { data: dy.data, ...nchwAsMatrix(N, OC, Q) }; // [OC, N·Q]
  const dBias = needs.dBias ? biasGradient(dy, N, OC, Q) : null;
  let dWeight: Tensor | null = null;
  if (needs.dWeight) {
    const dw = allocate(x.dtype, OC * R); // [OC, R]
    // colsᵀ [N·Q, R] is the implicit matrix with the offset tables swapped
    const colsT = { data: lowered.src, rowOffset: lowered.colOffset, colOffset: lowered.rowOffset };
    gemmIndexed(OC, R, N * Q, dY, colsT, 0, { data: dw, ld: R, trans: false });
    dWeight = new Tensor(dw, weight.shape);
  }
  let dx: Tensor | null = null;
  if (needs.dx) {
    const dsrc = allocate(x.dtype, lowered.src.length); // like src: [N, C, H + 2P, W + 2P]
    const weightT = { data: weight.data, ld: R, trans: true }; // [R, OC]
    const dsrcAt = { data: dsrc, rowOffset: lowered.rowOffset, colOffset: lowered.colOffset };
    if (!sharedPanels(g, Q)) {
      gemmIndexed(R, N * Q, OC, weightT, dY, 1, dsrcAt);
    } else {
      // one product per image, so that every image's columns start a panel (see sharedPanels)
      for (let n = 0; n < N; n++) {
        const cols = (ref: { data: FloatArray; rowOffset: Int32Array; colOffset: Int32Array }) => ({ ...ref, colOffset: ref.colOffset.subarray(n * Q, (n + 1) * Q) });
        gemmIndexed(R, Q, OC, weightT, cols(dY), 1, cols(dsrcAt));
      }
    }
    dx = new Tensor(g.pad === 0 ? dsrc : cropImages(dsrc, g), x.shape);
  }
  return { dx, dWeight, dBias };
}

/**
 * Whether col2im over the whole batch would make an image's ∂L/∂x depend on its place in the
 * batch. The GEMM cuts the N·Q columns into panels of NR = 5 and adds a panel's values into dx
 * panel by panel; where windows overlap (KH > S or KW > S), several columns add into one dx cell,
 * and the order of those float additions follows the panel boundaries. When Q is not a multiple
 * of NR (the LeNet's conv1: Q = 576), image n's columns start at n·Q, at another place within a
 * panel for each n mod 5, so the same image could get other last bits at another row of the batch
 * (with Q = 1, as in conv3, an image has one window and no cell gets two of its columns).
 * Then the product runs image by image (every image starts a panel), which costs an A packing per
 * image (R·OC values, 500 for conv1) and makes a row's ∂L/∂x independent of the batch around it.
 */
function sharedPanels(g: WindowGeometry, Q: number): boolean {
  return g.N > 1 && Q > 1 && Q % NR !== 0 && (g.KH > g.stride || g.KW > g.stride); // Q = 1: one window per image, nothing overlaps
}

/** dBias [OC] = Σ over images and positions of dy [N, OC, Q], summed in double precision whatever the dtype. */
function biasGradient(dy: Tensor, N: number, OC: number, Q: number): Tensor {
  const sums = new Float64Array(OC); // [OC]
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++) {
      let s = 0; // this image's plane in a register, then into the total
      for (let j = (n * OC + oc) * Q, end = j + Q; j < end; j++) s += dy.data[j];
      sums[oc] += s;
    }
  const db = allocate(dy.dtype, OC);
  db.set(sums);
  return new Tensor(db, [OC]);
}

/**
 * Winograd forward (tensor/winograd.ts) with m×m output tiles: y [N, OC, OH, OW], and what
 * backward needs (the transformed weight U and input V; with keep = false, under noGrad, V is
 * scratch that the next call overwrites, see winogradForward).
 */
export function conv2dForwardWinograd(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions = {}, m = 4, keep = true): { y: Tensor; saved: WinogradSaved } {
  const g = conv2dGeometry(x, weight, bias, options);
  const wg = winogradGeometry(g, m);
  const U = cachedKernelTransform(weight.data, g.OC, g.C, winogradMatrices(m, wg.r));
  const y = allocate(x.dtype, g.N * g.OC * g.OH * g.OW); // [N, OC, OH, OW]
  // the same results either way; the panel chain skips the packing of every stage but the first
  const forward = winogradPanelsApply(wg) ? winogradForwardPanels : winogradForward;
  const saved = forward(x.data, U, bias === null ? null : bias.data, wg, y, keep);
  return { y: new Tensor(y, [g.N, g.OC, g.OH, g.OW]), saved };
}

/** Winograd backward: the transposed pipeline for dx and dWeight, dBias as the GEMM path does it. */
export function conv2dBackwardWinograd(
  dy: Tensor, x: Tensor, weight: Tensor, saved: WinogradSaved,
  needs: { dx: boolean; dWeight: boolean; dBias: boolean },
): { dx: Tensor | null; dWeight: Tensor | null; dBias: Tensor | null } {
  const { N, OC, OH, OW } = saved.wg;
  const dx = needs.dx ? allocate(x.dtype, x.size) : null; // [N, C, H, W]
  const dWeight = needs.dWeight ? allocate(x.dtype, weight.size) : null; // [OC, C, r, r]
  if (dx !== null || dWeight !== null) (winogradPanelsApply(saved.wg) ? winogradBackwardPanels : winogradBackward)(dy.data, saved, dx, dWeight);
  return {
    dx: dx === null ? null : new Tensor(dx, x.shape),
    dWeight: dWeight === null ? null : new Tensor(dWeight, weight.shape),
    dBias: needs.dBias ? biasGradient(dy, N, OC, OH * OW) : null,
  };
}

/**
 * Differentiable convolution. `bias` may be null.
 * @param x [N, C, H, W]   @param weight [OC, C, KH, KW]   @param bias [OC] or null
 * @returns y [N, OC, OH, OW]
 */
export const conv2d = defineOp('conv2d', (x: Variable, weight: Variable, bias: Variable | null, options: Conv2dOptions = {}) => {
  const b = bias === null ? null : bias.value;
  const { algorithm, m } = conv2dPlan(conv2dGeometry(x.value, weight.value, b, options), options);
  const want = (needs: readonly boolean[]): { dx: boolean; dWeight: boolean; dBias: boolean } => ({ dx: needs[0], dWeight: needs[1], dBias: needs[2] ?? false });
  if (algorithm === 'winograd') {
    // U and V are kept: dx = transposed Winograd through U, dWeight = dM·Vᵀ
    const keep = isGradEnabled(); // no graph, no backward: V may live in scratch
    const { y, saved } = conv2dForwardWinograd(x.value, weight.value, b, options, m, keep);
    return { value: y, backward: (dy, needs) => toList(conv2dBackwardWinograd(dy, x.value, weight.value, saved, want(needs))) };
  }
  if (algorithm === 'direct') {
    return { value: conv2dForwardDirect(x.value, weight.value, b, options), backward: (dy) => toList(conv2dBackwardDirect(dy, x.value, weight.value, options)) };
  }
  // the lowered x is kept for dWeight = dY·colsᵀ
  const { y, lowered } = conv2dForward(x.value, weight.value, b, options);
  return { value: y, backward: (dy, needs) => toList(conv2dBackward(dy, x.value, weight.value, lowered, options, want(needs))) };
});

function toList(g: { dx: Tensor | null; dWeight: Tensor | null; dBias: Tensor | null }): Array<Tensor | null> {
  return [g.dx, g.dWeight, g.dBias];
}

/**
 * A convolution layer with its own weight [OC, C, KH, KW] and bias [OC].
 * Initialisation (init.ts): by default MatConvNet's, weight ~ 0.01·N(0, 1) (the seed's recipe);
 * pass `init: 'he'` for N(0, 2/(C·KH·KW)), the default of Linear. Biases start at zero.
 */
export class Conv2d extends Module {
  readonly weight: Variable;
  readonly bias: Variable;
  readonly stride: number;
  readonly pad: number;

  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], options: Conv2dOptions & { init?: Init; rng: Rng; dtype?: DType }) {
    super();
    const [KH, KW] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    const shape = [outChannels, inChannels, KH, KW];
    this.weight = parameter(initWeight(shape, inChannels * KH * KW, options.init ?? { kind: 'matconvnet' }, options.rng, options.dtype ?? 'float32'));
    this.bias = parameter(zeros([outChannels], options.dtype ?? 'float32'));
    this.stride = options.stride ?? 1;
    this.pad = options.pad ?? 0;
  }

  forward(x: Variable): Variable {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, pad: this.pad });
  }

  override namedParameters(): Array<[string, Variable]> {
    return [['weight', this.weight], ['bias', this.bias]];
  }
}
