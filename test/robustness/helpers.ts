/**
 * What the robustness and attack tests share: a small LeNet trained on real MNIST (2,000 images,
 * one epoch) with its test images, and a planted masking model around it that rounds its input to
 * four grey levels, so ∂L/∂x is zero almost everywhere while the model is no more robust.
 */
import { defineOp, type Variable } from '../../src/autograd/variable.ts';
import { meanImage, subtractMean, take, type Dataset } from '../../src/data/dataset.ts';
import { loadMnist } from '../../src/io/mnist.ts';
import { Module } from '../../src/layers/module.ts';
import { createLeNet, type LeNet } from '../../src/models/lenet.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { SGD } from '../../src/train/sgd.ts';
import { train } from '../../src/train/train.ts';

/** Rounds each input to the nearest of 4 grey levels; its gradient is zero (a step function). */
const quantise = defineOp('quantise', (x: Variable, mean: Float32Array) => {
  const out = new Float32Array(x.value.size);
  const P = mean.length;
  for (let i = 0; i < out.length; i++) {
    const pixel = x.value.data[i] + mean[i % P];
    out[i] = Math.min(255, Math.max(0, Math.round(pixel / 85) * 85)) - mean[i % P];
  }
  return { value: new Tensor(out, x.value.shape), backward: () => [new Tensor(new Float32Array(out.length), x.value.shape)] };
});

/** The planted masking model: `inner` on its input rounded to 4 grey levels. */
export class QuantisedInput extends Module {
  constructor(readonly inner: LeNet, readonly mean: Float32Array) {
    super();
  }
  forward(x: Variable): Variable {
    return this.inner.forward(quantise(x, this.mean));
  }
  override namedParameters(): Array<[string, Variable]> {
    return this.inner.namedParameters();
  }
}

export interface SmallSetup {
  model: LeNet;
  mean: Tensor;
  trainSet: Dataset;
  testSet: Dataset;
}

/** A LeNet trained one epoch on the first 2,000 training images, and the first `testCount` test images. */
export async function trainSmallLeNet(testCount: number): Promise<SmallSetup> {
  const mnist = loadMnist();
  const mean = meanImage(mnist.train.images);
  const trainSet = take({ images: subtractMean(mnist.train.images, mean), labels: mnist.train.labels }, 2000);
  const testSet = take({ images: subtractMean(mnist.test.images, mean), labels: mnist.test.labels }, testCount);
  const model = createLeNet({ seed: 0 });
  await train(model, trainSet, { optimizer: new SGD(model.parameters()), epochs: 1, seed: 0 });
  return { model, mean, trainSet, testSet };
}
