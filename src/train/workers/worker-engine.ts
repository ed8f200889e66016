/**
 * The data-parallel engine: the work of a batch spread over worker threads, with results bit for
 * bit equal to InProcessEngine's (train/engine.ts) whatever the number of threads. The messages
 * are in protocol.ts, the shared memory in shared-layout.ts, the threads' main in thread-main.ts;
 * what a thread is, in thread-port.ts. This file runs anywhere: Node's worker threads (spawn.ts and
 * worker-main.ts, behind the "./node" entry: engine.ts) and a browser's Web Workers
 * (web-workers.ts) are each a ThreadSpawner. Only the threads wait (Atomics.wait at trainStep's
 * barrier); this side never does, so it may run on a browser page's main thread too. A call, by kind:
 *
 *   batchGradients  shard s (s = 0..SHARDS−1, train/step.ts) runs on thread s mod T, exactly as
 *                   computeBatchGradients runs it: zeroGrad, shardGradients, copy of p.grad into
 *                   grads[s]. The main thread then adds the shard gradients into float64
 *                   accumulators with sumComputedShards: the float additions of the in-process
 *                   engine's sumShards, in the same order, so the sum cannot depend on T.
 *   trainStep       with SGD, the threads also take the step. Each computes its shards as above,
 *                   then waits at a barrier (ARRIVED) until every thread of the call has its shards
 *                   in shared memory; then thread r of R updates the weights [r·P/R, (r+1)·P/R) of
 *                   the flat parameter vector, summing the shard gradients on the fly
 *                   (sgdStepOnShards, train/sgd.ts): the operations of sumShards and SGD.step, in
 *                   their order, so the same bits. The main thread copies the new weights back into
 *                   the model. The sum and the step are passes over all P weights that would
 *                   otherwise run on the main thread alone while the threads wait. The velocities
 *                   live in shared memory for this (SGD.relocate). Other optimisers get
 *                   batchGradients and their own step (stepOnGradients).
 *   logits, attack  the rows are cut into C = min(T, n) contiguous chunks (1 if n < 1), chunk c on
 *                   thread c: one chunk per thread, as large as it can be, since every call on a
 *                   chunk packs the weights again and a small batch keeps the GEMMs short. Any cut
 *                   gives the whole-batch result bit for bit, because a row's logits, ∂L/∂x and
 *                   adversarial example depend on that row only, whatever its place and whatever
 *                   the batch around it, even alone (test/attacks/pgd-one-row.test.ts): the GEMMs
 *                   whose width is the batch never take a matrix–vector path for one column, and
 *                   conv1's col2im runs image by image (kernels/conv2d/gemm-path.ts, sharedPanels).
 *
 * Calls run one at a time (a queue), so buffers are never shared by two calls. A thread that
 * throws fails the call with its message and stays usable; a thread that exits or crashes fails
 * the call with a message naming the thread and the shard, and the engine refuses further calls.
 * At trainStep's barrier, a thread that throws sets ABORT before it arrives, and the main thread
 * sets ABORT and fills ARRIVED when a thread dies, so no thread waits for ever and none updates a
 * weight unless every shard was computed (a thread dying during the update itself leaves the
 * velocities partly updated; the engine is then broken). In Node, threads are unref'd while idle,
 * so an engine that is never closed does not keep the process alive.
 *
 * Each thread builds its replica from the model's architecture name, dtype and convolution
 * algorithm (models/registry.ts), so any registered model runs here, computing as the main model.
 * This file is the engine class and its factory; it is long because the class is one state
 * machine (the queue, the threads' pending calls, the failure paths) that reads best in one piece.
 */
import type { ExampleIndex } from '../../attacks/attack.ts';
import { checkFgsmOptions, type FgsmOptions } from '../../attacks/fgsm.ts';
import { checkKlPgdOptions } from '../../attacks/kl-pgd.ts';
import { checkAttackSpec, toWire as attackToWire, type AttackSpec, type AttackSpecWire } from '../../attacks/spec.ts';
import { parseConv2dAlgorithm, type Conv2dAlgorithm } from '../../layers/conv2d.ts';
import type { Module } from '../../layers/module.ts';
import { architectures, isNamedModel, modelSpec, type NamedModel } from '../../models/registry.ts';
import { Tensor, type FloatArray } from '../../tensor/tensor.ts';
import { stepOnGradients, type BatchGradients, type Engine } from '../engine.ts';
import type { Optimizer } from '../optimizer.ts';
import { SGD } from '../sgd.ts';
import { SHARDS, shardLossSum, shardRange, sumComputedShards, type StepKind } from '../step.ts';
import { rowChunks, stepToWire, type Reply, type Task, type TaskInputs, type UpdateWire, type WorkerInit } from './protocol.ts';
import { ABORT, ARRIVED, controlLayout, floatView, grow, SEQ, sharedViews } from './shared-layout.ts';
import { startThreads, type ThreadPort, type ThreadSpawner } from './thread-port.ts';

