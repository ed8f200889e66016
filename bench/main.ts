/**
 * `npm run bench`: the speed of the LeNet on this machine, float32, batch 100.
 *
 *   GEMM:       GFLOP/s of the packed kernel and the naive reference on every LeNet shape, same run
 *   train:      images/s of one SGD step (forward + ∂L/∂θ backward + update)  13.18 MFLOP/image
 *   FGSM:       images/s of one FGSM step (forward + ∂L/∂x backward)           9.17 MFLOP/image
 *   inference:  images/s of a forward pass                                      4.586 MFLOP/image
 *
 * FLOP per image (multiply-adds × 2): forward Σ_layers OC·C·KH·KW·OH·OW = 2,293,000 MACs
 * = 4.586 MFLOP; training adds ∂W for every layer and ∂x for conv2..conv4 (conv1's input needs
 * none): 4.586 + 4.586 + (4.586 − 0.576) = 13.18 MFLOP; FGSM adds ∂x for every layer and no ∂W:
 * 4.586 + 4.586 = 9.17 MFLOP.
 *
 * (With Winograd the multiplications actually done are fewer: GFLOP/s are "direct-equivalent",
 * the im2col path's FLOP divided by the time, so the two paths compare on one scale.)
 *
 * Every figure is the median of timed repetitions after warm-up. Both convolution paths are
 * measured in the same run, one after the other for each worker count: 'auto' (Winograd for conv2,
 * GEMM elsewhere, kernels/conv2d/plan.ts) and 'gemm' (im2col everywhere), given to the model as
 * its `algorithm` option, which the worker engine passes on to its threads. Flags: --workers N (measure only N), --reps N, --no-gemm, --json.
 */
import { availableParallelism, cpus } from 'node:os';
import { CliError, parseFlags } from '../src/cli/args.ts';
import type { Conv2dAlgorithm } from '../src/layers/conv2d.ts';
import { createLeNet } from '../src/models/lenet.ts';
import { randn } from '../src/tensor/create.ts';
import { Rng } from '../src/tensor/rng.ts';
import { SGD } from '../src/train/sgd.ts';
import { createEngine } from '../src/train/workers/engine.ts';
import { pgdAgainstFgsm, PGD_BENCH_STEPS } from './pgd.ts';
import { benchGemm, median, type GemmBenchRow } from './gemm.ts';

const MFLOP = { train: 13.18, fgsm: 9.17, inference: 4.586 };
const BATCH = 100;

async function time(reps: number, warmup: number, fn: () => Promise<void>): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const seconds: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    seconds.push((performance.now() - t0) / 1000);
  }
  return median(seconds);
}

/** The convolution paths compared: the default, and im2col GEMM for every layer. */
const PATHS: Array<[string, Conv2dAlgorithm]> = [['winograd', 'auto'], ['gemm', 'gemm']];

/**
 * Images/s of a training step, an FGSM step and inference with `workers` worker threads and the
 * convolution path `algorithm` (the model's option, and so the workers' replicas').
 */
async function benchModel(workers: number, reps: number, algorithm: Conv2dAlgorithm): Promise<{ train: number; fgsm: number; inference: number; pgd: number; pgdRatio: number }> {
  const model = createLeNet({ seed: 0, algorithm });
  const optimizer = new SGD(model.parameters());
  const engine = await createEngine(model, workers);
  const rng = new Rng(1);
  const x = randn([BATCH, 1, 28, 28], { rng, std: 60 }); // [100, 1, 28, 28], MNIST-like scale
  const labels = Int32Array.from({ length: BATCH }, () => rng.int(10));
  try {
    const train = await time(reps, 3, async () => {
      await engine.trainStep(x, labels, BATCH, { kind: 'standard' }, optimizer); // as train() does
    });
    const fgsm = await time(reps, 3, async () => {
      await engine.fgsm(x, labels, { eps: 0.25 });
    });
    const inference = await time(reps, 3, async () => {
      await engine.logits(x);
    });
    // PGD-20 against 20 FGSM calls, in alternation: fewer pairs, each is 20 steps of both
    const pgd = await pgdAgainstFgsm(engine, x, labels, Math.max(3, Math.round(reps / 3)));
    return { train: BATCH / train, fgsm: BATCH / fgsm, inference: BATCH / inference, pgd: pgd.pgd, pgdRatio: pgd.ratio };
  } finally {
    await engine.close();
  }
}

