/**
 * WorkerEngine.trainStep with SGD: the workers sum the shard gradients and take the step in their
 * threads, each on its own range of the weights (train/workers/engine.ts). What must hold: the weights,
 * the velocities and Σ J are those of the in-process engine's batchGradients + SGD.step bit for
 * bit, for any number of workers and any batch (empty shards included); a non-finite Σ J moves
 * nothing; a worker that fails or dies fails the call without a hang and without moving a weight.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLeNet, type LeNet } from '../../src/models/lenet.ts';
import type { DType } from '../../src/tensor/tensor.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { Adam } from '../../src/train/adam.ts';
import { InProcessEngine, type Engine } from '../../src/train/engine.ts';
import { SGD, sgdStepOnShards } from '../../src/train/sgd.ts';
import type { StepKind } from '../../src/train/step.ts';
import { WorkerEngine } from '../../src/train/workers/engine.ts';
import { expectSameBits, randomData } from './helpers.ts';

/** A model, its engine and its SGD, all starting from createLeNet({ seed: 0, dtype }). */
interface Run {
  model: LeNet;
  engine: Engine;
  optimizer: SGD;
}

async function makeRun(workers: number, dtype: DType = 'float32'): Promise<Run> {
  const model = createLeNet({ seed: 0, dtype });
  const engine = workers === 0 ? new InProcessEngine(model) : await WorkerEngine.create(model, { workers });
  return { model, engine, optimizer: new SGD(model.parameters(), { lr: 1e-4, momentum: 0.9, weightDecay: 5e-4 }) };
}

function expectSameState(a: Run, b: Run, what: string): void {
  a.model.parameters().forEach((p, i) => expectSameBits(p.value.data, b.model.parameters()[i].value.data, `${what}: weight ${i}`));
  a.optimizer.velocity.forEach((v, i) => expectSameBits(v, b.optimizer.velocity[i], `${what}: velocity ${i}`));
  expect(a.optimizer.steps, `${what}: steps`).toBe(b.optimizer.steps);
}

const STEPS: Array<[string, StepKind, number]> = [
  ['standard', { kind: 'standard' }, 1],
  ['adversarial', { kind: 'adversarial', fgsm: { eps: 0.25 } }, 2],
];

