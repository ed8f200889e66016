/**
 * The learning-rate schedules (train/lr-schedule.ts) and weight averaging (train/ema.ts) inside
 * train(). What must hold: each step runs at η·f(t, T) of its index in the whole run and the base
 * rate is back after every epoch; the averaged weights are the formula's, computed from the raw
 * weights step by step; both give the same weights at 0, 1 and 2 workers; and 'constant' is the
 * seed's training bit for bit.
 */
import { describe, expect, test } from 'vitest';
import type { Variable } from '../../src/autograd/variable.ts';
import { createLeNet } from '../../src/models/lenet.ts';
import { WeightAverage } from '../../src/train/ema.ts';
import { lrFactor, ONE_CYCLE_START } from '../../src/train/lr-schedule.ts';
import type { Optimizer } from '../../src/train/optimizer.ts';
import { SGD } from '../../src/train/sgd.ts';
import { train, type TrainOptions } from '../../src/train/train.ts';
import { createEngine } from '../../src/train/workers/engine.ts';
import { expectSameBits, randomData } from './helpers.ts';

describe('lrFactor', () => {
  test('constant 1; cosine from 1 through ½ at mid-run towards 0; one-cycle from 1/25 up to 1 at 30%, then down towards 0', () => {
    expect([0, 5, 9].map((t) => lrFactor('constant', t, 10))).toEqual([1, 1, 1]);
    expect(lrFactor('cosine', 0, 10)).toBe(1);
    expect(lrFactor('cosine', 5, 10)).toBeCloseTo(0.5, 15);
    expect(lrFactor('cosine', 999, 1000)).toBeLessThan(1e-5);
    expect(lrFactor('one-cycle', 0, 100)).toBe(ONE_CYCLE_START);
    expect(lrFactor('one-cycle', 15, 100)).toBeCloseTo(ONE_CYCLE_START + (1 - ONE_CYCLE_START) / 2, 15);
    expect(lrFactor('one-cycle', 30, 100)).toBe(1);
    expect(lrFactor('one-cycle', 65, 100)).toBeCloseTo(0.5, 15);
    expect(lrFactor('one-cycle', 99, 100)).toBeLessThan(1e-3);
    const f = (t: number, T: number): number => t / T;
    expect(lrFactor(f, 3, 4)).toBe(0.75);
  });

  test('a step outside the run or an unknown name is refused', () => {
    expect(() => lrFactor('cosine', 10, 10)).toThrow('lrFactor: step must be an integer in [0, steps)');
    expect(() => lrFactor('linear' as never, 0, 10)).toThrow("lrFactor: schedule must be one of constant, cosine, one-cycle or a function, got 'linear'");
  });
});

/** An SGD that records the lr of every step it takes. */
class RecordingSGD extends SGD implements Optimizer {
  readonly seen: number[] = [];
  constructor(params: readonly Variable[]) {
    super(params, { lr: 0.01 });
  }
  override step(grads?: ReadonlyArray<ArrayLike<number> | undefined>): void {
    this.seen.push(this.lr);
    super.step(grads);
  }
}

/** Trains a fresh LeNet (seed 1) for 2 epochs of 3 steps on 30 random images; its weights and optimizer. */
async function run(options: Partial<TrainOptions>, workers = 0): Promise<{ weights: Float32Array[]; optimizer: SGD; raw: Float64Array[][] }> {
  const model = createLeNet({ seed: 1 });
  const optimizer = new RecordingSGD(model.parameters());
  const engine = await createEngine(model, workers);
  const raw: Float64Array[][] = []; // the weights after every step, as training left them
  try {
    await train(model, randomData(30, 5), {
      optimizer, epochs: 2, batchSize: 10, seed: 2, engine, ...options,
      onBatch: () => raw.push(model.parameters().map((p) => Float64Array.from(p.value.data))),
    });
  } finally {
    await engine.close();
  }
  return { weights: model.parameters().map((p) => p.value.data as Float32Array), optimizer, raw };
}

