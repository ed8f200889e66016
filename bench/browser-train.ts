/**
 * The train panel's speed in a browser, on one Web Worker and on N: images/s of one epoch of
 * standard training (the panel's recipe: LeNet, SGD, seed 0) on the first K MNIST training images
 * at batch 100, the batch whose training step `npm run bench` measures. It builds the page (the
 * package and the data, into a temporary folder), serves it cross-origin isolated on 127.0.0.1,
 * and runs headless Chromium on ?selftest=bench-train (web/selftest-train.js, web/train-worker.js:
 * bench): after W untimed rounds, R timed rounds, each an epoch at every worker count, their
 * order reversed every round so that a drift of the machine favours neither. The clock covers
 * train() alone, not starting the workers. One worker is InProcessEngine in the training worker;
 * N > 1 is advgrad's WorkerEngine on N nested Web Workers sharing memory.
 *
 * Printed: images/s of every round, the medians, and the median over rounds of the per-round
 * speed-up t(1) / t(N) (bench/paired.ts says why that, rather than a ratio of medians).
 *
 * Run: npx tsx bench/browser-train.ts [--images K] [--reps R] [--warmup W] [--workers N] [--json]
 * (Chromium: `chromium` on the PATH, or CHROMIUM=/path.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWeb, compilePackage, TRAIN_SUBSET_SIZE, WEB } from '../scripts/web/build.ts';
import { serveStatic } from '../scripts/web/serve.ts';
import { CliError, parseFlags } from '../src/cli/args.ts';
import { SHARDS } from '../src/train/step.ts';
import { selftest } from '../test/web/chromium.ts';
import { median } from './gemm.ts';
import { pairRatio } from './paired.ts';

/** The batch of `npm run bench`'s training step (bench/main.ts). */
const BATCH = 100;

/** One timed epoch as the page reported it. */
interface Rep {
  round: number;
  workers: number;
  seconds: number;
  imagesPerSecond: number;
}

async function main(): Promise<void> {
  const { values, help } = parseFlags('browser-train', process.argv.slice(2), {
    images: { type: 'int', min: 1, default: 2000, help: `training images per epoch (at most the ${TRAIN_SUBSET_SIZE} the page serves)` },
    reps: { type: 'int', min: 1, default: 5, help: 'timed rounds (an epoch at each worker count); the medians are reported' },
    warmup: { type: 'int', min: 0, default: 1, help: 'untimed rounds first' },
    workers: { type: 'int', min: 2, help: `the worker count compared with one (default: the cores, at most ${SHARDS})` },
    json: { type: 'bool', default: false, help: 'print one JSON object on stdout' },
  });
  if (help) {
    process.stdout.write('usage: npx tsx bench/browser-train.ts [--images K] [--reps R] [--warmup W] [--workers N] [--json]\n');
    return;
  }
  const images = values.images as number;
  if (images > TRAIN_SUBSET_SIZE) throw new CliError(`browser-train: --images ${images}: the page serves the first ${TRAIN_SUBSET_SIZE} training images`);
  const N = (values.workers as number | undefined) ?? Math.max(2, Math.min(availableParallelism(), SHARDS));
  if (N > SHARDS) throw new CliError(`browser-train: --workers ${N}: a batch is cut into ${SHARDS} shards, so at most ${SHARDS} workers have work`);
  const reps = values.reps as number;
  const warmup = values.warmup as number;
  const log = (s: string): void => {
    if (!values.json) process.stdout.write(`${s}\n`);
  };
  const dir = mkdtempSync(join(tmpdir(), 'advgrad-browser-bench-'));
  try {
    log(`building the page into ${dir}…`);
    compilePackage(join(dir, 'dist'));
    buildWeb({ compile: false, dist: join(dir, 'dist'), out: join(dir, 'web') });
    const server = await serveStatic({ root: WEB, port: 0, mounts: { '/lib/': join(dir, 'web/lib'), '/data/': join(dir, 'web/data') } });
    let page;
    try {
      const query = `?selftest=bench-train&images=${images}&batch=${BATCH}&reps=${reps}&warmup=${warmup}&workers=1,${N}`;
      // generous: a slow machine may train at ~100 images/s on one worker
      const timeoutMs = 120_000 + ((reps + warmup) * (1 + N) * images * 1000) / 50;
      page = await selftest(server.url, query, { dir, timeoutMs });
    } finally {
      await server.close();
    }
    if (!page.ok) throw new Error(`the page's benchmark failed: ${page.error}`);
    report(page.reps as Rep[], N, images, reps, page, log, values.json as boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints every round, the medians and the paired speed-up (or the JSON object). */
function report(all: Rep[], N: number, images: number, reps: number, page: Record<string, unknown>, log: (s: string) => void, json: boolean): void {
  const of = (w: number): Rep[] => all.filter((r) => r.workers === w).sort((a, b) => a.round - b.round);
  const one = of(1);
  const many = of(N);
  log(`advgrad browser-train: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ${String(page.userAgent)}; the browser reports ${String(page.cores)} cores`);
  log(`LeNet, standard training, ${images} images, batch ${BATCH}, one epoch per figure; images/s (${reps} rounds)`);
  log(`${'round'.padEnd(6)} ${'1 worker'.padStart(10)} ${`${N} workers`.padStart(10)}`);
  one.forEach((r, i) => log(`${String(r.round + 1).padEnd(6)} ${r.imagesPerSecond.toFixed(0).padStart(10)} ${many[i].imagesPerSecond.toFixed(0).padStart(10)}`));
  const medians = { 1: median(one.map((r) => r.imagesPerSecond)), [N]: median(many.map((r) => r.imagesPerSecond)) };
  const speedup = pairRatio({ a: one.map((r) => r.seconds), b: many.map((r) => r.seconds) });
  log(`${'median'.padEnd(6)} ${medians[1].toFixed(0).padStart(10)} ${medians[N].toFixed(0).padStart(10)}`);
  log(`${N} workers / 1 worker: ${speedup.toFixed(2)}× (median of the per-round ratios)`);
  if (json) {
    const machine = { cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`, browser: page.userAgent, browserCores: page.cores, node: process.version, date: new Date().toISOString() };
    process.stdout.write(`${JSON.stringify({ images, batch: BATCH, workers: N, imagesPerSecond: medians, speedup, reps: all, machine })}\n`);
  }
}

main().catch((e: Error) => {
  process.stderr.write(`advgrad ${e.message.startsWith('browser-train') ? e.message : `browser-train: ${e.message}`}\n`);
  process.exitCode = e instanceof CliError ? e.exitCode : 1;
});