describe('WorkerEngine.trainStep with SGD: the step in the workers', () => {
  const runs = new Map<number, Run>();
  beforeAll(async () => {
    for (const workers of [0, 1, 2, 3, 4]) runs.set(workers, await makeRun(workers));
  });
  afterAll(async () => {
    for (const run of runs.values()) await run.engine.close();
  });

  test.each(STEPS)('%s: 3 steps each on batches of 20, 3 and 1 rows, then an empty one, give the in-process weights, velocities and Σ J with 1–4 workers', async (_, step, perRow) => {
    for (const [rows, seed] of [[20, 1], [3, 2], [1, 3]]) {
      const { images, labels } = randomData(rows, seed);
      for (let k = 0; k < 3; k++) {
        const reference = await runs.get(0)!.engine.trainStep(images, labels, perRow * rows, step, runs.get(0)!.optimizer);
        for (const workers of [1, 2, 3, 4]) {
          const run = runs.get(workers)!;
          const got = await run.engine.trainStep(images, labels, perRow * rows, step, run.optimizer);
          expect(Number.isFinite(reference.lossSum), `${rows} rows, step ${k}: Σ J = ${reference.lossSum}`).toBe(true);
          expect(got.lossSum, `${workers} workers, ${rows} rows, step ${k}`).toBe(reference.lossSum);
          expectSameState(run, runs.get(0)!, `${workers} workers, ${rows} rows, step ${k}`);
        }
      }
    }
    // an empty batch: SGD's step with g = 0 (momentum and weight decay still move the weights)
    const empty = randomData(0, 4);
    const reference = await runs.get(0)!.engine.trainStep(empty.images, empty.labels, 1, step, runs.get(0)!.optimizer);
    for (const workers of [1, 2, 3, 4]) {
      const run = runs.get(workers)!;
      expect((await run.engine.trainStep(empty.images, empty.labels, 1, step, run.optimizer)).lossSum).toBe(reference.lossSum);
      expectSameState(run, runs.get(0)!, `${workers} workers, an empty batch`);
    }
    // the velocities the workers updated are the optimiser's own: SGD.state() sees them
    expect(runs.get(2)!.optimizer.state().velocity[3].some((v) => v !== 0)).toBe(true);
  });

  test('float64: 2 steps with 2 workers give the in-process weights and velocities', async () => {
    const [inProcess, workers] = [await makeRun(0, 'float64'), await makeRun(2, 'float64')];
    try {
      const { images, labels } = randomData(10, 4);
      const x = new Tensor(Float64Array.from(images.data), images.shape);
      for (let k = 0; k < 2; k++) {
        const a = await inProcess.engine.trainStep(x, labels, 10, { kind: 'standard' }, inProcess.optimizer);
        const b = await workers.engine.trainStep(x, labels, 10, { kind: 'standard' }, workers.optimizer);
        expect(b.lossSum).toBe(a.lossSum);
        expectSameState(workers, inProcess, `float64, step ${k}`);
      }
    } finally {
      await workers.engine.close();
    }
  });

  test('two SGDs taking turns on one engine each keep their own velocities', async () => {
    const [reference, run] = [await makeRun(0), await makeRun(2)];
    const second = (r: Run) => new SGD(r.model.parameters(), { lr: 0.003, momentum: 0.5 });
    const optimizers = [[reference.optimizer, second(reference)], [run.optimizer, second(run)]];
    try {
      const { images, labels } = randomData(8, 5);
      for (let k = 0; k < 4; k++) {
        await reference.engine.trainStep(images, labels, 8, { kind: 'standard' }, optimizers[0][k % 2]);
        await run.engine.trainStep(images, labels, 8, { kind: 'standard' }, optimizers[1][k % 2]);
      }
      run.model.parameters().forEach((p, i) => expectSameBits(p.value.data, reference.model.parameters()[i].value.data, `weight ${i}`));
      for (const which of [0, 1]) {
        optimizers[1][which].velocity.forEach((v, i) => expectSameBits(v, optimizers[0][which].velocity[i], `SGD ${which}, velocity ${i}`));
      }
    } finally {
      await run.engine.close();
    }
  });

  test('Adam, which the workers do not run, takes its own step: the in-process result', async () => {
    const [a, b] = [await makeRun(0), await makeRun(2)];
    try {
      const adams = [new Adam(a.model.parameters(), { lr: 1e-3 }), new Adam(b.model.parameters(), { lr: 1e-3 })];
      const { images, labels } = randomData(8, 6);
      for (let k = 0; k < 2; k++) {
        expect((await b.engine.trainStep(images, labels, 8, { kind: 'standard' }, adams[1])).lossSum).toBe(
          (await a.engine.trainStep(images, labels, 8, { kind: 'standard' }, adams[0])).lossSum,
        );
      }
      a.model.parameters().forEach((p, i) => expectSameBits(b.model.parameters()[i].value.data, p.value.data, `weight ${i}`));
    } finally {
      await b.engine.close();
    }
  });

  test('a non-finite Σ J takes no step: weights, velocities and the step count stay', async () => {
    const run = runs.get(2)!;
    const { images, labels } = randomData(8, 7);
    await run.engine.trainStep(images, labels, 8, { kind: 'standard' }, run.optimizer); // velocities ≠ 0
    const params = run.model.parameters();
    const bias = params[params.length - 1].value.data; // the last layer's, [10]
    const saved = bias[3];
    bias[3] = Infinity; // class 3's logit is +∞ for every image: J = NaN or ∞
    const before = { weights: params.map((p) => p.value.data.slice()), velocity: run.optimizer.velocity.map((v) => v.slice()), steps: run.optimizer.steps };
    const { lossSum } = await run.engine.trainStep(images, labels, 8, { kind: 'standard' }, run.optimizer);
    expect(Number.isFinite(lossSum)).toBe(false);
    params.forEach((p, i) => expectSameBits(p.value.data, before.weights[i], `weight ${i}`));
    run.optimizer.velocity.forEach((v, i) => expectSameBits(v, before.velocity[i], `velocity ${i}`));
    expect(run.optimizer.steps).toBe(before.steps);
    bias[3] = saved;
  });

  test('a worker that throws fails the call, no weight moves, and the engine steps correctly afterwards', async () => {
    const [reference, run] = [await makeRun(0), await makeRun(2)];
    try {
      const { images, labels } = randomData(8, 8);
      (run.engine as WorkerEngine).debugFailNextTask(1, { throw: 'boom' });
      await expect(run.engine.trainStep(images, labels, 8, { kind: 'standard' }, run.optimizer)).rejects.toThrow(
        /worker 1 failed computing gradient shard 1 \(rows 2\.\.4 of 8\): boom/,
      );
      expectSameState(run, reference, 'after the failed call');
      await reference.engine.trainStep(images, labels, 8, { kind: 'standard' }, reference.optimizer);
      await run.engine.trainStep(images, labels, 8, { kind: 'standard' }, run.optimizer);
      expectSameState(run, reference, 'after the next call');
    } finally {
      await run.engine.close();
    }
  });

  test('a worker that exits fails the call instead of leaving the other one waiting at the barrier', async () => {
    const [reference, run] = [await makeRun(0), await makeRun(2)];
    try {
      const { images, labels } = randomData(8, 9);
      (run.engine as WorkerEngine).debugFailNextTask(0, { exit: 3 });
      await expect(run.engine.trainStep(images, labels, 8, { kind: 'standard' }, run.optimizer)).rejects.toThrow(/worker 0 exited with code 3/);
      run.model.parameters().forEach((p, i) => expectSameBits(p.value.data, reference.model.parameters()[i].value.data, `weight ${i}`));
    } finally {
      await run.engine.close();
    }
  });
});

