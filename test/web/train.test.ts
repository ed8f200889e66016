/**
 * The playground's train panel in headless Chromium (?selftest=train, web/selftest-train.js): the
 * page trains LeNets in a Web Worker with the built library's train(), the standard one over 2 Web
 * Workers (advgrad's WorkerEngine on nested workers sharing memory), and this test trains the
 * same models here in Node with train() in-process, and the standard one with Node's WorkerEngine
 * on 2 worker threads too, from the same first 2,000 MNIST training images, seed, batch size and
 * schedule. Checked: the page's weights after one epoch equal Node's bit for bit (standard over 2
 * workers, FGSM-trained and PGD-7-trained on one); the panel's workers control and line; on a page
 * served without cross-origin isolation (?selftest=train-fallback) a run asked for 2 workers trains
 * on one, says why, and still gives Node's weights; the standard model's clean accuracy on the page's 500
 * test images is above 0.85, and the FGSM-trained one's FGSM accuracy far above the standard one's;
 * the checkpoint the download button saves is read by `advgrad eval --checkpoint`; pause holds the
 * run; a stop keeps the last finished epoch; sizes the page does not serve are refused with the
 * reason; the trained model can be attacked in the panels above and its curve is drawn.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createEngine, createLeNet, decodeCheckpoint, defaultMnistDir, evaluate, loadIdxDataset, meanImage, noGrad, runAttack, SGD, softmaxForward, subtractMean, take,
  Tensor, train, Variable, type CheckpointContents, type Dataset, type LeNet,
} from '../../src/node.ts';
import { buildWeb, compilePackage, SUBSET_SIZE, TRAIN_SUBSET_SIZE, WEB } from '../../scripts/web/build.ts';
import { serveStatic, type RunningServer } from '../../scripts/web/serve.ts';
import { CHROMIUM, IN_CI, selftest, type SelftestResult } from './chromium.ts';

const ROOT = resolve(import.meta.dirname, '../..');
/** What the selftest trains on (web/selftest-train.js: BASE). */
const IMAGES = 2000;
const BATCH = 20;
const EPS = 0.25;

interface PanelRun {
  /** The training worker's 'engine' message: the Web Workers that trained, those asked for, why fewer. */
  engine: { workers: number; requested: number; reason: string | null };
  /** The panel's workers line once the run started. */
  workersLine: string;
  stopped: boolean;
  message: string;
  epochs: number;
  final: { count: number; clean: number; fgsm: number } | null;
  pause: { atBatch: number; status: string; buttonText: string; batchesWhilePaused: number } | null;
  batches: number;
  imagesPerSecond: number | null;
  evals: Array<{ imagesDone: number; clean: number; fgsm: number; pgd: number; count: number }>;
  losses: number;
  charts: number;
  status: string;
  tone: string;
  result: string;
  kept: { id: string; name: string; epochs: number; checkpoint: string } | null;
}

let dir: string;
let server: RunningServer;
let page: SelftestResult;
/** ?selftest=train-fallback on a server without the isolation headers. */
let fallback: SelftestResult;
let seconds: number;
const node: Partial<Record<Schedule, { model: LeNet; mean: Tensor }>> = {};
/** The standard model trained in Node by WorkerEngine on 2 threads, and the fallback's 100-image one in process. */
let nodeTwoWorkers: { model: LeNet; mean: Tensor };
let nodeFallback: { model: LeNet; mean: Tensor };
/** The images of the fallback's run (web/selftest-train.js: fallbackReport). */
const FALLBACK_IMAGES = 100;
type Schedule = 'standard' | 'fgsm' | 'pgd';
/** The selftest's PGD-7 run trains on fewer images (web/selftest-train.js). */
const PGD_IMAGES = 200;
let data: { train: Dataset; mean: Tensor; test: Dataset };