describe('train() with an lr schedule', () => {
  test('each step runs at η·f(t, 6) of its index t in the run, and η is back after training', async () => {
    for (const schedule of ['cosine', 'one-cycle'] as const) {
      const { optimizer } = await run({ lrSchedule: schedule });
      expect((optimizer as RecordingSGD).seen).toEqual([0, 1, 2, 3, 4, 5].map((t) => 0.01 * lrFactor(schedule, t, 6)));
      expect(optimizer.lr).toBe(0.01);
    }
  });

  test("'constant' is the seed's training bit for bit; cosine is not", async () => {
    const [plain, constant, cosine] = [await run({}), await run({ lrSchedule: 'constant' }), await run({ lrSchedule: 'cosine' })];
    plain.weights.forEach((w, i) => expectSameBits(constant.weights[i], w, `weight ${i}`));
    expect(Array.from(cosine.weights[0])).not.toEqual(Array.from(plain.weights[0]));
  });

  test('a resumed run continues on the same curve: 1 epoch, then epoch 2 from there, gives the uninterrupted weights', async () => {
    const whole = await run({ lrSchedule: 'one-cycle' });
    const data = randomData(30, 5);
    const resumedModel = createLeNet({ seed: 1 });
    const resumedSgd = new SGD(resumedModel.parameters(), { lr: 0.01 });
    const stop = new AbortController(); // stops the run at the first step of epoch 2, as a kill between epochs
    await expect(train(resumedModel, data, { optimizer: resumedSgd, epochs: 2, batchSize: 10, seed: 2, lrSchedule: 'one-cycle', onEpoch: () => stop.abort(new Error('stop')), signal: stop.signal })).rejects.toThrow('stop');
    expect(resumedSgd.lr).toBe(0.01);
    await train(resumedModel, data, { optimizer: resumedSgd, epochs: 2, startEpoch: 1, batchSize: 10, seed: 2, lrSchedule: 'one-cycle' });
    whole.weights.forEach((w, i) => expectSameBits(resumedModel.parameters()[i].value.data, w, `weight ${i}`));
  });

  test('cosine: the same weights at 0, 1 and 2 workers (the workers take SGD\'s step at the scheduled rate)', async () => {
    const reference = await run({ lrSchedule: 'cosine' }, 0);
    for (const workers of [1, 2]) {
      const got = await run({ lrSchedule: 'cosine' }, workers);
      got.weights.forEach((w, i) => expectSameBits(w, reference.weights[i], `${workers} workers, weight ${i}`));
    }
  });
});

describe('train() with weight averaging', () => {
  test('the model ends at w̄ of the formula, computed from the raw weights after every step, which train on as without averaging', async () => {
    const decay = 0.9;
    const plain = await run({});
    const averaged = await run({ ema: { decay } });
    // the raw weights train on as without averaging
    plain.raw.forEach((step, s) => step.forEach((w, i) => expectSameBits(averaged.raw[s][i], w, `step ${s}, weight ${i}`)));
    const initial = createLeNet({ seed: 1 }).parameters().map((p) => Float64Array.from(p.value.data));
    const expected = initial.map((w) => Float64Array.from(w));
    plain.raw.forEach((step, s) => {
      const d = Math.min(decay, (2 + s) / (11 + s));
      expected.forEach((avg, i) => {
        for (let j = 0; j < avg.length; j++) avg[j] = d * avg[j] + (1 - d) * step[i][j];
      });
    });
    expected.forEach((avg, i) => expectSameBits(averaged.weights[i], Float32Array.from(avg), `weight ${i}`));
    expect(Array.from(averaged.weights[0])).not.toEqual(Array.from(plain.weights[0]));
  });

  test('the same averaged weights at 0, 1 and 2 workers', async () => {
    const reference = await run({ ema: { decay: 0.99 }, lrSchedule: 'one-cycle' }, 0);
    for (const workers of [1, 2]) {
      const got = await run({ ema: { decay: 0.99 }, lrSchedule: 'one-cycle' }, workers);
      got.weights.forEach((w, i) => expectSameBits(w, reference.weights[i], `${workers} workers, weight ${i}`));
    }
  });

  test('WeightAverage: swapIn and swapOut give back the raw weights bit for bit; a decay outside (0, 1) is refused', () => {
    const model = createLeNet({ seed: 3 });
    const before = model.parameters().map((p) => Float32Array.from(p.value.data));
    const average = new WeightAverage(model.parameters(), { decay: 0.5 });
    model.parameters()[0].value.data[0] += 1;
    average.update();
    average.swapIn();
    expect(model.parameters()[0].value.data[0]).toBe(Math.fround(before[0][0] + (1 - Math.min(0.5, 2 / 11)) * 1));
    average.swapOut();
    expect(model.parameters()[0].value.data[0]).toBe(Math.fround(before[0][0] + 1));
    expect(() => new WeightAverage(model.parameters(), { decay: 1 })).toThrow('train: ema.decay must be a number in (0, 1) (e.g. 0.999), got 1');
  });
});
