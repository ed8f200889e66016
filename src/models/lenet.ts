/**
 * The seed's LeNet (MatConvNet's cnn_mnist), layer for layer:
 *
 *   layer   type      support  filters  stride pad   output [N, depth, size, size]
 *   conv1   conv      5×5      1 → 20   1      0     [N, 20, 24, 24]
 *   pool1   maxpool   2×2               2      0     [N, 20, 12, 12]
 *   conv2   conv      5×5      20 → 50  1      0     [N, 50,  8,  8]
 *   pool2   maxpool   2×2               2      0     [N, 50,  4,  4]
 *   conv3   conv      4×4      50 → 500 1      0     [N, 500, 1,  1]
 *   relu3   relu                                     [N, 500, 1,  1]
 *   conv4   conv      1×1      500 → 10 1      0     [N, 10,  1,  1] → logits [N, 10]
 *
 * No ReLU after conv1 or conv2, as in the original. Parameters: 520 + 25,050 + 400,500 + 5,010
 * = 431,080. Weights f·N(0,1) with f = 0.01, biases 0 (MatConvNet's initialisation).
 */
import { reshape } from '../autograd/reshape.ts';
import type { Variable } from '../autograd/variable.ts';
import { Conv2d, parseConv2dAlgorithm, type Conv2dAlgorithm } from '../layers/conv2d.ts';
import type { Init } from '../layers/init.ts';
import { MaxPool2d } from '../layers/max-pool2d.ts';
import { Module, Sequential } from '../layers/module.ts';
import { ReLU } from '../layers/relu.ts';
import { Rng } from '../tensor/rng.ts';
import { formatShape } from '../tensor/shape.ts';
import type { DType } from '../tensor/tensor.ts';

export interface LeNetOptions {
  /** Seeds the weight initialisation (default 0). */
  seed?: number;
  /** float32 to train, float64 for gradient checks (default float32). */
  dtype?: DType;
  /** Every layer's weight init (layers/init.ts). Default: MatConvNet's f·N(0,1), f = 0.01. */
  init?: Init;
  /**
   * How every convolution computes (kernels/conv2d/plan.ts): default 'auto' (Winograd for conv2,
   * im2col + GEMM for the others); 'direct' runs the reference loop nest, to step through.
   */
  algorithm?: Conv2dAlgorithm;
}

export const LENET_ARCHITECTURE = 'lenet-mnist-matconvnet';

/** The seed's LeNet: x [N, 1, 28, 28] → logits [N, 10]. */
export class LeNet extends Module {
  readonly body: Sequential;
  readonly dtype: DType;
  /** The name checkpoints and the worker engine know it by (models/registry.ts). */
  readonly architecture: string = LENET_ARCHITECTURE;
  /** The convolutions' algorithm (LeNetOptions.algorithm); a worker engine builds its replicas with it. */
  readonly algorithm: Conv2dAlgorithm;

  /**
   * @param reluAfterConv false: the seed's network. true: a ReLU after conv1 and after conv2, the
   *   variant of models/lenet-relu.ts (use LeNetRelu, which also names its architecture).
   */
  constructor(options: LeNetOptions = {}, reluAfterConv = false) {
    super();
    const rng = new Rng(options.seed ?? 0);
    const dtype = options.dtype ?? 'float32';
    const init = options.init ?? { kind: 'matconvnet' as const };
    this.dtype = dtype;
    const algorithm = parseConv2dAlgorithm(options.algorithm, 'LeNet options.algorithm');
    this.algorithm = algorithm;
    // Parameters are drawn in layer order from one stream, so a seed fixes the whole network (and
    // the ReLUs of the variant, having none, leave the draws, hence the weights, as the seed's).
    const relu = (name: string): Array<[string, Module]> => (reluAfterConv ? [[name, new ReLU()]] : []);
    this.body = new Sequential([
      ['conv1', new Conv2d(1, 20, 5, { rng, dtype, init, algorithm })],
      ...relu('relu1'),
      ['pool1', new MaxPool2d({ size: 2, stride: 2 })],
      ['conv2', new Conv2d(20, 50, 5, { rng, dtype, init, algorithm })],
      ...relu('relu2'),
      ['pool2', new MaxPool2d({ size: 2, stride: 2 })],
      ['conv3', new Conv2d(50, 500, 4, { rng, dtype, init, algorithm })],
      ['relu3', new ReLU()],
      ['conv4', new Conv2d(500, 10, 1, { rng, dtype, init, algorithm })],
    ]);
  }

  /** @param x [N, 1, 28, 28] @returns logits [N, 10] */
  forward(x: Variable): Variable {
    const s = x.shape;
    if (s.length !== 4 || s[1] !== 1 || s[2] !== 28 || s[3] !== 28) {
      throw new RangeError(`LeNet: x must have shape [N, 1, 28, 28], got ${formatShape(s)}`);
    }
    if (x.value.dtype !== this.dtype) throw new TypeError(`LeNet: x is ${x.value.dtype} but the network is ${this.dtype}`);
    const y = this.body.forward(x); // [N, 10, 1, 1]
    return reshape(y, [s[0], 10]);
  }

  override namedParameters(): Array<[string, Variable]> {
    return this.body.namedParameters();
  }
}

/** The seed's network with seeded MatConvNet initialisation. */
export function createLeNet(options: LeNetOptions = {}): LeNet {
  return new LeNet(options);
}