describe.skipIf(CHROMIUM === null && !IN_CI)('the train panel in headless Chromium', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'advgrad-web-train-'));
    compilePackage(join(dir, 'dist')); // a build of our own (not dist/, which npm pack may be rewriting)
    buildWeb({ compile: false, dist: join(dir, 'dist'), out: join(dir, 'web') });
    server = await serveStatic({ root: WEB, port: 0, mounts: { '/lib/': join(dir, 'web/lib'), '/data/': join(dir, 'web/data') } });
    const started = performance.now();
    const inBrowser = selftest(server.url, '?selftest=train', { dir, timeoutMs: 540_000 });
    // Meanwhile, the same training here (train() yields between steps, so Chromium is awaited alongside).
    data = mnistData();
    node.standard = await trainInNode('standard');
    node.fgsm = await trainInNode('fgsm');
    node.pgd = await trainInNode('pgd', PGD_IMAGES);
    nodeTwoWorkers = await trainInNode('standard', IMAGES, 2);
    nodeFallback = await trainInNode('standard', FALLBACK_IMAGES);
    page = await inBrowser;
    seconds = (performance.now() - started) / 1000;
    const plain = await serveStatic({ root: WEB, port: 0, isolate: false, mounts: { '/lib/': join(dir, 'web/lib'), '/data/': join(dir, 'web/data') } });
    try {
      fallback = await selftest(plain.url, '?selftest=train-fallback', { dir, timeoutMs: 180_000 });
    } finally {
      await plain.close();
    }
  }, 900_000);

  afterAll(async () => {
    if (page?.ok) {
      const standard = page.standard as PanelRun;
      const fgsm = page.fgsm as PanelRun;
      console.log(`train panel: selftest and Node training took ${seconds.toFixed(0)} s; page images/s: standard (2 workers) ${standard.imagesPerSecond?.toFixed(0)}, FGSM (1 worker) ${fgsm.imagesPerSecond?.toFixed(0)}`);
    }
    await server?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('the selftest ran to the end, on every training image the page serves', () => {
    expect(page.error).toBeUndefined();
    expect(page.ok).toBe(true);
    expect(page.served).toBe(TRAIN_SUBSET_SIZE);
  });

  test('the demo server makes the page cross-origin isolated; the workers control offers 1 to the cores (at most 4), all by default, and the line says how they train', () => {
    expect(page.isolated).toBe(true);
    const cores = Math.min(page.cores as number, 4);
    expect(page.workerChoices).toEqual(Array.from({ length: cores }, (_, i) => String(i + 1)));
    expect(page).toMatchObject({ workersDefault: String(cores), workersDisabled: false });
    expect(page.workersLine).toMatch(cores === 1 ? /^Training uses one Web Worker \(of the 1 cores/ : new RegExp(`^Training uses ${cores} Web Workers of the ${page.cores} cores .* shard s on worker s mod ${cores}`));
  });

  test('the standard run trained on 2 Web Workers, and the FGSM and PGD runs on one, as chosen', () => {
    expect((page.standard as PanelRun).engine).toEqual({ workers: 2, requested: 2, reason: null });
    expect((page.standard as PanelRun).workersLine).toBe('This run trains on 2 Web Workers (data-parallel, the same numbers as one).');
    for (const name of ['fgsm', 'pgd'] as const) expect((page[name] as PanelRun).engine, name).toEqual({ workers: 1, requested: 1, reason: null });
  });

  test('after one epoch the page\'s weights equal advgrad\'s train() in Node, bit for bit (standard over 2 Web Workers, FGSM-trained, PGD-7-trained)', () => {
    for (const name of ['standard', 'fgsm', 'pgd'] as const) {
      const run = page[name] as PanelRun;
      expect(run.kept?.epochs, name).toBe(1);
      const checkpoint = decodeCheckpoint(Buffer.from(run.kept!.checkpoint, 'base64'), `${name} from the page`);
      expectSameBits(checkpoint, node[name]!.model, node[name]!.mean, name);
    }
  });

  test('the page\'s 2-Web-Worker standard weights equal Node\'s WorkerEngine on 2 worker threads, bit for bit', () => {
    const checkpoint = decodeCheckpoint(Buffer.from((page.standard as PanelRun).kept!.checkpoint, 'base64'), 'standard from the page');
    expectSameBits(checkpoint, nodeTwoWorkers.model, nodeTwoWorkers.mean, 'standard, Node 2 workers');
  });

  test('without cross-origin isolation the control is held at one worker and the line says why; a run asked for 2 trains on one, says why, and gives Node\'s weights', () => {
    expect(fallback.error).toBeUndefined();
    expect(fallback).toMatchObject({ ok: true, isolated: false, sharedArrayBuffer: false, workersDefault: '1', workersDisabled: true });
    const why = /SharedArrayBuffer is unavailable because (this|the) page is not cross-origin isolated \(its server must send Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/;
    expect(fallback.workersLine).toMatch(new RegExp(`^Training uses one Web Worker: ${why.source}`));
    const run = fallback.run as PanelRun;
    expect(run.engine.workers).toBe(1);
    expect(run.engine.requested).toBe(2);
    expect(run.engine.reason).toMatch(why);
    expect(run.workersLine).toMatch(new RegExp(`^This run trains on one Web Worker instead of 2: ${why.source}`));
    expect(run.kept?.epochs).toBe(1);
    expectSameBits(decodeCheckpoint(Buffer.from(run.kept!.checkpoint, 'base64'), 'fallback from the page'), nodeFallback.model, nodeFallback.mean, 'fallback');
  });

  test('the standard model is above 0.85 clean on the page\'s 500 test images, as Node measures it; FGSM training lifts FGSM accuracy far above it', async () => {
    const standard = (page.standard as PanelRun).final!;
    const fgsm = (page.fgsm as PanelRun).final!;
    expect(standard.count).toBe(SUBSET_SIZE);
    expect(standard.clean).toBeGreaterThan(0.85);
    const test = { images: subtractMean(data.test.images, data.mean), labels: data.test.labels };
    expect(standard.clean).toBe((await evaluate(node.standard!.model, test.images, test.labels)).accuracy);
    expect(fgsm.fgsm).toBeGreaterThan(standard.fgsm + 0.15);
    expect(fgsm.fgsm).toBe((await evaluate(node.fgsm!.model, test.images, test.labels, { attack: { eps: EPS, mean: data.mean } })).accuracy);
  });

  test('the downloaded checkpoint is read by advgrad eval --checkpoint, with the accuracy the page showed', () => {
    const file = join(dir, 'downloaded.ckpt');
    writeFileSync(file, Buffer.from((page.standard as PanelRun).kept!.checkpoint, 'base64'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'eval', '--checkpoint', file, '--workers', '0', '--limit-test', String(SUBSET_SIZE), '--json'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout) as { test: { accuracy: number; count: number } };
    expect(result.test.count).toBe(SUBSET_SIZE);
    expect(result.test.accuracy).toBe((page.standard as PanelRun).final!.clean);
  });

  test('pause holds the run between two steps; the live loss and accuracies were drawn', () => {
    const standard = page.standard as PanelRun;
    expect(standard.pause).toMatchObject({ atBatch: 30, status: 'paused', buttonText: 'resume', batchesWhilePaused: 0 });
    expect(standard.charts).toBe(2);
    const fgsm = page.fgsm as PanelRun;
    expect(fgsm.losses).toBe(IMAGES / (BATCH / 2)); // one loss per step: 10 clean images and their FGSM examples
    expect(fgsm.evals.length).toBe(4); // four times an epoch
    expect(fgsm.evals.at(-1)).toMatchObject({ imagesDone: IMAGES, count: 100 });
    for (const e of fgsm.evals) for (const v of [e.clean, e.fgsm, e.pgd]) expect(v).toBeGreaterThanOrEqual(0);
  });

  test('a stop keeps the model of the last finished epoch, and says so; before the first epoch ends nothing is kept', () => {
    const standard = page.standard as PanelRun;
    expect(standard).toMatchObject({ stopped: true, epochs: 1, tone: 'stopped' });
    expect(standard.message).toBe('Stopped during epoch 2: the model of epoch 1 is kept.');
    const early = page.stoppedInEpoch1 as PanelRun;
    expect(early).toMatchObject({ stopped: true, epochs: 0, kept: null, final: null });
    expect(early.status).toMatch(/no model is kept/);
  });

  test('a training set larger than the page serves, or too small, is refused with the reason', () => {
    expect((page.refusedTooMany as { status: string }).status).toMatch(/serves the first 10,000 MNIST training images .* cannot train on 11,000/);
    expect((page.refusedTooFew as { status: string }).status).toMatch(/at least 100, got 50/);
  });

  test('the trained model joins the others: in the model list, attacked as Node attacks it, its curve drawn', () => {
    const options = page.modelOptions as Array<{ value: string; text: string; disabled: boolean }>;
    expect(options.map((o) => o.value)).toEqual(['standard', 'fgsm-trained', 'pgd-trained', 'trained-1', 'trained-2', 'trained-3']);
    const attacked = page.attacked as { modelId: string; label: number; clean: number[]; adv: number[] };
    expect(attacked.modelId).toBe('trained-1');
    const { model, mean } = node.standard!;
    const x = subtractMean(new Tensor(data.test.images.data.slice(0, 784), [1, 1, 28, 28]), mean);
    const probs = (input: Tensor): number[] => Array.from(noGrad(() => softmaxForward(model.forward(new Variable(input)).value)).data);
    const adv = probs(runAttack(model, x, [attacked.label], { attack: 'fgsm', eps: EPS, mean }, 0));
    const clean = probs(x);
    for (let k = 0; k < 10; k++) {
      expect(Math.abs(attacked.clean[k] - clean[k]), `clean p[${k}]`).toBeLessThan(1e-6);
      expect(Math.abs(attacked.adv[k] - adv[k]), `adversarial p[${k}]`).toBeLessThan(1e-6);
    }
    expect(page.curveLegend).toContain('trained here #1 (standard)');
  });
});

/** The first IMAGES training images (their mean subtracted later), the page's test images, and the mean. */
function mnistData(): { train: Dataset; mean: Tensor; test: Dataset } {
  const mnist = defaultMnistDir();
  const train = take(loadIdxDataset(join(mnist, 'train-images-idx3-ubyte'), join(mnist, 'train-labels-idx1-ubyte')), IMAGES);
  const test = take(loadIdxDataset(join(mnist, 't10k-images-idx3-ubyte'), join(mnist, 't10k-labels-idx1-ubyte')), SUBSET_SIZE);
  return { train, mean: meanImage(train.images), test };
}

/**
 * One epoch on the first `images` training images as the panel trains it (web/train-worker.js):
 * the project's recipe, seed 0; 'fgsm' is the 'batch' schedule, 'pgd' PGD-7 with ε ramped over
 * epoch 1; in process, or on `workers` worker threads (Node's WorkerEngine).
 */
async function trainInNode(schedule: Schedule, images = IMAGES, workers = 0): Promise<{ model: LeNet; mean: Tensor }> {
  const raw = take(data.train, images);
  const mean = meanImage(raw.images);
  const model = createLeNet({ seed: 0, init: { kind: 'matconvnet', scale: 0.01 } });
  const adversarial = schedule === 'fgsm' ? { fgsm: { eps: EPS, mean }, schedule: 'batch' as const }
    : schedule === 'pgd' ? { fgsm: { eps: EPS, mean }, schedule: 'pgd' as const, epsRamp: 1 } : undefined;
  const engine = await createEngine(model, workers);
  try {
    await train(model, { images: subtractMean(raw.images, mean), labels: raw.labels }, {
      optimizer: new SGD(model.parameters()), epochs: 1, batchSize: BATCH, seed: 0, adversarial, engine,
    });
  } finally {
    await engine.close();
  }
  return { model, mean };
}

function expectSameBits(checkpoint: CheckpointContents, model: LeNet, mean: Tensor, name: string): void {
  const bytes = (a: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  expect(checkpoint.architecture).toBe(model.architecture);
  expect(bytes(checkpoint.meanImage!.data).equals(bytes(mean.data)), `${name}: mean image`).toBe(true);
  const params = new Map(checkpoint.params);
  const named = model.namedParameters();
  expect(params.size).toBe(named.length);
  for (const [key, p] of named) {
    const shown = params.get(key);
    expect(shown?.shape, key).toEqual(p.value.shape);
    expect(bytes(shown!.data).equals(bytes(p.value.data)), `${name}: ${key} differs`).toBe(true);
  }
}

