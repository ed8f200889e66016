/**
 * advgrad's public API: explicit named exports only (DESIGN.md §3).
 */

// tensor/: storage, shape, dtype, creation, seeded randomness, raw kernels
export { Tensor, zerosLike, type DType, type FloatArray } from './tensor/tensor.ts';
export { tensor, zeros, ones, full, randn, uniform } from './tensor/create.ts';
export { Rng } from './tensor/rng.ts';
export { formatShape, shapeSize, type Shape } from './tensor/shape.ts';
export { gemm } from './tensor/gemm.ts';
export { gemmNaive } from './tensor/gemm-naive.ts';
export { windowGeometry, type WindowGeometry } from './tensor/window.ts';

// autograd/: the graph, the engine, differentiable primitives, the gradient checker
export { Variable, variable, parameter, constant, defineOp, noGrad, isGradEnabled, type BackwardFn, type OpResult } from './autograd/variable.ts';
export { backward, zeroGrad } from './autograd/backward.ts';
export { add, sub, mul, scale } from './autograd/arithmetic.ts';
export { matmul } from './autograd/matmul.ts';
export { sum, mean } from './autograd/reduce.ts';
export { reshape, flatten } from './autograd/reshape.ts';
export { gradcheck, type GradcheckOptions, type GradcheckResult, type GradcheckFailure } from './autograd/gradcheck.ts';

// layers/ and models/
export { conv2d, Conv2d, conv2dForwardDirect, setConv2dAlgorithm, type Conv2dAlgorithm, type Conv2dOptions } from './layers/conv2d.ts';
export { maxPool2d, MaxPool2d, type MaxPool2dOptions } from './layers/max-pool2d.ts';
export { relu, ReLU } from './layers/relu.ts';
export { linear, Linear } from './layers/linear.ts';
export { softmaxCrossEntropy, softmax } from './layers/softmax-cross-entropy.ts';
export { Module, Sequential } from './layers/module.ts';
export { type Init } from './layers/init.ts';
export { createLeNet, LeNet, type LeNetOptions } from './models/lenet.ts';

// data/
export { loadMnist, defaultMnistDir, type Mnist } from './data/mnist.ts';
export { meanImage, subtractMean, take, subset, splitValidation, batchIndices, gatherBatch, type Dataset, type Batch } from './data/dataset.ts';
export { readIdx, writeIdx, parseIdx } from './data/idx.ts';

// attacks/
export { fgsm, fgsmFromGradient, PIXEL_RANGE, type FgsmOptions } from './attacks/fgsm.ts';

// train/
export { SGD, type SGDOptions } from './train/sgd.ts';
export { train, type TrainOptions, type AdversarialTraining, type EpochInfo, type BatchInfo } from './train/train.ts';
export { evaluate, type EvaluateOptions } from './train/evaluate.ts';
export { metricsOf, MetricsAccumulator, type Metrics } from './train/metrics.ts';
export { InProcessEngine, type Engine } from './train/engine.ts';
export { saveCheckpoint, loadCheckpoint, checkpointFromModel, restoreModel, restoreOptimizer, type CheckpointContents } from './train/checkpoint.ts';
