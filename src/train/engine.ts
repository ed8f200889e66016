/**
 * A gradient engine computes, for the model's current parameters, what training and evaluation
 * need batch by batch: the batch gradient (as shards summed in a fixed order), logits, and
 * adversarial examples (FGSM, or any attack of attacks/spec.ts). `InProcessEngine` does it on this
 * thread; `WorkerEngine` (train/workers/worker-engine.ts) spreads the
 * shards over worker threads and gives bit-identical results.
 */
import { fgsm, type FgsmOptions } from '../attacks/fgsm.ts';
import type { ExampleIndex } from '../attacks/attack.ts';
import { runAttack, type AttackSpec } from '../attacks/spec.ts';
import { noGrad, Variable } from '../autograd/variable.ts';
import type { Module } from '../layers/module.ts';
import { keep, recycling, release } from '../tensor/recycle.ts';
import { allocate, Tensor } from '../tensor/tensor.ts';
import type { Optimizer } from './optimizer.ts';
import { shardGradients, shardRange, sumShards, type StepKind } from './step.ts';

export interface BatchGradients {
  /** Σ J over the batch's samples (both halves in an adversarial step). */
  lossSum: number;
  /** ∇θ of the batch-mean loss, one array per parameter, in model.parameters() order. */
  grads: Float64Array[];
}

export interface Engine {
  /**
   * Gradient of the batch-mean loss at the model's current parameters. The arrays belong to the
   * caller, and nothing else may hold them: trainStep gives them back to the pool of
   * tensor/recycle.ts after its optimiser step.
   */
  batchGradients(x: Tensor, labels: Int32Array, batchTotal: number, step: StepKind): Promise<BatchGradients>;
  /**
   * One training step: the batch gradient (as batchGradients), then `optimizer.step` with it, taken
   * only if Σ J is finite; returns Σ J. The optimiser must be over the engine's model's parameters.
   * The worker engine takes SGD's step in its threads (train/workers/worker-engine.ts).
   */
  trainStep(x: Tensor, labels: Int32Array, batchTotal: number, step: StepKind, optimizer: Optimizer): Promise<{ lossSum: number }>;
  /** Logits [N, K] of x [N, C, H, W]. */
  logits(x: Tensor): Promise<Tensor>;
  /** FGSM examples of x [N, C, H, W]. */
  fgsm(x: Tensor, labels: Int32Array, options: FgsmOptions): Promise<Tensor>;
  /**
   * Adversarial examples of x [N, C, H, W] under any attack; `index` says which data-set example
   * each row is (the first of consecutive rows, or one per row): it seeds the row's random
   * streams, so results do not depend on the batching.
   */
  attack(x: Tensor, labels: Int32Array, spec: AttackSpec, index?: ExampleIndex): Promise<Tensor>;
  /** Releases threads; the engine cannot be used afterwards. */
  close(): Promise<void>;
  readonly workers: number;
}

/** Copies rows [start, end) of a batch tensor [N, …]. */
export function sliceBatch(x: Tensor, start: number, end: number): Tensor {
  const per = x.shape[0] === 0 ? 0 : x.size / x.shape[0];
  const data = allocate(x.dtype, (end - start) * per);
  data.set(x.data.subarray(start * per, end * per));
  return new Tensor(data, [end - start, ...x.shape.slice(1)]);
}

/**
 * fn's result, with everything else fn allocated recycled for the next call (tensor/recycle.ts):
 * an engine call's intermediates die with it.
 */
function recycled(fn: () => Tensor): Tensor {
  return recycling(() => {
    const result = fn();
    keep(result.data);
    return result;
  });
}

/** Everything on the calling thread; the reference the worker engine must match bit for bit. */
export class InProcessEngine implements Engine {
  readonly workers = 0;
  constructor(readonly model: Module) {}

  async batchGradients(x: Tensor, labels: Int32Array, batchTotal: number, step: StepKind): Promise<BatchGradients> {
    return computeBatchGradients(this.model, x, labels, batchTotal, step);
  }

  async trainStep(x: Tensor, labels: Int32Array, batchTotal: number, step: StepKind, optimizer: Optimizer): Promise<{ lossSum: number }> {
    return stepOnGradients(this, x, labels, batchTotal, step, optimizer);
  }

  async logits(x: Tensor): Promise<Tensor> {
    return recycled(() => noGrad(() => this.model.forward(new Variable(x)).value));
  }

  async fgsm(x: Tensor, labels: Int32Array, options: FgsmOptions): Promise<Tensor> {
    return recycled(() => fgsm(this.model, x, labels, options));
  }

  async attack(x: Tensor, labels: Int32Array, spec: AttackSpec, index: ExampleIndex = 0): Promise<Tensor> {
    return recycled(() => runAttack(this.model, x, labels, spec, index));
  }

  async close(): Promise<void> {}
}

/**
 * Engine.trainStep from the engine's batchGradients and the optimiser's own step: the in-process
 * engine's, and the worker engine's for an optimiser its threads do not run. The gradients go back
 * to the pool afterwards (tensor/recycle.ts).
 */
export async function stepOnGradients(
  engine: Engine, x: Tensor, labels: Int32Array, batchTotal: number, step: StepKind, optimizer: Optimizer,
): Promise<{ lossSum: number }> {
  const { lossSum, grads } = await engine.batchGradients(x, labels, batchTotal, step);
  if (Number.isFinite(lossSum)) optimizer.step(grads);
  release(...grads);
  return { lossSum };
}

/** The shard loop of the in-process engine: shards in order, summed in order (sumShards). */
export function computeBatchGradients(model: Module, x: Tensor, labels: Int32Array, batchTotal: number, step: StepKind): BatchGradients {
  const params = model.parameters();
  const result = sumShards(x.shape[0], params.map((p) => p.value.size), (s) => {
    const [start, end] = shardRange(x.shape[0], s);
    model.zeroGrad();
    const loss = shardGradients(model, sliceBatch(x, start, end), labels.subarray(start, end), batchTotal, step, start);
    return { loss, grads: params.map((p) => p.grad?.data ?? null) };
  });
  model.zeroGrad();
  return result;
}
