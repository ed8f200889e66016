/**
 * A worker thread's main (started by spawn.ts; messages in protocol.ts, shared memory in
 * shared-layout.ts): a replica of the model, built from its architecture name, dtype and
 * convolution algorithm as the init message gives them, that, for each task, takes the main
 * model's parameters from shared memory and computes its shards with the very functions
 * InProcessEngine uses, so every shard's numbers are the ones the main thread would have computed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sliceExampleIndex } from '../../attacks/attack.ts';
import { fromWire as attackFromWire, runAttack, sliceSpec } from '../../attacks/spec.ts';
import { noGrad, Variable } from '../../autograd/variable.ts';
import { modelSpec } from '../../models/registry.ts';
import { recycling } from '../../tensor/recycle.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { sliceBatch } from '../engine.ts';
import { sgdStepOnShards } from '../sgd.ts';
import { liveShards, shardGradients, shardLossSum, shardRange } from '../step.ts';
import { stepFromWire, type Reply, type Task, type UpdateWire, type WorkerInit } from './protocol.ts';
import { ABORT, ARRIVED, controlLayout, floatView, SEQ } from './shared-layout.ts';

const init = workerData as WorkerInit;
const port = parentPort!;
const { index, dtype } = init;
const spec = modelSpec(init.architecture);
const model = spec.create({ dtype, algorithm: init.algorithm }); // its initial weights are overwritten before every task
const params = model.parameters();
if (params.length !== init.sizes.length || params.some((p, i) => p.value.size !== init.sizes[i])) {
  throw new Error(
    `worker ${index}: the replica's parameter sizes [${params.map((p) => p.value.size).join(', ')}] ` +
      `do not match the model's [${init.sizes.join(', ')}]`,
  );
}
const NP = params.length;
const offsets: number[] = [];
let P = 0;
for (const p of params) {
  offsets.push(P);
  P += p.value.size;
}
const shared = floatView(dtype, init.params); // [P]
const grads = floatView(dtype, init.grads); // [SHARDS, P]
const losses = new Float64Array(init.losses); // [SHARDS]
const control = new Int32Array(init.control);
const layout = controlLayout(init.workers, NP);

/** Set by the test hook: how to fail the next task. */
let failNext: { exit?: number; throw?: string } | null = null;

port.on('message', (task: Task) => {
  if (task.type === 'debug') {
    failNext = { exit: task.exit, throw: task.throw };
    return;
  }
  let failure: Error | null = null;
  try {
    run(task);
  } catch (e) {
    failure = e instanceof Error ? e : new Error(String(e));
  }
  if (task.type === 'grad' && task.update !== undefined) {
    // every worker of a trainStep reaches the barrier, failed or not, so that none waits for ever
    try {
      stepAfterBarrier(task, task.update, failure === null);
    } catch (e) {
      failure ??= e instanceof Error ? e : new Error(String(e));
    }
  }
  if (failure === null) {
    Atomics.store(control, layout.done + index, task.seq); // publishes the results
    port.postMessage({ type: 'done', seq: task.seq } satisfies Reply);
  } else {
    port.postMessage({ type: 'failed', seq: task.seq, message: failure.message, stack: failure.stack } satisfies Reply);
  }
});

/** The task's work: its gradient shards, or its row chunks of logits or adversarial examples. */
function run(task: Exclude<Task, { type: 'debug' }>): void {
  // Acquires the main thread's writes of parameters and inputs (it stored SEQ after them).
  const published = Atomics.load(control, SEQ);
  if (published !== task.seq) throw new Error(`worker ${index}: task ${task.seq} arrived but the shared inputs are from call ${published}`);
  if (failNext !== null) {
    Atomics.store(control, layout.current + index, task.shards[0]);
    const how = failNext;
    failNext = null;
    if (how.exit !== undefined) process.exit(how.exit);
    throw new Error(how.throw ?? 'test failure');
  }
  params.forEach((p, i) => p.value.data.set(shared.subarray(offsets[i], offsets[i] + p.value.size)));
  const x = new Tensor(floatView(task.dtype, task.x, task.shape.reduce((a, b) => a * b, 1)), task.shape); // [n, C, H, W], shared
  const labels = new Int32Array(task.labels, 0, task.n); // [n], shared
  if (task.type === 'grad') gradShards(task, x, labels);
  else rowTask(task, x, labels);
}

