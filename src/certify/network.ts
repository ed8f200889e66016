/**
 * A model read as the list of primitive layers that bound propagation understands, with float64
 * copies of its weights (bounds are computed in float64 whatever the model's dtype).
 *
 *   affine:  conv (y = W ⋆ x + b) and linear (y = W·x + b), with |W| kept for the interval radius
 *   monotone: max-pool and ReLU (elementwise non-decreasing in every input)
 *
 * Each layer maps one image's activations, a flat vector of `inSize` numbers seen with shape
 * `inShape` ([C, H, W] or [F]), to `outSize` numbers of shape `outShape`. Sequential containers and
 * the LeNet (whose forward is its body followed by a reshape to [N, K], a no-op on flat vectors)
 * are unrolled; any other module is refused with an error naming it, since a bound for a layer we
 * do not know would be a guess. A Linear layer sees its input flattened.
 */
import { Conv2d } from '../layers/conv2d.ts';
import { Linear } from '../layers/linear.ts';
import { MaxPool2d } from '../layers/max-pool2d.ts';
import { Module, Sequential } from '../layers/module.ts';
import { ReLU } from '../layers/relu.ts';
import { LeNet } from '../models/lenet.ts';
import { formatShape } from '../tensor/shape.ts';
import { Tensor } from '../tensor/tensor.ts';
import { windowGeometry } from '../tensor/window.ts';

interface LayerBase {
  /** The layer's path in the model, e.g. 'body.conv1'. */
  name: string;
  inShape: readonly number[];
  outShape: readonly number[];
  inSize: number;
  outSize: number;
}

/** A convolution: weight [OC, C, KH, KW] and |weight|, bias [OC], float64. */
export interface ConvBound extends LayerBase {
  kind: 'conv';
  weight: Tensor;
  weightAbs: Tensor;
  bias: Tensor;
  stride: number;
  pad: number;
}

/** A fully connected layer: weight [OUT, IN] and |weight|, bias [OUT], float64. */
export interface LinearBound extends LayerBase {
  kind: 'linear';
  weight: Tensor;
  weightAbs: Tensor;
  bias: Tensor;
}

/** Max pooling over size×size windows. */
export interface PoolBound extends LayerBase {
  kind: 'pool';
  size: number;
  stride: number;
  pad: number;
}

export interface ReluBound extends LayerBase {
  kind: 'relu';
}

export type BoundLayer = ConvBound | LinearBound | PoolBound | ReluBound;

/** The layers in order, one image's input shape, and the number of outputs (logits). */
export interface BoundNetwork {
  layers: readonly BoundLayer[];
  inShape: readonly number[];
  inSize: number;
  classes: number;
}

function float64Copy(t: Tensor): Tensor {
  return t.clone('float64');
}

function absolute(t: Tensor): Tensor {
  const out = Float64Array.from(t.data, Math.abs); // same shape as t
  return new Tensor(out, t.shape);
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The modules of `model` in forward order, with their paths; throws on an unsupported one. */
function leaves(model: Module, path: string): Array<[string, Module]> {
  if (model instanceof LeNet) return leaves(model.body, path === '' ? 'body' : `${path}.body`);
  if (model instanceof Sequential) return model.layers.flatMap(([name, layer]) => leaves(layer, path === '' ? name : `${path}.${name}`));
  if (model instanceof Conv2d || model instanceof Linear || model instanceof MaxPool2d || model instanceof ReLU) return [[path, model]];
  const name = path === '' ? 'the model' : `layer '${path}'`;
  throw new TypeError(
    `certify: ${name} is a ${model.constructor.name}, which bound propagation does not support (supported: Conv2d, Linear, MaxPool2d, ReLU, Sequential, LeNet)`,
  );
}

function convLayer(name: string, layer: Conv2d, inShape: readonly number[]): ConvBound {
  if (inShape.length !== 3) throw new RangeError(`certify: layer '${name}' is a Conv2d but its input per image has shape ${formatShape(inShape)}, not [C, H, W]`);
  const weight = float64Copy(layer.weight.value); // [OC, C, KH, KW]
  const [OC, C, KH, KW] = weight.shape;
  if (C !== inShape[0]) throw new RangeError(`certify: layer '${name}' expects ${C} input channels but receives shape ${formatShape(inShape)}`);
  const g = windowGeometry(`certify: layer '${name}'`, [1, ...inShape], KH, KW, layer.stride, layer.pad);
  const outShape = [OC, g.OH, g.OW];
  return { kind: 'conv', name, weight, weightAbs: absolute(weight), bias: float64Copy(layer.bias.value), stride: layer.stride, pad: layer.pad, inShape, outShape, inSize: size(inShape), outSize: size(outShape) };
}

function linearLayer(name: string, layer: Linear, inShape: readonly number[]): LinearBound {
  const weight = float64Copy(layer.weight.value); // [OUT, IN]
  const [OUT, IN] = weight.shape;
  if (IN !== size(inShape)) throw new RangeError(`certify: layer '${name}' expects ${IN} inputs but receives shape ${formatShape(inShape)} (${size(inShape)} values)`);
  return { kind: 'linear', name, weight, weightAbs: absolute(weight), bias: float64Copy(layer.bias.value), inShape, outShape: [OUT], inSize: IN, outSize: OUT };
}

function poolLayer(name: string, layer: MaxPool2d, inShape: readonly number[]): PoolBound {
  if (inShape.length !== 3) throw new RangeError(`certify: layer '${name}' is a MaxPool2d but its input per image has shape ${formatShape(inShape)}, not [C, H, W]`);
  const { size: K, stride = K, pad = 0 } = layer.options;
  const g = windowGeometry(`certify: layer '${name}'`, [1, ...inShape], K, K, stride, pad);
  const outShape = [inShape[0], g.OH, g.OW];
  return { kind: 'pool', name, size: K, stride, pad, inShape, outShape, inSize: size(inShape), outSize: size(outShape) };
}

/**
 * The bound network of `model` for inputs of one image's shape `inShape` (e.g. [1, 28, 28]).
 * Throws a TypeError naming the first unsupported layer, a RangeError when shapes do not chain.
 */
export function boundNetwork(model: Module, inShape: readonly number[]): BoundNetwork {
  const layers: BoundLayer[] = [];
  let shape = [...inShape];
  for (const [name, layer] of leaves(model, '')) {
    let bound: BoundLayer;
    if (layer instanceof Conv2d) bound = convLayer(name, layer, shape);
    else if (layer instanceof Linear) bound = linearLayer(name, layer, shape);
    else if (layer instanceof MaxPool2d) bound = poolLayer(name, layer, shape);
    else bound = { kind: 'relu', name, inShape: shape, outShape: shape, inSize: size(shape), outSize: size(shape) };
    layers.push(bound);
    shape = [...bound.outShape];
  }
  const last = layers[layers.length - 1];
  if (last === undefined || (last.kind !== 'conv' && last.kind !== 'linear')) {
    throw new TypeError(`certify: the model must end with a Conv2d or Linear layer (its logits), but ends with ${last === undefined ? 'no layer' : `'${last.name}' (${last.kind})`}`);
  }
  return { layers, inShape: [...inShape], inSize: size(inShape), classes: size(shape) };
}
