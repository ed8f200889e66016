/**
 * Training loops: standard, and adversarial in two schedules (README: "Why adversarial examples are
 * made every batch").
 *
 *   standard:            each step, a shuffled batch of B images;              θ ← SGD(θ, ∇θ mean J)
 *   adversarial 'batch': each step, B/2 clean images and their FGSM examples made from the current
 *                        model in the same pass (train/step.ts): J̃ = ½J(x) + ½J(x_adv)
 *   adversarial 'epoch': at the start of each epoch, FGSM examples of all N training images from the
 *                        model of that moment; then 2N shuffled samples in batches of B. This is the
 *                        seed's literal reading, and its examples go stale while the model moves.
 *
 * Both adversarial schedules see 2N samples per epoch. The shuffle of epoch e comes from
 * Rng(seed, e), so a run resumed at an epoch boundary continues exactly as an uninterrupted one.
 */
import type { FgsmOptions } from '../attacks/fgsm.ts';
import { checkFgsmOptions } from '../attacks/fgsm.ts';
import type { Dataset } from '../data/dataset.ts';
import { batchIndices, gatherBatch } from '../data/dataset.ts';
import type { Module } from '../layers/module.ts';
import { Rng } from '../tensor/rng.ts';
import { Tensor } from '../tensor/tensor.ts';
import { InProcessEngine, sliceBatch, type Engine } from './engine.ts';
import type { SGD } from './sgd.ts';
import type { StepKind } from './step.ts';

export interface AdversarialTraining {
  fgsm: FgsmOptions;
  /** 'batch' (default): fresh examples every step. 'epoch': made once per epoch. */
  schedule?: 'batch' | 'epoch';
}

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
}

export interface TrainOptions {
  optimizer: SGD;
  epochs: number;
  /** Samples per SGD step (default 100; in the 'batch' schedule half are clean, half adversarial). */
  batchSize?: number;
  /** Seeds the shuffles (default 0). */
  seed?: number;
  /** Epochs already done (resume): training runs epochs startEpoch+1 … epochs. */
  startEpoch?: number;
  adversarial?: AdversarialTraining;
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
  if (adversarial) {
    checkFgsmOptions(adversarial.fgsm);
    if (schedule !== 'batch' && schedule !== 'epoch') throw new RangeError(`train: schedule must be 'batch' or 'epoch', got '${String(schedule)}'`);
    if (schedule === 'batch' && batchSize % 2 !== 0) throw new RangeError(`train: the 'batch' schedule needs an even batch size (half clean, half adversarial), got ${batchSize}`);
  }
  const engine = options.engine ?? new InProcessEngine(model);
  const log: EpochInfo[] = [];

  for (let epoch = startEpoch + 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    const rng = epochRng(seed, epoch);
    let epochData = data;
    let step: StepKind = { kind: 'standard' };
    let perStep = batchSize;
    if (adversarial && schedule === 'epoch') {
      epochData = await withEpochAdversarials(engine, data, adversarial.fgsm);
    } else if (adversarial) {
      step = { kind: 'adversarial', fgsm: adversarial.fgsm };
      perStep = batchSize / 2; // clean images per step; each brings its FGSM example
    }
    const batches = batchIndices(epochData.images.shape[0], perStep, rng);
    let lossSum = 0;
    let samples = 0;
    for (let b = 0; b < batches.length; b++) {
      // Let the event loop run (signals, timers, I/O): an in-process engine resolves every await as
      // a microtask, which on its own would keep a Ctrl-C handler from ever running.
      await yieldToEventLoop();
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('training aborted');
      const { x, labels } = gatherBatch(epochData, batches[b]);
      const total = step.kind === 'adversarial' ? 2 * x.shape[0] : x.shape[0];
      const { lossSum: l, grads } = await engine.batchGradients(x, labels, total, step);
      optimizer.step(grads);
      lossSum += l;
      samples += total;
      options.onBatch?.({ epoch, batch: b + 1, batches: batches.length, loss: l / total, samples, seconds: (performance.now() - started) / 1000 });
    }
    const info: EpochInfo = { epoch, loss: lossSum / samples, samples, seconds: (performance.now() - started) / 1000 };
    log.push(info);
    await options.onEpoch?.(info);
  }
  return log;
}

/** Resolves on the next turn of the event loop. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
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
