/**
 * advgrad's public API, the "." entry: explicit named exports only, so go-to-definition lands on
 * the code. Everything here runs in any JavaScript engine (a browser, a Web Worker, Node): no
 * module in its import graph imports a Node built-in (a test walks the graph). What needs Node
 * (files, MNIST from disk, Node's worker threads) is the "./node" entry, src/node.ts.
 */

// tensor/: storage, shape, dtype, creation, seeded randomness, window geometry
export { Tensor, zerosLike, type DType, type FloatArray } from './tensor/tensor.ts';
export { tensor, zeros, ones, full, randn, uniform } from './tensor/create.ts';
export { Rng } from './tensor/rng.ts';
export { formatShape, shapeSize, type Shape } from './tensor/shape.ts';
export { windowGeometry, type WindowGeometry, type ConvGeometry } from './tensor/window.ts';

// kernels/: arrays-only arithmetic, each fast kernel beside its readable reference
export { gemm } from './kernels/gemm/gemm.ts';
export { gemmNaive } from './kernels/reference/gemm.ts';
export { im2col, col2im } from './kernels/reference/im2col.ts';
export { conv2dDirectForward, conv2dDirectBackward } from './kernels/reference/conv2d.ts';

// autograd/: the graph, the engine, differentiable primitives, the gradient checker
export {
  Variable, variable, parameter, constant, defineOp, noGrad, isGradEnabled, type BackwardFn, type OpResult, type GradHook, type HookHandle,
} from './autograd/variable.ts';
export { backward, zeroGrad } from './autograd/backward.ts';
export { add, sub, mul, scale } from './autograd/arithmetic.ts';
export { matmul } from './autograd/matmul.ts';
export { sum, mean } from './autograd/reduce.ts';
export { reshape, flatten } from './autograd/reshape.ts';
export { toDot, toSvg, type GraphPictureOptions } from './autograd/graph-picture.ts';
export { gradcheck, type GradcheckOptions, type GradcheckResult, type GradcheckFailure } from './autograd/gradcheck.ts';

// layers/: each op, its forward and backward kernels, its Module
export {
  conv2d, Conv2d, conv2dGeometry, conv2dForward, conv2dBackward, conv2dForwardDirect, conv2dBackwardDirect, conv2dPlan,
  CONV2D_ALGORITHMS, type Conv2dAlgorithm, type Conv2dPlan, type Conv2dOptions, type LoweredInput,
} from './layers/conv2d.ts';
export { conv2dForwardIm2col, conv2dBackwardIm2col } from './layers/conv2d-im2col.ts';
export { maxPool2d, MaxPool2d, maxPool2dGeometry, maxPool2dForward, maxPool2dBackward, type MaxPool2dOptions } from './layers/max-pool2d.ts';
export { relu, ReLU, reluForward, reluBackward } from './layers/relu.ts';
export { linear, Linear, linearForward, linearBackward } from './layers/linear.ts';
export { softmaxCrossEntropy, softmax, softmaxForward } from './layers/softmax-cross-entropy.ts';
export { crossEntropyPerExample, marginPerExample } from './layers/example-losses.ts';
export { dlrPerExample, dlrTargetedPerExample } from './layers/dlr-loss.ts';
export { klDivergencePerExample } from './layers/kl-divergence.ts';
export { Module, Sequential } from './layers/module.ts';
export { initStd, type Init, type InitName } from './layers/init.ts';

// models/
export { createLeNet, LeNet, LENET_ARCHITECTURE, type LeNetOptions } from './models/lenet.ts';
export { createLeNetRelu, LeNetRelu, LENET_RELU_ARCHITECTURE } from './models/lenet-relu.ts';
export { createModel, modelSpec, architectures, isNamedModel, ARCH_FLAGS, architectureOfFlag, type NamedModel, type ModelSpec } from './models/registry.ts';

// data/: datasets in memory (loading MNIST from disk is in "./node")
export { scalarMeanImage, normalizationMean, isScalarMean, NORMALIZATIONS, type Normalization } from './data/dataset.ts';
export { meanImage, subtractMean, take, subset, splitValidation, batchIndices, gatherBatch, type Dataset, type Batch } from './data/dataset.ts';

