/**
 * The worker engine's messages (worker-engine.ts ↔ thread-main.ts, through thread-port.ts). Data
 * never travels in them: inputs, parameters, gradients and outputs are in shared memory
 * (shared-layout.ts); a message says which call it is and which part of the batch is the receiver's.
 *
 *   start     WorkerInit, once per thread (Node: workerData; a Web Worker: its first message): its
 *             index, the thread count, the model's architecture name, dtype and convolution
 *             algorithm (the thread builds its replica from them, models/registry.ts, so it computes
 *             exactly what the main model computes), the parameter sizes, and the shared buffers.
 *   ready     Reply, the thread has built its replica.
 *   task      Task, one per call to each thread that has work. 'grad': the gradient shards
 *             (train/step.ts) this thread computes, the step kind (StepWire: standard, FGSM, an
 *             attack spec in its wire form, attacks/spec.ts, or TRADES's KL attack and β), and for trainStep with SGD the
 *             UpdateWire (its rank among the threads with shards and SGD's hyper-parameters).
 *             'logits' / 'attack': the row chunks (rowChunks) this thread computes.
 *             Every task carries TaskInputs: the call's number `seq` and the shapes of x and labels.
 *   done      Reply with `seq`: the results are in shared memory (published by DONE[t]).
 *   failed    Reply with `seq` and the error's message and stack; the thread stays usable.
 *
 * How a thread gets its shard: the engine assigns shard s (s = 0..SHARDS−1) to thread s mod T and
 * sends each thread the list of its shards; the thread slices rows shardRange(n, s) of the shared
 * x (train/step.ts). Row tasks are cut the same way into rowChunks(n, T) chunks, chunk c on thread c.
 */
import { toWire as attackToWire, fromWire as attackFromWire, type AttackSpecWire } from '../../attacks/spec.ts';
import type { FgsmOptions } from '../../attacks/fgsm.ts';
import type { KlPgdOptions } from '../../attacks/kl-pgd.ts';
import type { Conv2dAlgorithm } from '../../layers/conv2d.ts';
import { Tensor, type DType, type FloatArray } from '../../tensor/tensor.ts';
import type { StepKind } from '../step.ts';

/** What a worker is given at start (structured-cloned; the buffers are shared, not copied). */
export interface WorkerInit {
  index: number;
  workers: number;
  /** The model's architecture name: the worker builds its replica from the registry. */
  architecture: string;
  dtype: DType;
  /** The convolutions' algorithm the replica is built with (the main model's). */
  algorithm: Conv2dAlgorithm;
  /** Sizes of the model's parameters, in model.parameters() order. */
  sizes: number[];
  params: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  losses: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

/** FgsmOptions without the Tensor class, which does not survive structured cloning. */
export interface FgsmWire {
  eps: number;
  pixelRange?: number;
  clip?: boolean;
  labelMode?: 'true' | 'predicted';
  mean?: { data: FloatArray; shape: number[] };
}

/** The inputs every task carries. x holds n images of x.shape[1..] in dtype, labels n entries. */
export interface TaskInputs {
  seq: number;
  n: number;
  shape: number[];
  dtype: DType;
  x: SharedArrayBuffer;
  labels: SharedArrayBuffer;
}

/** KlPgdOptions without the Tensor class (the mean as plain data). */
export type KlPgdWire = Omit<KlPgdOptions, 'mean'> & { mean?: { data: FloatArray; shape: number[] } };

/** A StepKind as a message carries it. */
export type StepWire =
  | { kind: 'standard' }
  | { kind: 'adversarial'; fgsm: FgsmWire; advRatio?: number }
  | { kind: 'attack'; spec: AttackSpecWire; advRatio: number }
  | { kind: 'trades'; attack: KlPgdWire; beta: number };

/**
 * trainStep's SGD step, for worker `rank` of the `parties` that got shards: the weights it updates
 * (see the file header) and SGD's hyper-parameters now.
 */
export interface UpdateWire {
  velocity: SharedArrayBuffer;
  rank: number;
  parties: number;
  lr: number;
  momentum: number;
  weightDecay: number;
}

/** A message from the main thread to a worker: a call's share of work, or the test hook. */
export type Task =
  | (TaskInputs & { type: 'grad'; shards: number[]; batchTotal: number; step: StepWire; update?: UpdateWire })
  | (TaskInputs & { type: 'logits' | 'attack'; chunks: number; shards: number[]; out: SharedArrayBuffer; attack?: AttackSpecWire; index?: number | number[] })
  /** Test hook: the worker fails its next task by exiting with `exit` or by throwing `throw`. */
  | { type: 'debug'; exit?: number; throw?: string };

/** A message from a worker: started, finished call `seq` (results in shared memory), or failed. */
export type Reply = { type: 'ready' } | { type: 'done'; seq: number } | { type: 'failed'; seq: number; message: string; stack?: string };

/** Number of row chunks logits and attacks cut n rows into with T workers: one per worker, none empty. */
export function rowChunks(n: number, T: number): number {
  return Math.max(1, Math.min(T, n));
}

/** FgsmOptions as a message can carry them. */
export function toWire(options: FgsmOptions): FgsmWire {
  const { eps, pixelRange, clip, labelMode, mean } = options;
  return { eps, pixelRange, clip, labelMode, mean: mean === undefined ? undefined : { data: mean.data, shape: [...mean.shape] } };
}

/** The FgsmOptions that toWire encoded. */
export function fromWire(wire: FgsmWire): FgsmOptions {
  const { eps, pixelRange, clip, labelMode, mean } = wire;
  return { eps, pixelRange, clip, labelMode, mean: mean === undefined ? undefined : new Tensor(mean.data, mean.shape) };
}

/** A StepKind as a message can carry it. */
export function stepToWire(step: StepKind): StepWire {
  if (step.kind === 'standard') return step;
  if (step.kind === 'attack') return { kind: 'attack', spec: attackToWire(step.spec), advRatio: step.advRatio };
  if (step.kind === 'trades') {
    const { mean, ...rest } = step.attack;
    return { kind: 'trades', attack: { ...rest, mean: mean === undefined ? undefined : { data: mean.data, shape: [...mean.shape] } }, beta: step.beta };
  }
  return { kind: 'adversarial', fgsm: toWire(step.fgsm), advRatio: step.advRatio };
}

/** The StepKind that stepToWire encoded. */
export function stepFromWire(wire: StepWire): StepKind {
  if (wire.kind === 'standard') return wire;
  if (wire.kind === 'attack') return { kind: 'attack', spec: attackFromWire(wire.spec), advRatio: wire.advRatio };
  if (wire.kind === 'trades') {
    const { mean, ...rest } = wire.attack;
    return { kind: 'trades', attack: { ...rest, mean: mean === undefined ? undefined : new Tensor(mean.data, mean.shape) }, beta: wire.beta };
  }
  return { kind: 'adversarial', fgsm: fromWire(wire.fgsm), advRatio: wire.advRatio };
}
