/**
 * The worker engine's core runs on any threads: the "." entry's WorkerEngine, given a
 * ThreadSpawner, drives thread-main's serveTasks through nothing but the ThreadPort and TaskPort
 * interfaces (train/workers/thread-port.ts). Checked here with threads that are not threads at
 * all: serveTasks on this very thread, its messages delivered by timers (so no Node worker and no
 * structured clone is involved); the engine's results equal InProcessEngine's bit for bit. Also:
 * without a spawner, or without a Worker constructor, the errors say what to use; a thread that
 * fails before it is ready fails the start naming it, and every started thread is terminated.
 */
import { describe, expect, test } from 'vitest';
import {
  createLeNet, InProcessEngine, SGD, serveTasks, startThreads, webWorkerSpawner, WorkerEngine,
  type Reply, type Task, type ThreadPort, type ThreadSpawner, type WorkerInit,
} from '../../src/index.ts';
import { expectSameBits, randomData } from './helpers.ts';

/** Handlers of one direction of a fake channel; each message is delivered by a timer, as a real port does. */
function channel<M>(): { post: (m: M) => void; on: (h: (m: M) => void) => () => void } {
  const handlers = new Set<(m: M) => void>();
  return {
    post: (m) => void setTimeout(() => handlers.forEach((h) => h(m))),
    on: (h) => {
      handlers.add(h);
      return () => handlers.delete(h);
    },
  };
}

/** A spawner whose "threads" are serveTasks on the calling thread; `log` records what happened. */
function sameThreadSpawner(log: string[], failAt?: number): ThreadSpawner {
  return (init: WorkerInit): ThreadPort => {
    const tasks = channel<Task>();
    const replies = channel<Reply>();
    const errors = channel<Error>();
    setTimeout(() => {
      if (init.index === failAt) return errors.post(new Error('no replica here'));
      try {
        serveTasks(init, { postMessage: replies.post, onMessage: (h) => void tasks.on(h) });
      } catch (error) {
        errors.post(error as Error); // as a runtime reports a thread's uncaught error
      }
    });
    log.push(`spawned ${init.index}`);
    return {
      postMessage: tasks.post,
      onMessage: replies.on,
      onError: errors.on,
      onExit: () => () => {},
      terminate: async () => log.push(`terminated ${init.index}`),
    };
  };
}

describe('the worker engine over any ThreadSpawner ("." entry)', () => {
  test('two same-thread "threads": batch gradients, logits and FGSM equal the in-process engine\'s bit for bit', async () => {
    const log: string[] = [];
    const model = createLeNet({ seed: 0 });
    const engine = await WorkerEngine.create(model, { workers: 2, spawn: sameThreadSpawner(log) });
    const reference = new InProcessEngine(createLeNet({ seed: 0 }));
    try {
      expect(engine.workers).toBe(2);
      const { images: x, labels } = randomData(10, 3);
      const a = await engine.batchGradients(x, labels, 10, { kind: 'standard' });
      const b = await reference.batchGradients(x, labels, 10, { kind: 'standard' });
      expect(a.lossSum).toBe(b.lossSum);
      a.grads.forEach((g, i) => expectSameBits(g, b.grads[i], `parameter ${i}`));
      expectSameBits((await engine.logits(x)).data, (await reference.logits(x)).data, 'logits');
      expectSameBits((await engine.fgsm(x, labels, { eps: 0.25 })).data, (await reference.fgsm(x, labels, { eps: 0.25 })).data, 'FGSM');
    } finally {
      await engine.close();
    }
    expect(log).toEqual(['spawned 0', 'spawned 1', 'terminated 0', 'terminated 1']);
  });

  test('one same-thread "thread" takes the SGD step (its barrier has no one to wait for): the in-process weights', async () => {
    const model = createLeNet({ seed: 0 });
    const engine = await WorkerEngine.create(model, { workers: 1, spawn: sameThreadSpawner([]) });
    const refModel = createLeNet({ seed: 0 });
    const reference = new InProcessEngine(refModel);
    const optimizer = new SGD(model.parameters());
    const refOptimizer = new SGD(refModel.parameters());
    try {
      for (const seed of [4, 5]) {
        const { images: x, labels } = randomData(8, seed);
        const a = await engine.trainStep(x, labels, 8, { kind: 'standard' }, optimizer);
        const b = await reference.trainStep(x, labels, 8, { kind: 'standard' }, refOptimizer);
        expect(a.lossSum).toBe(b.lossSum);
      }
      model.parameters().forEach((p, i) => expectSameBits(p.value.data, refModel.parameters()[i].value.data, `weight ${i}`));
    } finally {
      await engine.close();
    }
  });

  test('a thread that fails before it is ready fails the start, naming it; every thread started is terminated', async () => {
    const log: string[] = [];
    const init = { workers: 2, architecture: 'lenet-mnist-matconvnet', dtype: 'float32', algorithm: 'auto', sizes: createLeNet({ seed: 0 }).parameters().map((p) => p.value.size) } as unknown as Omit<WorkerInit, 'index'>;
    await expect(startThreads(2, init, sameThreadSpawner(log, 1))).rejects.toThrow(/^WorkerEngine: worker 1 failed to start: no replica here$/);
    expect(log).toEqual(['spawned 0', 'spawned 1', 'terminated 0', 'terminated 1']);
  });

  test('without a spawner the "." entry\'s WorkerEngine says what to pass; without a Worker constructor the Web Worker spawner says so', async () => {
    await expect(WorkerEngine.create(createLeNet({ seed: 0 }), { workers: 2 })).rejects.toThrow(/options\.spawn is missing: in a browser pass webWorkerSpawner\(script\)/);
    expect(typeof (globalThis as { Worker?: unknown }).Worker).toBe('undefined'); // Node has no Web Worker global
    expect(() => webWorkerSpawner('engine-worker.js')).toThrow(/^webWorkerSpawner: this JavaScript environment has no Worker/);
  });
});
