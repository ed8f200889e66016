/**
 * The run behind `npm run train`: one model trained for its epochs with a checkpoint after every
 * epoch (model.ckpt, holding SGD's state so a killed run resumes exactly), the best epoch by
 * validation kept in best.ckpt when there is a validation, then the five metrics on the test set.
 * No I/O of its own: checkpoints and log lines go to the caller's sink.
 */
import type { CheckpointContents } from '../io/checkpoint.ts';
import { checkpointFromModel } from '../io/checkpoint.ts';
import type { LeNet } from '../models/lenet.ts';
import { round4 } from '../report/format.ts';
import type { Metrics } from '../report/results.ts';
import type { Adam } from '../train/adam.ts';
import type { WeightAveragingOptions } from '../train/ema.ts';
import type { LrSchedule } from '../train/lr-schedule.ts';
import { evaluate } from '../train/evaluate.ts';
import { SGD } from '../train/sgd.ts';
import { DEFAULT_TRAINING_PGD_STEPS, defaultAdvRatio } from '../train/schedules.ts';
import { splitValidation } from '../data/dataset.ts';
import { validationAttack } from '../train/validation.ts';
import { train, type AdversarialTraining, type EpochInfo } from '../train/train.ts';
import { describeValidation, type Validation } from '../train/validation.ts';
import type { ExperimentContext, ExperimentData } from './context.ts';

export interface TrainRunOptions {
  epochs: number;
  seed: number;
  batch: number;
  workers: number;
  /** Epochs already done (a resumed run). */
  startEpoch: number;
  adversarial?: AdversarialTraining;
  validation?: Validation;
  /** The learning rate step by step (train/lr-schedule.ts); default constant. */
  lrSchedule?: LrSchedule;
  /** Weight averaging (train/ema.ts): the average is validated, checkpointed and evaluated. Default off. */
  ema?: WeightAveragingOptions;
  /** Saved in every checkpoint. */
  config: Record<string, unknown>;
}

export interface TrainRunContext extends Pick<ExperimentContext, 'openEngine' | 'progress' | 'signal'> {
  data: ExperimentData;
  output: { checkpoint(name: string, contents: CheckpointContents): void; epoch(entry: { phase: string } & EpochInfo): void };
}

export interface TrainRunSummary {
  test: Metrics;
  secondsPerEpoch: number[];
  /** The checkpoint holding the model evaluated: best.ckpt with a validation, model.ckpt otherwise. */
  checkpoint: 'best.ckpt' | 'model.ckpt';
  bestEpoch?: number;
  config: Record<string, unknown>;
}

/** Trains `model` with `optimizer` as the options say, checkpointing every epoch; evaluates the model kept. */
export async function trainRun(model: LeNet, optimizer: SGD | Adam, options: TrainRunOptions, context: TrainRunContext): Promise<TrainRunSummary> {
  const { data, progress, output } = context;
  const { epochs, adversarial, validation } = options;
  const { config } = options;
  const phase = adversarial ? `adversarial (${adversarial.schedule})` : 'standard';
  const sgd = optimizer instanceof SGD ? optimizer : null; // checkpoints hold SGD's state only
  const engine = await context.openEngine(model, options.workers);
  const secondsPerEpoch: number[] = [];
  try {
    const log = await train(model, data.train, {
      optimizer, epochs, seed: options.seed, batchSize: options.batch, startEpoch: options.startEpoch, adversarial, validation, engine,
      lrSchedule: options.lrSchedule, ema: options.ema,
      signal: context.signal,
      onBatch: (info) => progress.batch(phase, epochs, info),
      onEpoch: (info) => {
        secondsPerEpoch.push(info.seconds);
        progress.epoch(phase, epochs, info);
        const v = info.validation;
        if (v) progress.note(`  validation (${v.count} images): clean ${round4(v.clean)}, ${describeValidation(validation!.attack)} ${round4(v.robust)}${v.best ? '  (best so far)' : ''}`);
        output.checkpoint('model.ckpt', checkpointFromModel(model, { meanImage: data.mean, config, epoch: info.epoch, optimizer: sgd }));
        if (v?.best) output.checkpoint('best.ckpt', checkpointFromModel(model, { meanImage: data.mean, config, epoch: info.epoch, metrics: { validation: v } }));
        if (info.collapse) progress.note(`stopped: ${info.collapse} (best.ckpt kept the best epoch)`);
        output.epoch({ phase, ...info });
      },
    });
    // With validation, train() left the model at its best epoch: that one is evaluated and kept.
    const test = await evaluate(model, data.test.images, data.test.labels, { engine });
    const best = log.filter((info) => info.validation?.best).pop();
    const checkpoint = best ? 'best.ckpt' : 'model.ckpt';
    const metrics = best ? { test, validation: best.validation } : { test };
    output.checkpoint(checkpoint, checkpointFromModel(model, { meanImage: data.mean, config, epoch: best?.epoch ?? epochs, optimizer: best ? null : sgd, metrics }));
    return { test, secondsPerEpoch, checkpoint, bestEpoch: best?.epoch, config };
  } finally {
    await engine.close();
  }
}

/**
 * The data of a run with a validation subset: the last `count` training images held out and
 * attacked with the validation PGD (train/validation.ts) after every epoch; no validation for 0.
 */
export function withValidation(prepared: ExperimentData, count: number, attack: { eps: number; clip: boolean; seed: number }): { data: ExperimentData; validation?: Validation } {
  const split = splitValidation(prepared.train, count);
  const data = { ...prepared, train: split.train };
  if (count === 0) return { data };
  return { data, validation: { data: split.validation, attack: validationAttack(attack.eps, { clip: attack.clip, mean: data.mean, seed: attack.seed }) } };
}

/** The checkpoints' config: every value read from the objects that run. */
export function trainConfig(run: { seed: number; epochs: number; batch: number; optimizer: SGD | Adam; adversarial?: AdversarialTraining; data: ExperimentData; validationCount: number }): Record<string, unknown> {
  const a = run.adversarial;
  return {
    command: 'train', seed: run.seed, epochs: run.epochs, batch: run.batch, optimizer: run.optimizer instanceof SGD ? 'sgd' : 'adam', lr: run.optimizer.lr, adversarial: Boolean(a),
    eps: a?.fgsm.eps, clip: a?.fgsm.clip, schedule: a?.schedule,
    advRatio: a && a.schedule !== 'trades' ? (a.advRatio ?? defaultAdvRatio(a.schedule!)) : undefined, // TRADES weighs by β instead
    trainLabel: a?.fgsm.labelMode, epsRamp: a?.epsRamp,
    steps: a?.schedule === 'pgd' ? (a.steps ?? DEFAULT_TRAINING_PGD_STEPS) : undefined,
    trainCount: run.data.train.labels.length, validationCount: run.validationCount, testCount: run.data.test.labels.length,
  };
}
