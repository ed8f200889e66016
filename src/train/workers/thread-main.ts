/**
 * A thread's main for the worker engine (worker-engine.ts; messages in protocol.ts, shared memory
 * in shared-layout.ts), whatever runs the thread: Node's worker-main.ts and a browser's Web Worker
 * (web-workers.ts) both call serveTasks with their port. It builds a replica of the model from its
 * architecture name, dtype and convolution algorithm as the init message gives them, and, for each
 * task, takes the main model's parameters from shared memory and computes its shards with the
 * very functions InProcessEngine uses, so every shard's numbers are the ones the main thread would
 * have computed. It waits (Atomics.wait) only at trainStep's barrier, on its own thread: a browser
 * allows that in a worker, never on a page's main thread, and the engine's side never waits.
 */
import { sliceExampleIndex } from '../../attacks/attack.ts';
import { fromWire as attackFromWire, runAttack, sliceSpec } from '../../attacks/spec.ts';
import { noGrad, Variable } from '../../autograd/variable.ts';
import { modelSpec, type NamedModel } from '../../models/registry.ts';
import { recycling } from '../../tensor/recycle.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { sliceBatch } from '../engine.ts';
import { sgdStepOnShards } from '../sgd.ts';
import { liveShards, shardGradients, shardLossSum, shardRange } from '../step.ts';
import { stepFromWire, type Reply, type Task, type UpdateWire, type WorkerInit } from './protocol.ts';
import { ABORT, ARRIVED, floatView, SEQ, sharedViews, type SharedViews } from './shared-layout.ts';
import type { TaskPort } from './thread-port.ts';

/** What the thread's host offers beyond its port. */
export interface ThreadHooks {
  /** Ends the thread with an exit code (Node's process.exit): the test hook's { exit } uses it. */
  exit?: (code: number) => void;
}

/**
 * Builds the replica for `init`, serves every task that arrives on `port`, and posts 'ready'.
 * Throws (before 'ready') when the replica's parameters do not match the model's.
 */
export function serveTasks(init: WorkerInit, port: TaskPort, hooks: ThreadHooks = {}): void {
  const replica = new Replica(init, hooks);
  port.onMessage((task) => {
    const reply = replica.handle(task);
    if (reply !== null) port.postMessage(reply);
  });
  port.postMessage({ type: 'ready' } satisfies Reply);
}

/** A thread's model replica and its views of the shared memory. */
class Replica {
  private readonly index: number;
  private readonly spec: ReturnType<typeof modelSpec>;
  private readonly model: NamedModel;
  private readonly params: Variable[];
  private readonly sizes: number[];
  /** The shared buffers (shared-layout.ts); its `params` are the main model's weights, `this.params` the replica's. */
  private readonly mem: SharedViews;
  /** Set by the test hook: how to fail the next task. */
  private failNext: { exit?: number; throw?: string } | null = null;

  constructor(init: WorkerInit, private readonly hooks: ThreadHooks) {
    const { index, dtype } = init;
    this.index = index;
    this.spec = modelSpec(init.architecture);
    this.model = this.spec.create({ dtype, algorithm: init.algorithm }); // its initial weights are overwritten before every task
    this.params = this.model.parameters();
    const params = this.params;
    if (params.length !== init.sizes.length || params.some((p, i) => p.value.size !== init.sizes[i])) {
      throw new Error(
        `worker ${index}: the replica's parameter sizes [${params.map((p) => p.value.size).join(', ')}] ` +
          `do not match the model's [${init.sizes.join(', ')}]`,
      );
    }
    this.sizes = init.sizes;
    this.mem = sharedViews(init);
  }

  /** One message: the test hook (no reply), or a task, computed, answered with 'done' or 'failed'. */
  handle(task: Task): Reply | null {
    if (task.type === 'debug') {
      this.failNext = { exit: task.exit, throw: task.throw };
      return null;
    }
    let failure: Error | null = null;
    try {
      this.run(task);
    } catch (e) {
      failure = e instanceof Error ? e : new Error(String(e));
    }
    if (task.type === 'grad' && task.update !== undefined) {
      // every worker of a trainStep reaches the barrier, failed or not, so that none waits for ever
      try {
        this.stepAfterBarrier(task, task.update, failure === null);
      } catch (e) {
        failure ??= e instanceof Error ? e : new Error(String(e));
      }
    }
    if (failure !== null) return { type: 'failed', seq: task.seq, message: failure.message, stack: failure.stack };
    Atomics.store(this.mem.control, this.mem.layout.done + this.index, task.seq); // publishes the results
    return { type: 'done', seq: task.seq };
  }

  /** The task's work: its gradient shards, or its row chunks of logits or adversarial examples. */
  private run(task: Exclude<Task, { type: 'debug' }>): void {
    const { index } = this;
    const { control, layout, params: shared, offsets } = this.mem;
    // Acquires the main thread's writes of parameters and inputs (it stored SEQ after them).
    const published = Atomics.load(control, SEQ);
    if (published !== task.seq) throw new Error(`worker ${index}: task ${task.seq} arrived but the shared inputs are from call ${published}`);
    if (this.failNext !== null) {
      Atomics.store(control, layout.current + index, task.shards[0]);
      const how = this.failNext;
      this.failNext = null;
      if (how.exit !== undefined) {
        if (this.hooks.exit === undefined) throw new Error(`worker ${index}: the test hook asked for exit ${how.exit}, and this thread cannot exit`);
        this.hooks.exit(how.exit);
      }
      throw new Error(how.throw ?? 'test failure');
    }
    this.params.forEach((p, i) => p.value.data.set(shared.subarray(offsets[i], offsets[i] + p.value.size)));
    const x = new Tensor(floatView(task.dtype, task.x, task.shape.reduce((a, b) => a * b, 1)), task.shape); // [n, C, H, W], shared
    const labels = new Int32Array(task.labels, 0, task.n); // [n], shared
    if (task.type === 'grad') this.gradShards(task, x, labels);
    else this.rowTask(task, x, labels);
  }

  /**
   * trainStep's second half (worker-engine.ts): arrive at the barrier (having set ABORT first if
   * this worker's shards failed), wait for the other workers, then, if none failed and Σ J is
   * finite, take the SGD step on this worker's range of the weights, in shared memory.
   */
  private stepAfterBarrier(task: Extract<Task, { type: 'grad' }>, update: UpdateWire, ok: boolean): void {
    const { params, sizes } = this;
    const { control, losses, P, offsets, layout, params: shared, grads } = this.mem;
    const NP = params.length;
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
      const end = Math.min(to, offsets[i] + sizes[i]);
      if (start >= end) return;
      // shard s's gradient of this parameter sits at s·P + offsets[i] (the flat index's own place, shifted by s·P)
      const terms = live.filter((s) => control[layout.present + s * NP + i] === 1).map((s) => s * P);
      sgdStepOnShards(shared, velocity, grads, terms, start, end, update.lr, update.momentum, update.weightDecay);
    });
  }

  /** computeBatchGradients' loop body for this worker's shards; the main thread does the sums. */
  private gradShards(task: Extract<Task, { type: 'grad' }>, x: Tensor, labels: Int32Array): void {
    const { index, model, params } = this;
    const { control, layout, losses, grads, P, offsets } = this.mem;
    const NP = params.length;
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
  private rowTask(task: Extract<Task, { type: 'logits' | 'attack' }>, x: Tensor, labels: Int32Array): void {
    const { index, model, spec } = this;
    const { control, layout } = this.mem;
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
}
