/**
 * How far a second worker speeds up the LeNet, and how far this machine lets any code speed up:
 * both measured in the same run, in alternation, so that a noisy host moves both alike.
 *
 *   machine    the GEMM's 2×5 micro-kernel on panels that stay in L1 (no memory traffic, no
 *              messages), run by 1 thread and then by 2 threads at once, each doing the same
 *              work: speed-up = 2 · t(1 thread) / t(2 threads). This is the ceiling of the
 *              machine itself: two vCPUs of a shared host need not give two cores' worth.
 *   train, FGSM, inference
 *              the worker engine with 1 and with 2 workers on the same batch of 100, calls
 *              alternated: speed-up = t(1 worker) / t(2 workers).
 *
 * Every figure is the median over paired repetitions of the per-pair ratio (bench/paired.ts). On
 * the machines this project is measured on, consecutive single-thread timings drift by up to 1.5×
 * within minutes, so a ratio of two medians taken minutes apart (bench/main.ts prints one) says
 * less than these.
 *
 * Run: npx tsx bench/scaling.ts [--reps N]
 */
import { Worker } from 'node:worker_threads';
import { parseFlags } from '../src/cli/args.ts';
import { createLeNet } from '../src/models/lenet.ts';
import { randn } from '../src/tensor/create.ts';
import { Rng } from '../src/tensor/rng.ts';
import { SGD } from '../src/train/sgd.ts';
import type { Engine } from '../src/train/engine.ts';
import { createEngine } from '../src/train/workers/engine.ts';
import { alternate, pairRatio } from './paired.ts';

const BATCH = 100;

/**
 * A worker that, per message, runs the 2×5 micro-kernel `calls` times over one A panel and one
 * B panel of depth 256 (4 KiB and 10 KiB: L1) and replies with the time it took. Plain JavaScript,
 * so it runs in a worker without a TypeScript loader.
 */
const SPIN = `
const { parentPort } = require('node:worker_threads');
const kc = 256, P = new Float64Array(kc * 7).map((_, i) => ((i * 7919) % 1000) / 1000);
let sink = 0;
function tile() {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0;
  for (let ai = 0, bi = kc * 2; ai < kc * 2; ai = (ai + 2) | 0, bi = (bi + 5) | 0) {
    const a0 = P[ai], a1 = P[(ai + 1) | 0];
    const b0 = P[bi], b1 = P[(bi + 1) | 0], b2 = P[(bi + 2) | 0], b3 = P[(bi + 3) | 0], b4 = P[(bi + 4) | 0];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4;
  }
  sink += c00 + c01 + c02 + c03 + c04 + c10 + c11 + c12 + c13 + c14;
}
parentPort.on('message', (calls) => {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) tile();
  parentPort.postMessage(performance.now() - t0 + 0 * sink);
});`;

/** Runs `calls` kernel calls on each of the given workers at once; resolves with the wall time (ms). */
function spin(workers: Worker[], calls: number): Promise<number> {
  const t0 = performance.now();
  return Promise.all(workers.map((w) => new Promise<void>((resolve) => {
    w.once('message', () => resolve());
    w.postMessage(calls);
  }))).then(() => performance.now() - t0);
}

/** One call of `kind` on `engine` (train: gradients of the batch and an SGD step). */
function work(kind: string, engine: Engine, optimizer: SGD, x: ReturnType<typeof randn>, labels: Int32Array): () => Promise<unknown> {
  if (kind === 'inference') return () => engine.logits(x);
  if (kind === 'FGSM') return () => engine.fgsm(x, labels, { eps: 0.25 });
  return async () => {
    await engine.trainStep(x, labels, BATCH, { kind: 'standard' }, optimizer); // as train() does
  };
}

async function main(): Promise<void> {
  const { values, help } = parseFlags('bench/scaling', process.argv.slice(2), {
    reps: { type: 'int', min: 3, default: 21, help: 'paired repetitions per figure (the median ratio is reported)' },
  });
  if (help) {
    process.stdout.write('usage: npx tsx bench/scaling.ts [--reps N]\n');
    return;
  }
  const reps = values.reps as number;
  const threads = [new Worker(SPIN, { eval: true }), new Worker(SPIN, { eval: true })];
  const calls = 20_000; // ≈ 0.1 s of one thread
  const machine = pairRatio(await alternate(reps, 1, () => spin(threads.slice(0, 1), calls), () => spin(threads, calls)));
  await Promise.all(threads.map((t) => t.terminate()));
  process.stdout.write(`2 threads / 1 thread, median of ${reps} paired ratios (1 = no gain, 2 = ideal)\n`);
  process.stdout.write(`machine (micro-kernel in L1)  ${(2 * machine).toFixed(2)}×\n`);

  const rng = new Rng(1);
  const x = randn([BATCH, 1, 28, 28], { rng, std: 60 }); // [100, 1, 28, 28]
  const labels = Int32Array.from({ length: BATCH }, () => rng.int(10));
  for (const kind of ['train', 'FGSM', 'inference']) {
    const models = [createLeNet({ seed: 0 }), createLeNet({ seed: 0 })];
    const engines = [await createEngine(models[0], 1), await createEngine(models[1], 2)];
    try {
      const [one, two] = engines.map((e, i) => work(kind, e, new SGD(models[i].parameters()), x, labels));
      const speedUp = pairRatio(await alternate(reps, 1, one, two));
      process.stdout.write(`LeNet ${kind.padEnd(22)} ${speedUp.toFixed(2)}×\n`);
    } finally {
      await Promise.all(engines.map((e) => e.close()));
    }
  }
}

main().catch((e: Error) => {
  process.stderr.write(`bench/scaling: ${e.message}\n`);
  process.exitCode = 1;
});