async function main(): Promise<void> {
  const { values, help } = parseFlags('bench', process.argv.slice(2), {
    workers: { type: 'int', min: 1, help: 'measure only this worker count (default: 1 and all cores)' },
    reps: { type: 'int', min: 3, default: 15, help: 'timed repetitions per figure (the median is reported)' },
    gemm: { type: 'bool', default: true, help: 'include the GEMM table (--no-gemm to skip)' },
    json: { type: 'bool', default: false, help: 'print one JSON object on stdout' },
  });
  if (help) {
    process.stdout.write('usage: npm run bench -- [--workers N] [--reps N] [--no-gemm] [--json]\n');
    return;
  }
  const counts = values.workers !== undefined ? [values.workers as number] : [...new Set([1, availableParallelism()])];
  const log = (s: string): void => {
    if (!values.json) process.stdout.write(`${s}\n`);
  };
  log(`advgrad bench: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString()}`);

  let gemm: GemmBenchRow[] = [];
  if (values.gemm) {
    gemm = await benchGemm({ print: false });
    log('\nGEMM GFLOP/s (median; FLOP = 2·M·N·K)');
    log(`${'shape'.padEnd(40)} ${'packed'.padStart(8)} ${'naive'.padStart(8)} ${'ratio'.padStart(7)}`);
    for (const r of gemm) log(`${r.shape.padEnd(40)} ${r.packed.toFixed(2).padStart(8)} ${r.naive.toFixed(2).padStart(8)} ${(r.packed / r.naive).toFixed(1).padStart(6)}×`);
  }

  // per path (winograd = the default 'auto', gemm = im2col everywhere), per worker count
  type Figures = { trainImagesPerSecond: Record<string, number>; fgsmImagesPerSecond: Record<string, number>; inferenceImagesPerSecond: Record<string, number> };
  const paths: Record<string, Figures> = {};
  for (const [name] of PATHS) paths[name] = { trainImagesPerSecond: {}, fgsmImagesPerSecond: {}, inferenceImagesPerSecond: {} };
  log(`\nLeNet, batch ${BATCH}, images/s (median of ${values.reps}; direct-equivalent GFLOP/s from ${MFLOP.train} / ${MFLOP.fgsm} / ${MFLOP.inference} MFLOP per image)`);
  log(`${'workers'.padEnd(8)} ${'conv path'.padEnd(10)} ${'train'.padStart(16)} ${'FGSM'.padStart(16)} ${'inference'.padStart(16)}`);
  const pgdSteps: Record<string, Record<string, number>> = {};
  const pgdRatios: Record<string, Record<string, number>> = {};
  const cell = (ips: number, mflop: number): string => `${ips.toFixed(0)} (${((ips * mflop) / 1000).toFixed(2)} GF/s)`.padStart(16);
  for (const w of counts) {
    for (const [name, algorithm] of PATHS) {
      const r = await benchModel(w, values.reps as number, algorithm);
      paths[name].trainImagesPerSecond[w] = r.train;
      paths[name].fgsmImagesPerSecond[w] = r.fgsm;
      paths[name].inferenceImagesPerSecond[w] = r.inference;
      pgdSteps[name] ??= {};
      pgdSteps[name][w] = r.pgd;
      pgdRatios[name] ??= {};
      pgdRatios[name][w] = r.pgdRatio;
      log(`${String(w).padEnd(8)} ${name.padEnd(10)} ${cell(r.train, MFLOP.train)} ${cell(r.fgsm, MFLOP.fgsm)} ${cell(r.inference, MFLOP.inference)}` +
        `   PGD-${PGD_BENCH_STEPS} ${r.pgd.toFixed(0)} step·img/s = ${r.pgdRatio.toFixed(2)}× FGSM (median of paired runs)`);
    }
  }
  const ratio = (a: Record<string, number>, b: Record<string, number>, wa: number, wb: number): string => (a[wa] / b[wb]).toFixed(2);
  const { winograd, gemm: gemmPath } = paths;
  log('');
  for (const w of counts) {
    log(`${w} worker(s), winograd / gemm: train ${ratio(winograd.trainImagesPerSecond, gemmPath.trainImagesPerSecond, w, w)}×, ` +
      `FGSM ${ratio(winograd.fgsmImagesPerSecond, gemmPath.fgsmImagesPerSecond, w, w)}×, inference ${ratio(winograd.inferenceImagesPerSecond, gemmPath.inferenceImagesPerSecond, w, w)}×`);
  }
  if (counts.length > 1) {
    const [a, b] = counts;
    for (const [name] of PATHS) {
      const f = paths[name];
      log(`${name}, ${b} workers / 1 worker: train ${ratio(f.trainImagesPerSecond, f.trainImagesPerSecond, b, a)}×, ` +
        `FGSM ${ratio(f.fgsmImagesPerSecond, f.fgsmImagesPerSecond, b, a)}×, inference ${ratio(f.inferenceImagesPerSecond, f.inferenceImagesPerSecond, b, a)}×`);
    }
  }
  const result = {
    ...winograd, pgdStepImagesPerSecond: pgdSteps.winograd, pgdOverFgsm: pgdRatios.winograd,
    gemmPath: { ...gemmPath, pgdStepImagesPerSecond: pgdSteps.gemm, pgdOverFgsm: pgdRatios.gemm },
  };
  if (values.json) {
    const machine = { cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`, node: process.version, date: new Date().toISOString() };
    process.stdout.write(`${JSON.stringify({ ...result, gemm: gemm.map(({ shape, packed, naive }) => ({ shape, packed, naive })), machine })}\n`);
  }
}

main().catch((e: Error) => {
  process.stderr.write(`advgrad ${e.message.startsWith('bench: ') ? e.message : `bench: ${e.message}`}\n`);
  process.exitCode = e instanceof CliError ? e.exitCode : 1;
});
