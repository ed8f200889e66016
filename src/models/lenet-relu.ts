/**
 * The seed's LeNet with a ReLU after conv1 and after conv2 (models/lenet.ts has the seed's):
 *
 *   layer   type      support  filters  stride pad   output [N, depth, size, size]
 *   conv1   conv      5×5      1 → 20   1      0     [N, 20, 24, 24]
 *   relu1   relu                                     [N, 20, 24, 24]   (not in the seed's)
 *   pool1   maxpool   2×2               2      0     [N, 20, 12, 12]
 *   conv2   conv      5×5      20 → 50  1      0     [N, 50,  8,  8]
 *   relu2   relu                                     [N, 50,  8,  8]   (not in the seed's)
 *   pool2   maxpool   2×2               2      0     [N, 50,  4,  4]
 *   conv3   conv      4×4      50 → 500 1      0     [N, 500, 1,  1]
 *   relu3   relu                                     [N, 500, 1,  1]
 *   conv4   conv      1×1      500 → 10 1      0     [N, 10,  1,  1] → logits [N, 10]
 *
 * Same parameters (431,080, same names and shapes), same initialisation: a seed gives the very
 * weights the seed's LeNet gets, since ReLUs draw nothing. The architecture name differs, so a
 * checkpoint of one is refused by the other (io/checkpoint.ts restoreModel).
 *
 * Why it matters for robustness. Between the input and conv3 the seed's network is max-pools of
 * affine maps, so everything conv3 sees is a max of linear functions of the pixels: it cannot cut
 * a pixel's value off at a level. Models trained against ℓ∞ attacks on MNIST learn to threshold the
 * input first (a first-layer filter with a bias and a ReLU turns "grey level above ~half" into
 * "ink", and a perturbation of ±ε below the threshold then changes nothing); the ReLU after conv1
 * lets this network express that, and the one after conv2 does the same one level up. With a
 * scalar mean subtracted (one zero for every pixel, data/dataset.ts scalarMeanImage) one bias per
 * filter can mean the same threshold everywhere.
 */
import { LeNet, type LeNetOptions } from './lenet.ts';

export const LENET_RELU_ARCHITECTURE = 'lenet-relu-mnist';

/** The seed's LeNet with ReLUs after conv1 and conv2: x [N, 1, 28, 28] → logits [N, 10]. */
export class LeNetRelu extends LeNet {
  override readonly architecture: string = LENET_RELU_ARCHITECTURE;

  constructor(options: LeNetOptions = {}) {
    super(options, true);
  }
}

/** The variant with seeded MatConvNet initialisation (the seed's LeNet's weights for the same seed). */
export function createLeNetRelu(options: LeNetOptions = {}): LeNetRelu {
  return new LeNetRelu(options);
}