/** Options of WorkerEngine.create. */
export interface WorkerEngineOptions {
  /** Worker threads (≥ 1; more than SHARDS = 4 would idle, so at most 4 are started). */
  workers: number;
  /**
   * The convolutions' algorithm of the threads' replicas (sent in their init message). Default:
   * the model's own (`model.algorithm`, e.g. LeNetOptions.algorithm), else 'auto'.
   */
  algorithm?: Conv2dAlgorithm;
  /**
   * Starts a thread (thread-port.ts): webWorkerSpawner(script) in a browser (web-workers.ts). The
   * "./node" entry's WorkerEngine starts Node's worker threads when it is not given.
   */
  spawn?: ThreadSpawner;
}

/** One worker thread and the call it is working on. */
export interface Thread {
  index: number;
  port: ThreadPort;
  pending: { seq: number; resolve: () => void; reject: (error: Error) => void; what: (current: number) => string } | null;
}

/** Engine whose shards run on worker threads; see the file header. Create with WorkerEngine.create. */
export class WorkerEngine implements Engine {
  readonly workers: number;
  private readonly threads: Thread[];
  private readonly model: NamedModel;
  private readonly classes: number; // logits per image
  private readonly offsets: number[]; // offset of each parameter in params and in a grads slot
  private readonly P: number;
  private readonly params: FloatArray; // [P]
  private readonly grads: FloatArray; // [SHARDS, P]
  private readonly losses: Float64Array; // [SHARDS]
  private readonly control: Int32Array;
  private readonly layout: ReturnType<typeof controlLayout>;
  private x = new SharedArrayBuffer(0);
  private labels = new SharedArrayBuffer(0);
  private out = new SharedArrayBuffer(0);
  /** [P] float64 in shared memory: the velocities of `velocityOwner`, made on its first trainStep. */
  private velocity: Float64Array | null = null;
  private velocityOwner: SGD | null = null;
  private seq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** Set when a worker died or the engine was closed: every later call rejects with it. */
  private broken: Error | null = null;
  private closed = false;

  protected constructor({ model, threads, init }: StartedThreads) {
    this.model = model;
    this.classes = modelSpec(model.architecture).classes;
    this.threads = threads;
    this.workers = threads.length;
    ({ offsets: this.offsets, P: this.P, params: this.params, grads: this.grads, losses: this.losses, control: this.control, layout: this.layout } = sharedViews(init));
    for (const t of threads) this.watch(t);
  }

  /**
   * Starts the workers, each with a replica of the model's architecture whose parameters are
   * overwritten from the main model before every call. Rejects if a worker fails to start.
   */
  static async create(model: NamedModel, options: WorkerEngineOptions): Promise<WorkerEngine> {
    return new WorkerEngine(await WorkerEngine.startThreads(model, options));
  }

