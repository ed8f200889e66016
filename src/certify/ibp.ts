/**
 * Interval bound propagation (IBP; Gowal et al. 2018): a box l ≤ h ≤ u is pushed through every
 * layer, giving a box that contains the layer's output for every input in the input box.
 *
 *   affine   μ = (l + u)/2, r = (u − l)/2:   μ' = W μ + b,  r' = |W| r,   [l', u'] = [μ' − r', μ' + r']
 *            (the exact range of each output over the box: W μ + b ± Σ |W| r)
 *   ReLU     [max(0, l), max(0, u)]          monotone, so the end points map to the end points
 *   max-pool [max_i l_i, max_i u_i]          the same, window by window
 *
 * The input box is the L∞ ball [x − ε·255, x + ε·255] (ε a fraction of the pixel range, inputs in
 * grey levels minus the mean image), optionally intersected with the valid pixels [−mean, 255 − mean]
 * as the attacks' `clip` option keeps them, which can only shrink it. Everything is float64 and
 * batched over N images (each with its own ε), through the library's own ops.
 *
 * Sizes: N images; for layer k, S_k values per image at its input (S_0 the image's pixels).
 */
import { constant, noGrad, Variable } from '../autograd/variable.ts';
import { PIXEL_RANGE } from '../attacks/fgsm.ts';
import { conv2d } from '../layers/conv2d.ts';
import { linear } from '../layers/linear.ts';
import { maxPool2d } from '../layers/max-pool2d.ts';
import { relu } from '../layers/relu.ts';
import { formatShape } from '../tensor/shape.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { BoundLayer, BoundNetwork } from './network.ts';

/** Element-wise bounds for N images: lower ≤ h ≤ upper, both [N, S] (S values per image). */
export interface Box {
  lower: Float64Array;
  upper: Float64Array;
}

/** Where the input box comes from: ε per image (or one for all) and the optional pixel clip. */
export interface InputBoxOptions {
  /** ε as a fraction of the pixel range [0, 1]: the box's half-width is 255·ε grey levels. */
  eps: number | ArrayLike<number>;
  /** Intersect the box with the valid pixels [−mean, 255 − mean] (needs `mean`). Default false. */
  clip?: boolean;
  /** The mean image [1, C, H, W] (one image's size), subtracted from the inputs. */
  mean?: Tensor;
}

/** Each image's ε, checked: a number in [0, 1]. Throws naming the image and the value. */
export function epsilonsOf(eps: number | ArrayLike<number>, N: number): Float64Array {
  const list = typeof eps === 'number' ? new Float64Array(N).fill(eps) : Float64Array.from(eps);
  if (list.length !== N) throw new RangeError(`certify: ${N} images but ${list.length} values of eps`);
  for (let n = 0; n < N; n++) {
    const e = list[n];
    if (!Number.isFinite(e) || e < 0 || e > 1) {
      const raw = typeof eps === 'number' ? eps : eps[n];
      throw new RangeError(`certify: eps must be a fraction of the pixel range in [0, 1] (0.25 = ${0.25 * PIXEL_RANGE} grey levels), got ${String(raw)}${typeof eps === 'number' ? '' : ` for image ${n}`}`);
    }
  }
  return list;
}

/**
 * The input box of every image: x ± 255·εₙ, intersected with [−mean, 255 − mean] under clip.
 * @param x [N, …] mean-subtracted images
 */
export function inputBox(x: Tensor, options: InputBoxOptions): Box {
  const N = x.shape[0];
  const S = x.size / N;
  const eps = epsilonsOf(options.eps, N);
  const mean = options.clip ? options.mean : undefined;
  if (options.clip && mean === undefined) throw new Error('certify: clip needs the mean image (options.mean) to know the valid range [−mean, 255 − mean]');
  if (mean !== undefined && mean.size !== S) throw new RangeError(`certify: mean image ${formatShape(mean.shape)} does not match one image of x ${formatShape(x.shape)}`);
  const lower = new Float64Array(x.size); // [N, S]
  const upper = new Float64Array(x.size); // [N, S]
  for (let n = 0; n < N; n++) {
    const r = eps[n] * PIXEL_RANGE;
    for (let i = 0; i < S; i++) {
      const v = x.data[n * S + i];
      let lo = v - r;
      let hi = v + r;
      if (mean !== undefined) {
        lo = Math.max(lo, -mean.data[i]);
        hi = Math.min(hi, PIXEL_RANGE - mean.data[i]);
      }
      lower[n * S + i] = lo;
      upper[n * S + i] = hi;
    }
  }
  return { lower, upper };
}

/** The box of one layer's output from the box of its input, for N images. */
export function ibpLayer(layer: BoundLayer, box: Box, N: number): Box {
  const shape = [N, ...layer.inShape];
  const wrap = (a: Float64Array): Variable => new Variable(new Tensor(a, shape));
  return noGrad(() => {
    if (layer.kind === 'relu') return { lower: relu(wrap(box.lower)).value.data as Float64Array, upper: relu(wrap(box.upper)).value.data as Float64Array };
    if (layer.kind === 'pool') {
      const options = { size: layer.size, stride: layer.stride, pad: layer.pad };
      return { lower: maxPool2d(wrap(box.lower), options).value.data as Float64Array, upper: maxPool2d(wrap(box.upper), options).value.data as Float64Array };
    }
    const center = new Float64Array(box.lower.length); // [N, S]
    const radius = new Float64Array(box.lower.length); // [N, S]
    for (let i = 0; i < center.length; i++) {
      center[i] = 0.5 * (box.lower[i] + box.upper[i]);
      radius[i] = 0.5 * (box.upper[i] - box.lower[i]);
    }
    let mid: Tensor; // [N, outSize…]
    let spread: Tensor; // [N, outSize…]
    if (layer.kind === 'conv') {
      const options = { stride: layer.stride, pad: layer.pad };
      mid = conv2d(wrap(center), constant(layer.weight), constant(layer.bias), options).value;
      spread = conv2d(wrap(radius), constant(layer.weightAbs), null, options).value;
    } else {
      const flat = (a: Float64Array): Variable => new Variable(new Tensor(a, [N, layer.inSize]));
      mid = linear(flat(center), constant(layer.weight), constant(layer.bias)).value;
      spread = linear(flat(radius), constant(layer.weightAbs), null).value;
    }
    const lower = new Float64Array(mid.size); // [N, outSize]
    const upper = new Float64Array(mid.size); // [N, outSize]
    for (let i = 0; i < lower.length; i++) {
      lower[i] = mid.data[i] - spread.data[i];
      upper[i] = mid.data[i] + spread.data[i];
    }
    return { lower, upper };
  });
}

/**
 * The boxes at every layer's input for N images: boxes[k] bounds the input of layer k, and
 * boxes[L] (L layers) bounds the logits. boxes[0] is `input` itself.
 */
export function propagateBoxes(net: BoundNetwork, input: Box, N: number): Box[] {
  if (input.lower.length !== N * net.inSize) throw new RangeError(`certify: the input box holds ${input.lower.length} values, expected ${N} images × ${net.inSize}`);
  const boxes = [input];
  for (const layer of net.layers) boxes.push(ibpLayer(layer, boxes[boxes.length - 1], N));
  return boxes;
}
