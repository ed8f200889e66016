/**
 * Float32 accuracy of the convolution paths on the LeNet's real conv2 inputs: MNIST test images
 * (mean subtracted) through conv1 and pool1 of a LeNet trained for one epoch on 2,000 training
 * images (and of the untrained one), conv2's real weights. For each path and Winograd tile m:
 *
 *   error = max |y₃₂ − y₆₄| / max |y₆₄|,   y₆₄ the float64 direct convolution of the same float32 values
 *
 * for y, for ∂L/∂x and for ∂L/∂W (with a random cotangent dy). Not a benchmark: no timings.
 *
 * Run: npx tsx bench/winograd-accuracy.ts
 */
import { constant, noGrad } from '../src/autograd/variable.ts';
import { meanImage, subtractMean, take } from '../src/data/dataset.ts';
import { loadMnist } from '../src/io/mnist.ts';
import { conv2dBackward, conv2dBackwardDirect, conv2dBackwardWinograd, conv2dForward, conv2dForwardDirect, conv2dForwardWinograd, type Conv2d } from '../src/layers/conv2d.ts';
import { createLeNet, type LeNet } from '../src/models/lenet.ts';
import { randn } from '../src/tensor/create.ts';
import type { Tensor } from '../src/tensor/tensor.ts';
import { WINOGRAD_TILES } from '../src/kernels/winograd/cost.ts';
import { SGD } from '../src/train/sgd.ts';
import { train } from '../src/train/train.ts';

/** max |a − b| / max |b|. */
export function relativeError(a: Tensor, b: Tensor): number {
  let e = 0;
  let s = 0;
  for (let i = 0; i < b.size; i++) {
    e = Math.max(e, Math.abs(a.data[i] - b.data[i]));
    s = Math.max(s, Math.abs(b.data[i]));
  }
  return e / s;
}

/** conv2's input (conv1 → pool1 of `model` on `images`, float32) and conv2's weight and bias. */
export function conv2Inputs(model: LeNet, images: Tensor): { x: Tensor; weight: Tensor; bias: Tensor } {
  const [[, conv1], [, pool1], [, conv2]] = model.body.layers;
  const x = noGrad(() => pool1.forward(conv1.forward(constant(images)))).value; // [N, 20, 12, 12]
  const c = conv2 as Conv2d;
  return { x, weight: c.weight.value, bias: c.bias.value };
}

/** Errors of y, dx and dWeight for the GEMM path and Winograd with each m, on these float32 inputs. */
export function pathErrors(x: Tensor, weight: Tensor, bias: Tensor): Array<{ path: string; y: number; dx: number; dWeight: number }> {
  const [x64, w64, b64] = [x.clone('float64'), weight.clone('float64'), bias.clone('float64')];
  const y64 = conv2dForwardDirect(x64, w64, b64);
  const dy = randn(y64.shape as number[], { rng: 5 });
  const ref = conv2dBackwardDirect(dy.clone('float64'), x64, w64);
  const needs = { dx: true, dWeight: true, dBias: false };
  const rows = [];
  const { y, lowered } = conv2dForward(x, weight, bias);
  const g = conv2dBackward(dy, x, weight, lowered, {}, needs);
  rows.push({ path: 'gemm', y: relativeError(y, y64), dx: relativeError(g.dx!, ref.dx), dWeight: relativeError(g.dWeight!, ref.dWeight) });
  for (const m of WINOGRAD_TILES) {
    const { y: yw, saved } = conv2dForwardWinograd(x, weight, bias, {}, m);
    const gw = conv2dBackwardWinograd(dy, x, weight, saved, needs);
    rows.push({ path: `winograd m=${m}`, y: relativeError(yw, y64), dx: relativeError(gw.dx!, ref.dx), dWeight: relativeError(gw.dWeight!, ref.dWeight) });
  }
  return rows;
}

async function main(): Promise<void> {
  const mnist = loadMnist();
  const mean = meanImage(mnist.train.images);
  const trainSet = take({ images: subtractMean(mnist.train.images, mean), labels: mnist.train.labels }, 2000);
  const images = take({ images: subtractMean(mnist.test.images, mean), labels: mnist.test.labels }, 100).images;
  const untrained = createLeNet({ seed: 0 });
  const trained = createLeNet({ seed: 0 });
  await train(trained, trainSet, { optimizer: new SGD(trained.parameters()), epochs: 1, seed: 0 });
  for (const [name, model] of [['untrained', untrained], ['trained 1 epoch on 2,000 images', trained]] as const) {
    const { x, weight, bias } = conv2Inputs(model, images);
    console.log(`\nconv2 of the ${name} LeNet, 100 MNIST test images: max |err| / max |ref| (float32 vs float64 direct)`);
    console.log(`${'path'.padEnd(16)} ${'y'.padStart(9)} ${'dx'.padStart(9)} ${'dWeight'.padStart(9)}`);
    for (const r of pathErrors(x, weight, bias)) {
      console.log(`${r.path.padEnd(16)} ${r.y.toExponential(2).padStart(9)} ${r.dx.toExponential(2).padStart(9)} ${r.dWeight.toExponential(2).padStart(9)}`);
    }
  }
}

if (process.argv[1]?.endsWith('winograd-accuracy.ts')) await main();
