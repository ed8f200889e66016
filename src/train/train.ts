/**
 * Training loops: standard, and adversarial in the schedules of train/schedules.ts.
 *
 *   standard:            each step, a shuffled batch of B images;              θ ← SGD(θ, ∇θ mean J)
 *   adversarial 'batch': each step, B/2 clean images and their FGSM examples made from the current
 *                        model in the same pass (train/step.ts): J̃ = ½J(x) + ½J(x_adv)
 *   adversarial 'epoch': at the start of each epoch, FGSM examples of all N training images from the
 *                        model of that moment; then 2N shuffled samples in batches of B. This is the
 *                        seed's literal reading, and its examples go stale while the model moves.
 *   'pgd', 'fgsm-rs':    each step, B images and their PGD-k or FGSM-with-random-start examples made
 *                        from the current model: J̃ = (1 − a)·J(x) + a·J(x_adv), a = 1 by default.
 *   'trades':            each step, B images and their KL-maximising examples x̃ made from the
 *                        current model: J(x) + β·KL(p(x) ‖ p(x̃)) (schedules.ts).
 *
 * 'batch' and 'epoch' see 2N samples per epoch, 'pgd', 'fgsm-rs' and 'trades' N images (each with
 * its example). ε may warm up from 0 over the first epochs (schedules.ts). The shuffle of epoch e comes
 * from Rng(seed, e), so a run resumed at an epoch boundary continues exactly as an uninterrupted one.
 *
 * Recipe levers, both off by default: a learning-rate schedule (lr-schedule.ts) sets the optimiser's
 * lr before every step from the step's index in the run (epochs × steps per epoch), and puts the
 * base rate back after every epoch; weight averaging (ema.ts) updates a moving average of the
 * weights after every step, which then stands in for the weights at every epoch's end (validation,
 * onEpoch's checkpoint, the best epoch) and when train() returns, while the raw weights train on.
 *
 * Guards (guards.ts): a non-finite step loss stops training at once with a DivergenceError; with a
 * validation set (validation.ts), robust accuracy is measured after every epoch, the model ends at
 * its best epoch by that figure, and a collapse of more than 20 points stops the run.
 */
import type { FgsmOptions } from '../attacks/fgsm.ts';
import type { Dataset } from '../data/dataset.ts';
import { batchIndices, gatherBatch } from '../data/dataset.ts';
import type { Module } from '../layers/module.ts';
import { release } from '../tensor/recycle.ts';
import { Rng } from '../tensor/rng.ts';
import { Tensor } from '../tensor/tensor.ts';
import { InProcessEngine, sliceBatch, type Engine } from './engine.ts';
import { COLLAPSE_RATIO, DivergenceError, findCollapse } from './guards.ts';
import { WeightAverage, type WeightAveragingOptions } from './ema.ts';
import { checkLrSchedule, lrFactor, type LrSchedule } from './lr-schedule.ts';
import type { Optimizer } from './optimizer.ts';
import { checkAdversarialTraining, DEFAULT_TRADES_BETA, defaultAdvRatio, isPerImageSchedule, rampedEps, tradesAttackOptions, trainingAttackSpec, type AdversarialTraining } from './schedules.ts';
import type { StepKind } from './step.ts';
import { validate, type Validation, type ValidationFigures } from './validation.ts';

export type { AdversarialTraining } from './schedules.ts';

export interface BatchInfo {
  epoch: number;
  /** 1-based index of the step within the epoch. */
  batch: number;
  batches: number;
  /** Mean loss of this step's samples. */
  loss: number;
  /** Samples trained on so far in this epoch. */
  samples: number;
  /** Seconds since the epoch started. */
  seconds: number;
}

export interface EpochInfo {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss over the epoch's samples. */
  loss: number;
  samples: number;
  seconds: number;
  /** The training attack's ε at the epoch's last step (adversarial training only). */
  eps?: number;
  /** Clean and robust validation accuracy after the epoch; best: the highest robust figure so far. */
  validation?: ValidationFigures & { best: boolean };
  /** Set on the epoch whose robust validation accuracy collapsed: why the run stopped. */
  collapse?: string;
}