/**
 * trainStep's second half (engine.ts): arrive at the barrier (having set ABORT first if
 * this worker's shards failed), wait for the other workers, then, if none failed and Σ J is
 * finite, take the SGD step on this worker's range of the weights, in shared memory.
 */
function stepAfterBarrier(task: Extract<Task, { type: 'grad' }>, update: UpdateWire, ok: boolean): void {
  if (!ok) Atomics.store(control, ABORT, 1);
  Atomics.add(control, ARRIVED, 1); // publishes this worker's gradients, losses and PRESENT flags
  Atomics.notify(control, ARRIVED);
  for (let seen = Atomics.load(control, ARRIVED); seen < update.parties; seen = Atomics.load(control, ARRIVED)) {
    Atomics.wait(control, ARRIVED, seen);
  }
  if (!ok || Atomics.load(control, ABORT) !== 0) return;
  if (!Number.isFinite(shardLossSum(task.n, losses))) return; // as stepOnGradients: no step
  const velocity = new Float64Array(update.velocity); // [P]
  const from = Math.floor((update.rank * P) / update.parties);
  const to = Math.floor(((update.rank + 1) * P) / update.parties);
  const live = liveShards(task.n);
  params.forEach((_, i) => {
    const start = Math.max(from, offsets[i]);
    const end = Math.min(to, offsets[i] + init.sizes[i]);
    if (start >= end) return;
    // shard s's gradient of this parameter sits at s·P + offsets[i] (the flat index's own place, shifted by s·P)
    const terms = live.filter((s) => control[layout.present + s * NP + i] === 1).map((s) => s * P);
    sgdStepOnShards(shared, velocity, grads, terms, start, end, update.lr, update.momentum, update.weightDecay);
  });
}

/** computeBatchGradients' loop body for this worker's shards; the main thread does the sums. */
function gradShards(task: Extract<Task, { type: 'grad' }>, x: Tensor, labels: Int32Array): void {
  const step = stepFromWire(task.step);
  for (const s of task.shards) {
    Atomics.store(control, layout.current + index, s);
    const [start, end] = shardRange(task.n, s);
    // the shard's arrays die once its gradient is in shared memory (tensor/recycle.ts)
    recycling(() => {
      model.zeroGrad();
      // sliceBatch and slice copy out of shared memory, exactly the tensors the in-process loop builds
      losses[s] = shardGradients(model, sliceBatch(x, start, end), labels.slice(start, end), task.batchTotal, step, start);
      params.forEach((p, i) => {
        const has = p.grad !== null;
        if (has) grads.set(p.grad!.data, s * P + offsets[i]); // seek to shard s's slot of parameter i
        control[layout.present + s * NP + i] = has ? 1 : 0;
      });
      model.zeroGrad();
    });
  }
  model.zeroGrad();
}

/** Logits or adversarial examples of this worker's row chunks, written to the same rows of task.out. */
function rowTask(task: Extract<Task, { type: 'logits' | 'attack' }>, x: Tensor, labels: Int32Array): void {
  const attack = task.attack === undefined ? null : attackFromWire(task.attack);
  const per = task.type === 'logits' ? spec.classes : x.size / Math.max(task.n, 1); // output values per row
  const out = floatView(task.dtype, task.out);
  for (const c of task.shards) {
    Atomics.store(control, layout.current + index, c);
    const [start, end] = shardRange(task.n, c, task.chunks);
    // the chunk's arrays die once its output is in shared memory (tensor/recycle.ts)
    recycling(() => {
      const xc = sliceBatch(x, start, end); // [end − start, C, H, W]
      const y =
        task.type === 'logits'
          ? noGrad(() => model.forward(new Variable(xc)).value) // [end − start, classes]
          : runAttack(model, xc, labels.slice(start, end), sliceSpec(attack!, start, end), sliceExampleIndex(task.index ?? 0, start, end)); // [end − start, C, H, W]
      out.set(y.data, start * per);
    });
  }
}

port.postMessage({ type: 'ready' } satisfies Reply);
