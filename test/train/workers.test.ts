import { describe, expect, test } from 'vitest';
import type { FgsmOptions } from '../../src/attacks/fgsm.ts';
import { Sequential } from '../../src/layers/module.ts';
import { ReLU } from '../../src/layers/relu.ts';
import { createLeNet, type LeNet } from '../../src/models/lenet.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { InProcessEngine, type BatchGradients } from '../../src/train/engine.ts';
import { SGD } from '../../src/train/sgd.ts';
import type { StepKind } from '../../src/train/step.ts';
import { train, type AdversarialTraining } from '../../src/train/train.ts';
import { enginesPerWorkerCount } from './helpers.ts';
import { createEngine, WorkerEngine } from '../../src/train/workers/engine.ts';
import { rowChunks } from '../../src/train/workers/protocol.ts';

/** n seeded images [n, 1, 28, 28] on the scale of mean-subtracted grey levels, and labels. */
function randomData(n: number, seed: number): { x: Tensor; labels: Int32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = 60 * rng.normal();
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = rng.int(10);
  return { x: new Tensor(x, [n, 1, 28, 28]), labels };
}

/** Overwrites model's parameters with createLeNet({ seed: 0 })'s. */
function resetWeights(model: LeNet): void {
  const fresh = createLeNet({ seed: 0 }).parameters();
  model.parameters().forEach((p, i) => p.value.data.set(fresh[i].value.data));
}

/** Exact equality of two float arrays, reporting the first difference. */
function expectSameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) expect.fail(`${what}: element ${i} differs: ${a[i]} vs ${b[i]}`);
  }
}

function expectSameGradients(a: BatchGradients, b: BatchGradients, what: string): void {
  expect(a.lossSum, `${what}: lossSum`).toBe(b.lossSum);
  expect(a.grads.length).toBe(b.grads.length);
  a.grads.forEach((g, i) => expectSameBits(g, b.grads[i], `${what}: parameter ${i}`));
}

const mean = new Tensor(Float32Array.from({ length: 784 }, (_, i) => 30 + (i % 97)), [1, 1, 28, 28]);
const STEPS: Array<[string, StepKind]> = [
  ['standard', { kind: 'standard' }],
  ['adversarial', { kind: 'adversarial', fgsm: { eps: 0.25 } }],
  ['adversarial clip', { kind: 'adversarial', fgsm: { eps: 0.1, clip: true, mean } }],
];

const { models, engines } = enginesPerWorkerCount();