export interface TrainOptions {
  /** SGD (the seed's), Adam, or anything with step(grads) and lr. */
  optimizer: Optimizer;
  epochs: number;
  /** Samples per SGD step (default 100; in the 'batch' schedule half are clean, half adversarial). */
  batchSize?: number;
  /** Seeds the shuffles (default 0). */
  seed?: number;
  /** Epochs already done (resume): training runs epochs startEpoch+1 … epochs. */
  startEpoch?: number;
  adversarial?: AdversarialTraining;
  /**
   * The learning rate step by step, as a factor of optimizer.lr (lr-schedule.ts): 'constant' (the
   * default, the seed's), 'cosine', 'one-cycle', or a function of (step, steps).
   */
  lrSchedule?: LrSchedule;
  /**
   * Weight averaging (ema.ts): a moving average of the weights with this decay is validated,
   * handed to onEpoch and left in the model at the end, in place of the raw weights. Default off.
   * A run resumed from such a checkpoint restarts the average from its (averaged) weights.
   */
  ema?: WeightAveragingOptions;
  /** Robust validation after every epoch; the model then ends at its best epoch (validation.ts). */
  validation?: Validation;
  engine?: Engine;
  onBatch?: (info: BatchInfo) => void;
  /** Awaited after every epoch (write a checkpoint here). */
  onEpoch?: (info: EpochInfo) => void | Promise<void>;
  /** Stops after the current step when aborted; train() then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The shuffling stream of one epoch. */
export function epochRng(seed: number, epoch: number): Rng {
  return new Rng((Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
}

/**
 * Trains `model` in place on `data` (mean-subtracted images) and returns the per-epoch log.
 * Rejects with a DivergenceError at the first non-finite step loss. With `validation`, the model
 * is left at the epoch of highest robust validation accuracy (of this call's epochs), and training
 * stops after an epoch whose figure collapsed (its log entry says so in `collapse`).
 */
export async function train(model: Module, data: Dataset, options: TrainOptions): Promise<EpochInfo[]> {
  const { optimizer, epochs } = options;
  const batchSize = options.batchSize ?? 100;
  const seed = options.seed ?? 0;
  const startEpoch = options.startEpoch ?? 0;
  const N = data.images.shape[0];
  if (!Number.isInteger(epochs) || epochs < 0) throw new RangeError(`train: epochs must be a non-negative integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`train: batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(startEpoch) || startEpoch < 0) throw new RangeError(`train: startEpoch must be a non-negative integer, got ${startEpoch}`);
  if (N === 0) throw new RangeError('train: the training set is empty');
  if (data.labels.length !== N) throw new RangeError(`train: ${N} images but ${data.labels.length} labels`);
  const adversarial = options.adversarial;
  const schedule = adversarial?.schedule ?? 'batch';
  if (adversarial) checkAdversarialTraining(adversarial, batchSize);
  const advRatio = adversarial?.advRatio ?? defaultAdvRatio(schedule);
  const epsRamp = adversarial?.epsRamp ?? 0;
  if (options.lrSchedule !== undefined) checkLrSchedule(options.lrSchedule);
  const average = options.ema === undefined ? null : new WeightAverage(model.parameters(), options.ema);
  const engine = options.engine ?? new InProcessEngine(model);
  const plan: EpochPlan = {
    batchSize, seed, adversarial, schedule, advRatio, epsRamp, signal: options.signal, onBatch: options.onBatch,
    epochs, lrSchedule: options.lrSchedule === 'constant' ? undefined : options.lrSchedule, average,
  };
  const log: EpochInfo[] = [];
  const figures: number[] = []; // robust validation accuracy, epoch by epoch
  let bestWeights: Float64Array[] | null = null;

  for (let epoch = startEpoch + 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    const info = await trainEpoch(engine, data, optimizer, epoch, plan, started);
    average?.swapIn(); // the average stands in for the weights until training goes on
    let collapsed = false;
    if (options.validation) {
      const figuresNow = await validate(engine, options.validation.data, options.validation.attack);
      const best = figures.every((f) => figuresNow.robust > f);
      figures.push(figuresNow.robust);
      info.validation = { ...figuresNow, best };
      if (best) bestWeights = model.parameters().map((p) => Float64Array.from(p.value.data));
      const collapse = findCollapse(figures, options.validation.collapseRatio);
      if (collapse !== null) {
        collapsed = true;
        info.collapse =
          `robust validation accuracy collapsed from ${collapse.best.toFixed(4)} (epoch ${startEpoch + 1 + collapse.bestIndex}) ` +
          `to ${collapse.value.toFixed(4)} (epoch ${epoch}), below ${1 - (options.validation.collapseRatio ?? COLLAPSE_RATIO)} × its best: ` +
          `catastrophic overfitting; training stopped and the model of epoch ${startEpoch + 1 + collapse.bestIndex} is kept`;
      }
    }
    log.push(info);
    await options.onEpoch?.(info);
    average?.swapOut();
    if (collapsed) break;
  }
  average?.swapIn(); // kept: the raw weights are dropped
  if (bestWeights !== null) model.parameters().forEach((p, i) => p.value.data.set(bestWeights![i]));
  return log;
}

/** What every epoch of a train() call shares: the options, resolved. */
interface EpochPlan {
  batchSize: number;
  seed: number;
  adversarial: AdversarialTraining | undefined;
  schedule: NonNullable<AdversarialTraining['schedule']>;
  advRatio: number;
  epsRamp: number;
  signal: AbortSignal | undefined;
  onBatch: ((info: BatchInfo) => void) | undefined;
  /** The run's last epoch (the lr schedule spans epochs × steps per epoch). */
  epochs: number;
  /** undefined: optimizer.lr is never touched. */
  lrSchedule: LrSchedule | undefined;
  average: WeightAverage | null;
}

/** One epoch's steps (see the file header for the schedules); its log entry, without validation. */
async function trainEpoch(engine: Engine, data: Dataset, optimizer: Optimizer, epoch: number, plan: EpochPlan, started: number): Promise<EpochInfo> {
  const { batchSize, seed, adversarial, schedule, advRatio, epsRamp } = plan;
  const rng = epochRng(seed, epoch);
  let epochData = data;
  let perStep = batchSize;
  if (adversarial && schedule === 'epoch') epochData = await withEpochAdversarials(engine, data, adversarial.fgsm);
  else if (adversarial && schedule === 'batch') perStep = batchSize / 2; // clean images per step; each brings its FGSM example
  const batches = batchIndices(epochData.images.shape[0], perStep, rng);
  const baseLr = optimizer.lr;
  try {
    return await epochSteps(engine, epochData, optimizer, epoch, plan, started, batches);
  } finally {
    optimizer.lr = baseLr; // a schedule's rate lasts one step; checkpoints record the base rate
  }
}

/** trainEpoch's steps over `batches` of `epochData`. */
async function epochSteps(
  engine: Engine, epochData: Dataset, optimizer: Optimizer, epoch: number, plan: EpochPlan, started: number, batches: Int32Array[],
): Promise<EpochInfo> {
  const { seed, adversarial, schedule, advRatio, epsRamp, lrSchedule } = plan;
  const baseLr = optimizer.lr;
  let lossSum = 0;
  let samples = 0;
  let eps: number | undefined;
  for (let b = 0; b < batches.length; b++) {
    // Let the event loop run (signals, timers, I/O): an in-process engine resolves every await as
    // a microtask, which on its own would keep a Ctrl-C handler from ever running.
    await yieldToEventLoop();
    if (plan.signal?.aborted) throw plan.signal.reason ?? new Error('training aborted');
    const { x, labels } = gatherBatch(epochData, batches[b]);
    let step: StepKind = { kind: 'standard' };
    let total = x.shape[0];
    if (adversarial && schedule !== 'epoch') {
      eps = rampedEps(adversarial.fgsm.eps, epsRamp, epoch, b + 1, batches.length);
      if (schedule === 'trades') {
        step = { kind: 'trades', attack: tradesAttackOptions(adversarial, eps, seed, epoch, b + 1), beta: adversarial.beta ?? DEFAULT_TRADES_BETA };
      } else if (isPerImageSchedule(schedule)) {
        step = { kind: 'attack', spec: trainingAttackSpec(adversarial, eps, seed, epoch, b + 1), advRatio };
      } else {
        step = { kind: 'adversarial', fgsm: eps === adversarial.fgsm.eps ? adversarial.fgsm : { ...adversarial.fgsm, eps }, advRatio };
        total = 2 * x.shape[0];
      }
    } else if (adversarial) eps = adversarial.fgsm.eps;
    if (lrSchedule !== undefined) optimizer.lr = baseLr * lrFactor(lrSchedule, (epoch - 1) * batches.length + b, plan.epochs * batches.length);
    const { lossSum: l } = await engine.trainStep(x, labels, total, step, optimizer); // no step when l is not finite
    if (!Number.isFinite(l)) throw new DivergenceError(epoch, b + 1, batches.length, l / total, optimizer.lr);
    release(x.data); // done with: the next step reuses its memory (tensor/recycle.ts)
    plan.average?.update();
    lossSum += l;
    samples += total;
    plan.onBatch?.({ epoch, batch: b + 1, batches: batches.length, loss: l / total, samples, seconds: (performance.now() - started) / 1000 });
  }
  return { epoch, loss: lossSum / samples, samples, seconds: (performance.now() - started) / 1000, eps };
}

/** The part of the web's MessagePort that yieldToEventLoop uses (Node's typings lack onmessage; its ports have it). */
interface MessagePortLike {
  onmessage: ((event: unknown) => void) | null;
  close(): void;
  postMessage(message: unknown): void;
}

/**
 * Resolves on a later turn of the event loop (a task, not a microtask), so that signals, timers
 * and I/O run between batches. A MessageChannel message is a task in every engine (browsers, web
 * workers, Node, Deno) and is not clamped as setTimeout is (browsers delay nested timeouts by at
 * least 4 ms, more than a small batch takes); setTimeout(0) is the fallback where there is no
 * MessageChannel. The channel is closed once its message arrives, so it keeps no process alive.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel !== 'function') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const channel = new MessageChannel() as unknown as { port1: MessagePortLike; port2: MessagePortLike };
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** The 'epoch' schedule's data: the N clean images followed by their N FGSM examples. */
async function withEpochAdversarials(engine: Engine, data: Dataset, fgsm: FgsmOptions): Promise<Dataset> {
  const N = data.images.shape[0];
  const per = data.images.size / N;
  const all = new Float32Array(2 * N * per);
  all.set(data.images.data);
  const chunk = 500;
  for (let start = 0; start < N; start += chunk) {
    const end = Math.min(N, start + chunk);
    const xAdv = await engine.fgsm(sliceBatch(data.images, start, end), data.labels.subarray(start, end), fgsm);
    all.set(xAdv.data, (N + start) * per);
  }
  const labels = new Int32Array(2 * N);
  labels.set(data.labels);
  labels.set(data.labels, N);
  return { images: new Tensor(all, [2 * N, ...data.images.shape.slice(1)]), labels };
}