  /** The shared buffers and the threads that create makes, for the constructor (and subclasses). */
  protected static async startThreads(model: NamedModel, options: WorkerEngineOptions): Promise<StartedThreads> {
    if (!isNamedModel(model)) throw new TypeError(`WorkerEngine: ${notNamed(model)}`);
    const { workers, spawn } = options;
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`WorkerEngine: workers must be an integer ≥ 1, got ${workers}`);
    if (spawn === undefined) {
      throw new TypeError('WorkerEngine: options.spawn is missing: in a browser pass webWorkerSpawner(script); in Node use the WorkerEngine or createEngine of advgrad/node');
    }
    if (typeof SharedArrayBuffer === 'undefined') {
      throw new Error('WorkerEngine: SharedArrayBuffer is unavailable here (a browser gives it only to a cross-origin isolated page: COOP same-origin and COEP require-corp)');
    }
    const T = Math.min(workers, SHARDS);
    const params = model.parameters();
    const sizes = params.map((p) => p.value.size);
    const P = sizes.reduce((a, b) => a + b, 0);
    const bytes = model.dtype === 'float64' ? 8 : 4;
    const init: Omit<WorkerInit, 'index'> = {
      workers: T,
      architecture: model.architecture,
      dtype: model.dtype,
      algorithm: parseConv2dAlgorithm(options.algorithm ?? model.algorithm, 'WorkerEngine options.algorithm'),
      sizes,
      params: new SharedArrayBuffer(P * bytes),
      grads: new SharedArrayBuffer(SHARDS * P * bytes),
      losses: new SharedArrayBuffer(SHARDS * 8),
      control: new SharedArrayBuffer(controlLayout(T, sizes.length).length * 4),
    };
    const ports = await startThreads(T, init, spawn);
    return { model, threads: ports.map((port, index) => ({ index, port, pending: null })), init };
  }

  async batchGradients(x: Tensor, labels: Int32Array, batchTotal: number, step: StepKind): Promise<BatchGradients> {
    return this.serial(async () => {
      const n = x.shape[0];
      await this.computeShards('batchGradients', x, labels, batchTotal, step, null);
      // The shards are computed; sum what they left in shared memory, with computeBatchGradients'
      // additions in its order (sumComputedShards)
      const NP = this.offsets.length;
      const sizes = this.offsets.map((_, i) => this.sizeOf(i));
      const shards = Array.from({ length: SHARDS }, (_, s) => ({
        loss: this.losses[s],
        grads: this.offsets.map((offset, i) => {
          if (Atomics.load(this.control, this.layout.present + s * NP + i) === 0) return null;
          const gOff = s * this.P + offset; // seek to shard s's gradient of parameter i
          return this.grads.subarray(gOff, gOff + sizes[i]);
        }),
      }));
      const result = sumComputedShards(n, sizes, shards);
      this.model.zeroGrad(); // as computeBatchGradients leaves the model
      return result;
    });
  }

  /**
   * batchGradients and the optimiser's step; with an SGD over this engine's model, the workers take
   * the step (see the file header), else the optimiser does (stepOnGradients).
   */
  async trainStep(x: Tensor, labels: Int32Array, batchTotal: number, step: StepKind, optimizer: Optimizer): Promise<{ lossSum: number }> {
    // an empty batch has no worker to take the step, and SGD's step with g = 0 still moves the weights
    const inWorkers = optimizer instanceof SGD && this.isOverModel(optimizer) && x.shape[0] > 0;
    if (!inWorkers) return stepOnGradients(this, x, labels, batchTotal, step, optimizer);
    return this.serial(async () => {
      const velocity = this.adoptVelocities(optimizer);
      const { lr, momentum, weightDecay } = optimizer;
      await this.computeShards('trainStep', x, labels, batchTotal, step, (rank, parties) => ({ velocity: velocity.buffer as SharedArrayBuffer, rank, parties, lr, momentum, weightDecay }));
      const lossSum = shardLossSum(x.shape[0], this.losses);
      if (Number.isFinite(lossSum)) {
        // the workers stepped (they skip the step when Σ J is not finite, as stepOnGradients does)
        this.model.parameters().forEach((p, i) => p.value.data.set(this.params.subarray(this.offsets[i], this.offsets[i] + p.value.size)));
        optimizer.steps++;
      }
      this.model.zeroGrad(); // as computeBatchGradients leaves the model
      return { lossSum };
    });
  }

  /** Whether the optimiser's parameters are this engine's model's, in order. */
  private isOverModel(optimizer: SGD): boolean {
    const params = this.model.parameters();
    return optimizer.params.length === params.length && optimizer.params.every((p, i) => p === params[i]);
  }

  /**
   * Puts the optimiser's velocities into the shared [P] array (moving those of the optimiser that
   * was there before into memory of their own) and returns it.
   */
  private adoptVelocities(optimizer: SGD): Float64Array {
    this.velocity ??= new Float64Array(new SharedArrayBuffer(this.P * 8));
    const velocity = this.velocity;
    const inPlace = optimizer.velocity.every((v, i) => v.buffer === velocity.buffer && v.byteOffset === this.offsets[i] * 8);
    if (!inPlace) {
      if (this.velocityOwner !== null && this.velocityOwner !== optimizer) this.velocityOwner.relocate(new Float64Array(this.P));
      optimizer.relocate(velocity);
    }
    this.velocityOwner = optimizer;
    return velocity;
  }

  /**
   * Every shard of the batch computed by the workers into shared memory (gradients, losses,
   * PRESENT); with `update`, the workers then take the SGD step it describes (trainStep).
   */
  private async computeShards(
    call: 'batchGradients' | 'trainStep', x: Tensor, labels: Int32Array, batchTotal: number, step: StepKind, update: ((rank: number, parties: number) => UpdateWire) | null,
  ): Promise<void> {
    const n = x.shape[0];
    if (labels.length !== n) throw new RangeError(`WorkerEngine.${call}: ${n} images but ${labels.length} labels`);
    if (step.kind === 'adversarial') checkFgsmOptions(step.fgsm, x);
    if (step.kind === 'attack' && step.spec.eps > 0) checkAttackSpec(step.spec, x, labels);
    if (step.kind === 'trades') checkKlPgdOptions(step.attack, x);
    const T = this.workers;
    const assigned: number[][] = this.threads.map(() => []);
    for (let s = 0; s < SHARDS; s++) {
      const [start, end] = shardRange(n, s);
      if (end > start) assigned[s % T].push(s);
    }
    // the workers with shards take part in the update, ranked in worker order
    const ranks = assigned.map((shards, w) => assigned.slice(0, w).filter((a) => a.length > 0).length);
    const parties = assigned.filter((shards) => shards.length > 0).length;
    Atomics.store(this.control, ARRIVED, 0); // a new barrier; writeInputs publishes it with SEQ
    Atomics.store(this.control, ABORT, 0);
    const inputs = this.writeInputs(x, labels);
    const wireStep = stepToWire(step);
    await this.dispatch(
      assigned,
      (shards, w) => ({ ...inputs, type: 'grad', shards, batchTotal, step: wireStep, update: update?.(ranks[w], parties) }),
      (s) => {
        const [start, end] = shardRange(n, s);
        return `gradient shard ${s} (rows ${start}..${end} of ${n})`;
      },
    );
  }

  async logits(x: Tensor): Promise<Tensor> {
    return this.serial(async () => {
      const n = x.shape[0];
      const K = this.classes;
      await this.rowTask('logits', x, new Int32Array(n), n * K);
      return new Tensor(floatView(x.dtype, this.out, n * K).slice(), [n, K]);
    });
  }

  async fgsm(x: Tensor, labels: Int32Array, options: FgsmOptions): Promise<Tensor> {
    return this.attack(x, labels, { attack: 'fgsm', ...options });
  }

  async attack(x: Tensor, labels: Int32Array, spec: AttackSpec, index: ExampleIndex = 0): Promise<Tensor> {
    return this.serial(async () => {
      checkAttackSpec(spec, x, labels);
      await this.rowTask('attack', x, labels, x.size, attackToWire(spec), typeof index === 'number' ? index : Array.from(index));
      return new Tensor(floatView(x.dtype, this.out, x.size).slice(), x.shape);
    });
  }

  /** Terminates the workers; later calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    this.broken ??= new Error('WorkerEngine: the engine is closed');
    await Promise.all(this.threads.map((t) => t.port.terminate()));
    // A Web Worker reports no exit: a call still in flight is settled here (in Node, 'exit' did it)
    for (const t of this.threads) this.settle(t, new Error(`WorkerEngine: closed while worker ${t.index} was computing ${this.current(t)}`));
  }

  /**
   * Test hook: worker `index` fails its next task, by `process.exit(exit)` or by throwing `throw`.
   * @internal
   */
  debugFailNextTask(index: number, how: { exit: number } | { throw: string }): void {
    this.threads[index].port.postMessage({ type: 'debug', ...how } satisfies Task);
  }

  private sizeOf(i: number): number {
    return (i + 1 < this.offsets.length ? this.offsets[i + 1] : this.P) - this.offsets[i];
  }

  /** Logits or an attack: rows in rowChunks(n, T) chunks, chunk c on worker c; output in `out`. */
  private async rowTask(type: 'logits' | 'attack', x: Tensor, labels: Int32Array, outSize: number, attack?: AttackSpecWire, index?: number | number[]): Promise<void> {
    const n = x.shape[0];
    const chunks = rowChunks(n, this.workers);
    const assigned: number[][] = this.threads.map(() => []);
    for (let c = 0; c < chunks; c++) assigned[c % this.workers].push(c);
    const inputs = this.writeInputs(x, labels);
    const bytes = x.dtype === 'float64' ? 8 : 4;
    if (this.out.byteLength < outSize * bytes) this.out = new SharedArrayBuffer(grow(this.out.byteLength, outSize * bytes));
    const out = this.out;
    await this.dispatch(assigned, (shards) => ({ ...inputs, type, chunks, shards, out, attack, index }), (c) => {
      const [start, end] = shardRange(n, c, chunks);
      return `${type} chunk ${c} (rows ${start}..${end} of ${n})`;
    });
  }

  /** Copies the parameters, x and labels into shared memory; returns the task's common fields. */
  private writeInputs(x: Tensor, labels: Int32Array): TaskInputs {
    this.model.parameters().forEach((p, i) => this.params.set(p.value.data, this.offsets[i]));
    const n = x.shape[0];
    const bytes = x.dtype === 'float64' ? 8 : 4;
    if (this.x.byteLength < x.size * bytes) this.x = new SharedArrayBuffer(grow(this.x.byteLength, x.size * bytes));
    if (this.labels.byteLength < n * 4) this.labels = new SharedArrayBuffer(grow(this.labels.byteLength, n * 4));
    floatView(x.dtype, this.x, x.size).set(x.data);
    new Int32Array(this.labels, 0, n).set(labels);
    const seq = ++this.seq;
    Atomics.store(this.control, SEQ, seq); // publishes the writes above to the workers
    return { seq, n, shape: [...x.shape], dtype: x.dtype, x: this.x, labels: this.labels };
  }

  /** Sends each worker its shards, waits for all of them, then fails with the first error. */
  private async dispatch(assigned: number[][], task: (shards: number[], worker: number) => Task, what: (shard: number) => string): Promise<void> {
    const seq = this.seq;
    const jobs = this.threads.map((t, w) => {
      if (assigned[w].length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        t.pending = { seq, resolve, reject, what };
        t.port.ref?.(); // keep the process alive while the call is in flight
        t.port.postMessage(task(assigned[w], w));
      });
    });
    const results = await Promise.allSettled(jobs);
    for (const t of this.threads) t.port.unref?.();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Settles the call thread t is working on (if any): resolved for null, else rejected with the error. */
  private settle(t: Thread, error: Error | null): void {
    const pending = t.pending;
    t.pending = null;
    if (pending === null) return;
    if (error === null) pending.resolve();
    else pending.reject(error);
  }

  /** What thread t is computing, for error messages. */
  private current(t: Thread): string {
    const pending = t.pending;
    return pending === null ? 'no task' : pending.what(Atomics.load(this.control, this.layout.current + t.index));
  }

  /** Routes a worker's replies, errors and exit to the call it is working on. */
  private watch(t: Thread): void {
    const { port, index } = t;
    port.onMessage((m: Reply) => {
      if (t.pending === null || !('seq' in m) || m.seq !== t.pending.seq) return;
      if (m.type === 'done') {
        const done = Atomics.load(this.control, this.layout.done + index); // acquires the worker's writes
        this.settle(t, done === m.seq ? null : new Error(`WorkerEngine: worker ${index} reported call ${m.seq} done but published ${done}`));
      } else if (m.type === 'failed') {
        const error = new Error(`WorkerEngine: worker ${index} failed computing ${this.current(t)}: ${m.message}`);
        if (m.stack) error.stack = `${error.message}\n--- in worker ${index} ---\n${m.stack}`;
        this.settle(t, error);
      }
    });
    port.onError((e: Error) => {
      const error = new Error(`WorkerEngine: worker ${index} crashed while computing ${this.current(t)}: ${e.message}`, { cause: e });
      this.broken ??= error;
      this.releaseBarrier();
      this.settle(t, error);
    });
    port.onExit((code: number) => {
      const error = this.closed
        ? new Error(`WorkerEngine: closed while worker ${index} was computing ${this.current(t)}`)
        : new Error(`WorkerEngine: worker ${index} exited with code ${code} while computing ${this.current(t)}`);
      this.broken ??= error;
      this.releaseBarrier();
      this.settle(t, error);
    });
  }

  /**
   * A worker died: the others must not wait for it at trainStep's barrier, nor update. ABORT first,
   * then ARRIVED past any number of workers, so that a waiter that wakes sees both.
   */
  private releaseBarrier(): void {
    Atomics.store(this.control, ABORT, 1);
    Atomics.add(this.control, ARRIVED, SHARDS + 1);
    Atomics.notify(this.control, ARRIVED);
  }

  /** Runs calls one after another, and refuses them once the engine is broken or closed. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = async () => {
      if (this.broken !== null) throw new Error(`${this.broken.message} (no further calls are possible: create a new engine)`);
      return fn();
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/** What WorkerEngine.startThreads made: the model, its threads, and the shared buffers they were given. */
export interface StartedThreads {
  model: NamedModel;
  threads: Thread[];
  init: Omit<WorkerInit, 'index'>;
}

/** Why a model cannot run on worker threads. */
export function notNamed(model: Module): string {
  const architecture = (model as Partial<NamedModel>).architecture;
  const what = architecture === undefined ? `a ${model.constructor.name} without an architecture name` : `architecture '${architecture}'`;
  return `workers rebuild the model from its architecture name, and ${what} is not registered (known: ${architectures().join(', ')})`;
}
