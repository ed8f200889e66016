/**
 * Models by architecture name: the name a checkpoint records (checkpointFromModel) and the one a
 * worker thread rebuilds its replica from (train/workers/worker-engine.ts), since a model object cannot be sent
 * to another thread, only its name and its parameters. A plain table, not runtime registration:
 * a worker thread imports this module afresh, so a model registered at run time in the main
 * thread would not exist there.
 */
import type { Conv2dAlgorithm } from '../layers/conv2d.ts';
import type { Init } from '../layers/init.ts';
import type { Module } from '../layers/module.ts';
import type { DType } from '../tensor/tensor.ts';
import { createLeNet, LENET_ARCHITECTURE } from './lenet.ts';
import { createLeNetRelu, LENET_RELU_ARCHITECTURE } from './lenet-relu.ts';

/** A model that a checkpoint and a worker engine can name. */
export type NamedModel = Module & { readonly architecture: string; readonly dtype: DType; readonly algorithm?: Conv2dAlgorithm };

/** What a model is built from: its seed, dtype, initialisation (default MatConvNet's) and its convolutions' algorithm (default 'auto'). */
export interface CreateModelOptions {
  seed?: number;
  init?: Init;
  dtype?: DType;
  algorithm?: Conv2dAlgorithm;
}

/** How to build one architecture, and the length of its output row. */
export interface ModelSpec {
  /** A fresh model, seeded; its weights are usually overwritten (checkpoint, worker replica). */
  create(options: CreateModelOptions): NamedModel;
  /** Logits per image: the model maps x [N, …] to [N, classes]. */
  classes: number;
  /** The short name the command line takes (`advgrad train --arch NAME`). */
  flag: string;
}

const MODELS: Readonly<Record<string, ModelSpec>> = {
  [LENET_ARCHITECTURE]: { create: (options) => createLeNet(options), classes: 10, flag: 'lenet' },
  [LENET_RELU_ARCHITECTURE]: { create: (options) => createLeNetRelu(options), classes: 10, flag: 'lenet-relu' },
};

/** The command line's short names (`--arch`), in table order: 'lenet' is the seed's. */
export const ARCH_FLAGS: readonly string[] = Object.values(MODELS).map((spec) => spec.flag);

/** The architecture name of a short name of ARCH_FLAGS; throws naming the known ones. */
export function architectureOfFlag(flag: string): string {
  const found = Object.entries(MODELS).find(([, spec]) => spec.flag === flag);
  if (found === undefined) throw new RangeError(`no model has the short name '${flag}' (known: ${ARCH_FLAGS.join(', ')})`);
  return found[0];
}

/** The architecture names the table knows. */
export function architectures(): string[] {
  return Object.keys(MODELS);
}

/** The spec of `architecture`; throws naming the known ones when it has none. */
export function modelSpec(architecture: string): ModelSpec {
  const spec = Object.hasOwn(MODELS, architecture) ? MODELS[architecture] : undefined;
  if (spec === undefined) throw new RangeError(`no model is registered as '${architecture}' (known: ${architectures().join(', ')})`);
  return spec;
}

/** A fresh model of `architecture` (e.g. the one a checkpoint names). */
export function createModel(architecture: string, options: CreateModelOptions = {}): NamedModel {
  return modelSpec(architecture).create(options);
}

/** True when the worker engine can rebuild `model` in another thread from its architecture name. */
export function isNamedModel(model: Module): model is NamedModel {
  const architecture = (model as Partial<NamedModel>).architecture;
  return typeof architecture === 'string' && Object.hasOwn(MODELS, architecture);
}