// attacks/
export { fgsm, fgsmFromGradient, PIXEL_RANGE, type FgsmOptions } from './attacks/fgsm.ts';
export { pgd, type PgdOptions } from './attacks/pgd.ts';
export { klPgd, type KlPgdOptions } from './attacks/kl-pgd.ts';
export { noise, type NoiseOptions } from './attacks/noise.ts';
export { apgd, checkApgdOptions, type ApgdOptions, type ApgdLoss } from './attacks/apgd.ts';
export { apgdCheckpoints, halvesStep, APGD_RHO, type CheckpointState } from './attacks/apgd-schedule.ts';
export { square, squareFraction, checkSquareOptions, SQUARE_QUERIES, type SquareOptions } from './attacks/square.ts';
export { runAttack, describeAttack, checkAttackSpec, ATTACK_NAMES, type AttackSpec, type AttackName } from './attacks/spec.ts';
export { type AttackOptions, type AttackLoss, type LabelMode, type Targets, type ExampleIndex } from './attacks/attack.ts';

// robustness/
export { evaluateAttack, type AttackEvaluation, type AttackEvaluationOptions } from './robustness/attack-evaluation.ts';
export { robustnessCurve, DEFAULT_EPSILONS, type Curve, type CurvePoint } from './robustness/curve.ts';
export { worstCase, defaultSuite, type WorstCase, type WorstCaseStep } from './robustness/worst-case.ts';
export { audit, zeroGradientShare, type AuditOptions, type AuditResult, type AuditCheck, type Verdict } from './robustness/audit.ts';
export { robustnessSummary, type RobustnessSummary } from './robustness/summary.ts';
export { standardError, exceedsBeyondNoise, mcnemar, mcnemarPValue, pairedExceeds, type McNemar } from './robustness/stats.ts';
export { standardEvaluation, standardSuite, DEFAULT_EVALUATION_QUERIES, type StandardEvaluation, type StandardEvaluationOptions } from './robustness/standard-evaluation.ts';
export { convergence, CONVERGENCE_STEPS, CONVERGENCE_RESTARTS, type Convergence, type ConvergencePoint, type ConvergenceOptions, type LastDoubling } from './robustness/convergence.ts';
export { gradientScale, noiseSurvivors, transferSurvivors, type GradientScale } from './robustness/audit-checks.ts';
export { robustnessBracket, bracketBudget, certifyImages, certifiedFigure, type Bracket, type BracketBudget, type BracketOptions, type Certified } from './robustness/bracket.ts';

// certify/: certified lower bounds of robustness (interval bounds, CROWN)
export { boundNetwork, type BoundNetwork, type BoundLayer } from './certify/network.ts';
export { inputBox, propagateBoxes, type Box, type InputBoxOptions } from './certify/ibp.ts';
export {
  certifyBatch, logitBounds, specLowerBounds, marginSpec, CERTIFY_METHODS,
  type CertifyMethod, type CertifyOptions, type Certificate, type SpecBounds,
} from './certify/certify.ts';
export { certifiedRadius, certifiedAccuracy, type Radii, type RadiusOptions, type CertifiedAccuracy } from './certify/radius.ts';
export { type ReluLowerSlope } from './certify/crown.ts';

// train/
export { SGD, type SGDOptions } from './train/sgd.ts';
export { train, type TrainOptions, type AdversarialTraining, type EpochInfo, type BatchInfo } from './train/train.ts';
export { evaluate, type EvaluateOptions } from './train/evaluate.ts';
export { lrFactor, LR_SCHEDULES, type LrSchedule, type LrScheduleName } from './train/lr-schedule.ts';
export { WeightAverage, type WeightAveragingOptions } from './train/ema.ts';
export { metricsOf, MetricsAccumulator, type Metrics } from './train/metrics.ts';
export { InProcessEngine, type Engine } from './train/engine.ts';
export { SHARDS } from './train/step.ts';
// the worker engine over any threads (a ThreadSpawner): Web Workers here; "./node" has its own
// WorkerEngine, this class with Node's worker threads as the default
export { WorkerEngine, type WorkerEngineOptions } from './train/workers/worker-engine.ts';
export { startThreads, type ThreadPort, type TaskPort, type ThreadSpawner } from './train/workers/thread-port.ts';
export { serveTasks, type ThreadHooks } from './train/workers/thread-main.ts';
export { webWorkerSpawner, serveWebWorker } from './train/workers/web-workers.ts';
export { type WorkerInit, type Task, type Reply } from './train/workers/protocol.ts';

// io/: file formats as bytes (reading and writing the files is in "./node")
export { parseIdx, encodeIdx, type IdxData, type IdxReadOptions } from './io/idx.ts';
export {
  encodeCheckpoint, decodeCheckpoint, checkpointFromModel, restoreModel, restoreOptimizer, CheckpointError,
  type CheckpointContents, type CheckpointExtras, type OptimizerState,
} from './io/checkpoint.ts';