describe('sgdStepOnShards', () => {
  test('equals summing the shards into float64 and SGD.step, bit for bit, for 0 to 4 terms', () => {
    for (let terms = 0; terms <= 4; terms++) {
      const n = 37;
      const G = Float32Array.from({ length: 4 * n }, (_, j) => Math.sin(j * 1.7) * 1e-2);
      const w0 = Float32Array.from({ length: n }, (_, j) => Math.cos(j));
      const v0 = Float64Array.from({ length: n }, (_, j) => Math.sin(j * 0.3) * 1e-3);
      const offsets = [0, n, 2 * n, 3 * n].slice(0, terms);
      const w = w0.slice();
      const v = v0.slice();
      sgdStepOnShards(w, v, G, offsets, 3, 30, 0.01, 0.9, 5e-4);
      const param = { value: new Tensor(w0.slice(), [n]), grad: null } as unknown as ConstructorParameters<typeof SGD>[0][number];
      const sgd = new SGD([param], { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
      sgd.velocity[0].set(v0);
      const g = new Float64Array(n);
      for (const o of offsets) for (let j = 0; j < n; j++) g[j] += G[o + j];
      sgd.step([g]);
      const wRef = param.value.data;
      for (let j = 0; j < n; j++) {
        const inRange = j >= 3 && j < 30;
        expect(Object.is(w[j], inRange ? wRef[j] : w0[j]), `${terms} terms: w[${j}]`).toBe(true);
        expect(Object.is(v[j], inRange ? sgd.velocity[0][j] : v0[j]), `${terms} terms: v[${j}]`).toBe(true);
      }
    }
  });

  test('refuses more than 4 terms', () => {
    expect(() => sgdStepOnShards(new Float32Array(1), new Float64Array(1), new Float32Array(5), [0, 1, 2, 3, 4], 0, 1, 0.1, 0.9, 0)).toThrow(/at most 4 gradient terms, got 5/);
  });
});