describe('WorkerEngine', () => {
  test('createEngine: 0 workers is the in-process engine, ≥ 1 a worker engine with that many threads', () => {
    expect(engines.get(0)).toBeInstanceOf(InProcessEngine);
    expect(engines.get(1)).toBeInstanceOf(WorkerEngine);
    expect(engines.get(1)!.workers).toBe(1);
    expect(engines.get(2)!.workers).toBe(2);
  });

  test.each(STEPS)('batchGradients (%s) with 1 and 2 workers equal the in-process engine bit for bit', async (_, step) => {
    for (const m of models.values()) resetWeights(m);
    const { x, labels } = randomData(20, 1);
    const total = step.kind === 'adversarial' ? 40 : 20;
    const reference = await engines.get(0)!.batchGradients(x, labels, total, step);
    for (const workers of [1, 2]) {
      expectSameGradients(await engines.get(workers)!.batchGradients(x, labels, total, step), reference, `${workers} workers`);
    }
  });

  test('batchGradients with fewer rows than shards (empty shards are skipped, as in process)', async () => {
    for (const m of models.values()) resetWeights(m);
    const { x, labels } = randomData(3, 2);
    const reference = await engines.get(0)!.batchGradients(x, labels, 3, { kind: 'standard' });
    expectSameGradients(await engines.get(2)!.batchGradients(x, labels, 3, { kind: 'standard' }), reference, '2 workers');
  });

  const schedules: Array<[string, AdversarialTraining | undefined, number]> = [
    ['standard', undefined, 20],
    ['adversarial batch', { fgsm: { eps: 0.25 }, schedule: 'batch' }, 40], // 20 clean + 20 FGSM per step
    ['adversarial epoch', { fgsm: { eps: 0.25 }, schedule: 'epoch' }, 40], // 120 samples: 3 steps
  ];
  test.each(schedules)('train (%s, 3 steps): 0, 1 and 2 workers give bit-identical weights', async (_, adversarial, batchSize) => {
    const data = randomData(60, 3);
    const weights = new Map<number, Float32Array[]>();
    const logs = new Map<number, number[]>();
    for (const workers of [0, 1, 2]) {
      const model = models.get(workers)!;
      resetWeights(model);
      const optimizer = new SGD(model.parameters(), { lr: 1e-4, momentum: 0.9 });
      const log = await train(model, { images: data.x, labels: data.labels }, { optimizer, epochs: 1, batchSize, seed: 5, adversarial, engine: engines.get(workers) });
      expect(log[0].samples).toBe(adversarial ? 120 : 60);
      weights.set(workers, model.parameters().map((p) => p.value.data as Float32Array));
      logs.set(workers, log.map((e) => e.loss));
    }
    const initial = createLeNet({ seed: 0 }).parameters();
    expect(weights.get(0)![0]).not.toEqual(initial[0].value.data); // training moved the weights
    for (const workers of [1, 2]) {
      expect(logs.get(workers)).toEqual(logs.get(0));
      weights.get(workers)!.forEach((w, i) => expectSameBits(w, weights.get(0)![i], `${workers} workers, parameter ${i}`));
    }
  });

  const fgsmCases: Array<[string, FgsmOptions]> = [
    ['eps 0.25', { eps: 0.25 }],
    ['eps 0.1 clip', { eps: 0.1, clip: true, mean }],
    ['eps 0.25 predicted labels', { eps: 0.25, labelMode: 'predicted' }],
  ];
  test.each([1, 2, 3, 7, 20])('logits and FGSM of %i rows are identical with 0, 1 and 2 workers', async (n) => {
    for (const m of models.values()) resetWeights(m);
    const { x, labels } = randomData(n, 10 + n);
    const logits = await engines.get(0)!.logits(x);
    expect(logits.shape).toEqual([n, 10]);
    for (const workers of [1, 2]) {
      const got = await engines.get(workers)!.logits(x);
      expect(got.shape).toEqual([n, 10]);
      expectSameBits(got.data, logits.data, `logits, ${workers} workers`);
    }
    for (const [name, options] of fgsmCases) {
      const reference = await engines.get(0)!.fgsm(x, labels, options);
      for (const workers of [1, 2]) {
        const got = await engines.get(workers)!.fgsm(x, labels, options);
        expect(got.shape).toEqual(x.shape);
        expectSameBits(got.data, reference.data, `fgsm ${name}, ${workers} workers`);
      }
    }
  });

  test('rowChunks gives each worker one chunk, and no chunk is empty', () => {
    expect([0, 1, 2, 3, 100].map((n) => rowChunks(n, 1))).toEqual([1, 1, 1, 1, 1]);
    expect([0, 1, 2, 3, 100].map((n) => rowChunks(n, 2))).toEqual([1, 1, 2, 2, 2]);
    expect([0, 1, 2, 3, 100].map((n) => rowChunks(n, 4))).toEqual([1, 1, 2, 3, 4]);
  });

  test('errors in a worker reject the call with the worker, the shard and the message; the engine stays usable', async () => {
    const engine = engines.get(2) as WorkerEngine;
    const { x, labels } = randomData(8, 4);
    engine.debugFailNextTask(0, { throw: 'boom' });
    await expect(engine.batchGradients(x, labels, 8, { kind: 'standard' })).rejects.toThrow(/worker 0 failed computing gradient shard 0 \(rows 0\.\.2 of 8\): boom/);
    await expect(engine.logits(new Tensor(new Float32Array(4 * 784), [4, 1, 14, 56]))).rejects.toThrow(/worker \d failed computing logits chunk \d .*LeNet: x must have shape/);
    resetWeights(models.get(0)!);
    resetWeights(models.get(2)!);
    expectSameGradients(
      await engine.batchGradients(x, labels, 8, { kind: 'standard' }),
      await engines.get(0)!.batchGradients(x, labels, 8, { kind: 'standard' }),
      'after a failure',
    );
  });

  test('a worker that exits rejects the call, naming the worker and the shard, and the engine refuses later calls', async () => {
    const model = createLeNet({ seed: 0 });
    const engine = await WorkerEngine.create(model, { workers: 2 });
    try {
      const { x, labels } = randomData(8, 5);
      engine.debugFailNextTask(1, { exit: 1 });
      await expect(engine.batchGradients(x, labels, 8, { kind: 'standard' })).rejects.toThrow(/worker 1 exited with code 1 while computing gradient shard 1 \(rows 2\.\.4 of 8\)/);
      await expect(engine.logits(x)).rejects.toThrow(/worker 1 exited with code 1.*create a new engine/);
    } finally {
      await engine.close();
    }
    await expect(engine.logits(randomData(2, 6).x)).rejects.toThrow(/worker 1 exited/);
  });

  test('a model without a registered architecture runs in process only', async () => {
    const model = new Sequential([new ReLU()]);
    expect((await createEngine(model, 0)).workers).toBe(0);
    await expect(createEngine(model, 2)).rejects.toThrow(
      /^createEngine: 2 workers: workers rebuild the model from its architecture name, and a Sequential without an architecture name is not registered \(known: lenet-mnist-matconvnet, lenet-relu-mnist\); use 0 workers for other modules$/,
    );
  });

  test('a closed engine rejects calls', async () => {
    const engine = await WorkerEngine.create(createLeNet({ seed: 0 }), { workers: 1 });
    await engine.close();
    await expect(engine.logits(randomData(2, 7).x)).rejects.toThrow(/closed/);
  });
});
