// @ts-check
// The train panel's Web Worker: a LeNet trained by advgrad's own `train()` (the compiled "."
// entry, lib/advgrad/), on the first training images the page serves, so that the page never
// freezes. It computes what `advgrad train` computes in Node for the same seed, images, batch size
// and schedule, bit for bit (test/web/train.test.ts checks the weights after an epoch).
//
// Every core: with `workers` N > 1 in the config, the batches' gradient shards (4 per batch, shard
// s on worker s mod N) are computed by advgrad's WorkerEngine on N nested module workers
// (engine-worker.js; train-engines.js picks the engine) that share the weights, gradients and
// images in SharedArrayBuffers and take the SGD step themselves; the sums run in a fixed order, so
// the weights are the same bits for every N (and equal Node's WorkerEngine and InProcessEngine). SharedArrayBuffer exists only in a
// cross-origin isolated page; elsewhere (or when the nested workers cannot start) this worker
// trains alone with InProcessEngine, the same numbers, and its 'engine' message says why.
//
// The recipe is the project's (src/experiment/training-phase.ts): createLeNet with MatConvNet's
// initialisation f·N(0, 1), f = 0.01, the seed 0, SGD with its defaults (η 0.001, momentum 0.9,
// weight decay 5e-4), the mean training image of the chosen images subtracted.
//
// Protocol (structured-clone messages):
//
//   page → worker
//     { type: 'start', config }   config: { schedule: 'standard' | 'fgsm' | 'pgd', eps, images,
//         epochs, batchSize, workers (1..4), seed, evalCount, evalSteps, evalEvery (batches; 0: four
//         times an epoch), curveEps: number[] (empty: no curves), curveCount, curveSteps, name }
//     { type: 'bench', config }   config: { images, batchSize, reps, warmup, workers: number[] }
//         the browser benchmark (bench/browser-train.ts; see bench() below)
//     { type: 'pause' } / { type: 'resume' }   between two steps; a paused run holds its place (a step
//         in flight when the pause arrives finishes first: on several workers one usually is)
//     { type: 'stop' }            stops after the current step; the last finished epoch is kept
//
//   worker → page
//     { type: 'data', count, testCount }        the training and test images loaded
//     { type: 'data-error', message }           they could not be (the panel says why)
//     { type: 'refused', message }              a start whose config the worker refuses, and why
//     { type: 'engine', workers, requested, reason }   the Web Workers that train this run
//         (1: this one alone) and, when fewer than requested, why (reason: null otherwise)
//     { type: 'started', imagesTotal, batches, samplesPerImage, workers }
//     { type: 'batch', epoch, batch, batches, loss, imagesDone, imagesTotal, imagesPerSecond, secondsLeft }
//     { type: 'eval', epoch, batch, imagesDone, count, clean, fgsm, pgd }   accuracies on the first
//         evalCount test images: clean, FGSM at ε, PGD-evalSteps at ε (seeded random start)
//     { type: 'epoch', epoch, loss, seconds, checkpoint: Uint8Array }   the model after the epoch,
//         an advgrad checkpoint (encodeCheckpoint) holding the mean image and the run's config
//     { type: 'paused' } / { type: 'resumed' }   'paused' once the run holds: no step follows it
//     { type: 'finished', stopped, epochs, final: { count, clean, fgsm } | null, message }
//         epochs: finished epochs (the model kept is the last of them); final: the kept model's
//         accuracies on every test image the page has (FGSM at ε)
//     { type: 'curves', count, steps, fgsm: [{ eps, accuracy }], pgd: [{ eps, accuracy }] }
//     { type: 'error', message }
//     { type: 'bench-rep', round, workers, seconds, imagesPerSecond } / { type: 'bench-done' }
import {
  checkpointFromModel, createLeNet, encodeCheckpoint, evaluate, meanImage, parseIdx, SGD, SHARDS, subtractMean, Tensor, train,
} from './lib/advgrad/index.js';
import { benchEpochs, engineFor, whyOneWorker } from './train-engines.js';

/** @typedef {import('./lib/advgrad/index.js').Engine} Engine */

/** The smallest training set the panel trains on: below it an epoch says little. */
const MIN_IMAGES = 100;
/** Bytes per training image while training: float32 pixels, their mean-subtracted copy, batch copies. */
const BYTES_PER_IMAGE = 784 * 4 * 3;

/** The images the page serves (grey levels 0..255, uint8) and their labels. */
const data = { train: null, test: null };
/** The run in progress: its abort controller and its pause gate. */
let run = null;

self.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'start') void start(message.config);
  else if (message.type === 'bench') void bench(message.config);
  else if (message.type === 'pause' && run !== null && run.gate === null) {
    run.gate = new Promise((resolve) => (run.open = resolve)); // 'paused' is posted when the run reaches it
  } else if (message.type === 'resume' && run !== null && run.gate !== null) resume();
  else if (message.type === 'stop' && run !== null) {
    run.controller.abort(new Error('stopped'));
    if (run.gate !== null) resume();
  }
};

function resume() {
  run.open();
  run.gate = null;
  run.clock = performance.now(); // paused time is not training time
  self.postMessage({ type: 'resumed' });
}

/** Fetches an IDX file next to the page, inflating it when it is gzip-compressed. */
async function fetchIdx(name, rank) {
  const url = new URL(`./data/${name}`, import.meta.url).href;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} (npm run demo builds it)`);
  let bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    if (typeof DecompressionStream === 'undefined') throw new Error(`${name} is gzip-compressed and this browser has no DecompressionStream to inflate it`);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  }
  return parseIdx(bytes, name, { rank });
}

async function loadData() {
  try {
    const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
      fetchIdx('train-images.idx.gz', 3), fetchIdx('train-labels.idx.gz', 1), fetchIdx('test-images.idx', 3), fetchIdx('test-labels.idx', 1),
    ]);
    data.train = { images: trainImages.data, labels: trainLabels.data, count: Math.min(trainImages.dims[0], trainLabels.dims[0]) };
    data.test = { images: testImages.data, labels: testLabels.data, count: Math.min(testImages.dims[0], testLabels.dims[0]) };
    self.postMessage({ type: 'data', count: data.train.count, testCount: data.test.count });
  } catch (error) {
    self.postMessage({ type: 'data-error', message: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * Why the worker refuses `config`, or null. The training set must be one the page serves, and
 * its working memory must fit in a quarter of what the browser says the device has.
 */
function refusal(config, served) {
  const { images, epochs, batchSize, eps, schedule } = config;
  if (served === null) return 'the training images have not loaded';
  if (!Number.isInteger(images) || images < MIN_IMAGES) return `the number of training images must be a whole number of at least ${MIN_IMAGES}, got ${images}`;
  if (images > served) return `the page serves the first ${served.toLocaleString('en')} MNIST training images (npm run demo builds them), so it cannot train on ${images.toLocaleString('en')}`;
  const deviceMemory = /** @type {any} */ (navigator).deviceMemory;
  if (typeof deviceMemory === 'number' && images * BYTES_PER_IMAGE > (deviceMemory * 2 ** 30) / 4) {
    return `${images.toLocaleString('en')} images need about ${Math.ceil((images * BYTES_PER_IMAGE) / 2 ** 20)} MB while training, more than a quarter of the ${deviceMemory} GB this device reports`;
  }
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 100) return `epochs must be a whole number from 1 to 100, got ${epochs}`;
  if (![20, 50, 100].includes(batchSize)) return `the batch size must be 20, 50 or 100, got ${batchSize}`;
  if (!(eps >= 0 && eps <= 0.5)) return `ε must be in [0, 0.5], got ${eps}`;
  if (!['standard', 'fgsm', 'pgd'].includes(schedule)) return `the schedule must be standard, fgsm or pgd, got ${schedule}`;
  if (!Number.isInteger(config.workers) || config.workers < 1 || config.workers > SHARDS) {
    return `workers must be a whole number from 1 to ${SHARDS} (a batch is cut into ${SHARDS} shards), got ${config.workers}`;
  }
  return null;
}

/** The first `count` images of a uint8 set as a Dataset (float32 grey levels, as loadIdxDataset). */
function dataset(set, count) {
  const images = new Tensor(Float32Array.from(set.images.subarray(0, count * 784)), [count, 1, 28, 28]); // [N,1,28,28]
  return { images, labels: Int32Array.from(set.labels.subarray(0, count)) };
}

/** train()'s adversarial option for the panel's schedule ('pgd': PGD-7, ε ramped over the first epoch). */
function adversarialOf(config, mean) {
  if (config.schedule === 'fgsm') return { fgsm: { eps: config.eps, mean }, schedule: /** @type {const} */ ('batch') };
  if (config.schedule === 'pgd') return { fgsm: { eps: config.eps, mean }, schedule: /** @type {const} */ ('pgd'), epsRamp: 1 };
  return undefined;
}

/**
 * The run's engine (engineFor), with a gate before every training step: a paused run waits there,
 * and the accuracies due are measured there (between two steps, on the model of that moment).
 * @implements {Engine}
 */
class PanelEngine {
  /** @param {Engine} inner */
  constructor(inner, beforeStep) {
    this.inner = inner;
    this.beforeStep = beforeStep;
    this.workers = this.inner.workers;
  }
  batchGradients(x, labels, total, step) { return this.inner.batchGradients(x, labels, total, step); }
  async trainStep(x, labels, total, step, optimizer) {
    await this.beforeStep();
    return this.inner.trainStep(x, labels, total, step, optimizer);
  }
  logits(x) { return this.inner.logits(x); }
  fgsm(x, labels, options) { return this.inner.fgsm(x, labels, options); }
  attack(x, labels, spec, index) { return this.inner.attack(x, labels, spec, index); }
  close() { return this.inner.close(); }
}

async function start(config) {
  if (run !== null) return self.postMessage({ type: 'refused', message: 'a run is in progress; stop it first' });
  const why = refusal(config, data.train === null ? null : data.train.count);
  if (why !== null) return self.postMessage({ type: 'refused', message: why });
  const raw = dataset(data.train, config.images);
  const mean = meanImage(raw.images); // [1,1,28,28]
  const trainSet = { images: subtractMean(raw.images, mean), labels: raw.labels };
  const testRaw = dataset(data.test, data.test.count);
  const test = { images: subtractMean(testRaw.images, mean), labels: testRaw.labels };
  const model = createLeNet({ seed: config.seed, init: { kind: 'matconvnet', scale: 0.01 } });
  const optimizer = new SGD(model.parameters());
  const adversarial = adversarialOf(config, mean);
  const perStep = config.schedule === 'fgsm' ? config.batchSize / 2 : config.batchSize; // images of the set per step
  const batches = Math.ceil(config.images / perStep);
  const imagesTotal = config.images * config.epochs;
  const evalEvery = config.evalEvery > 0 ? config.evalEvery : Math.max(1, Math.round(batches / 4));
  const evalSet = { images: sliceRows(test.images, config.evalCount), labels: test.labels.subarray(0, config.evalCount) };
  const controller = new AbortController();
  run = { controller, gate: null, open: () => {}, clock: performance.now(), trainMs: 0, imagesDone: 0, evalDue: null, kept: null, lastEpoch: 0 };
  const current = run;
  const measure = async () => {
    const due = current.evalDue;
    current.evalDue = null;
    if (due === null) return;
    self.postMessage({ type: 'eval', ...due, count: config.evalCount, ...(await accuracies(model, evalSet, config, mean)) });
    current.clock = performance.now(); // measuring is not training time
  };
  const engine = new PanelEngine(await engineFor(model, config.workers), async () => {
    await measure();
    if (current.gate !== null) {
      self.postMessage({ type: 'paused' });
      await current.gate;
    }
    if (controller.signal.aborted) throw controller.signal.reason;
  });
  self.postMessage({ type: 'started', imagesTotal, batches, samplesPerImage: config.schedule === 'fgsm' ? 2 : 1, workers: Math.max(1, engine.workers) });
  current.clock = performance.now(); // starting the workers is not training time
  let stopped = false;
  let message = '';
  try {
    await train(model, trainSet, {
      optimizer, epochs: config.epochs, batchSize: config.batchSize, seed: config.seed, adversarial, engine, signal: controller.signal,
      onBatch: (info) => {
        const now = performance.now();
        current.trainMs += now - current.clock;
        current.clock = now;
        const images = Math.min(info.batch * perStep, config.images); // images of the set done in this epoch
        current.imagesDone = (info.epoch - 1) * config.images + images;
        const imagesPerSecond = current.imagesDone / (current.trainMs / 1000);
        self.postMessage({
          type: 'batch', epoch: info.epoch, batch: info.batch, batches: info.batches, loss: info.loss, imagesDone: current.imagesDone, imagesTotal,
          imagesPerSecond, secondsLeft: (imagesTotal - current.imagesDone) / imagesPerSecond,
        });
        if (info.batch % evalEvery === 0 || info.batch === info.batches) current.evalDue = { epoch: info.epoch, batch: info.batch, imagesDone: current.imagesDone };
      },
      onEpoch: async (info) => {
        await measure();
        current.kept = model.parameters().map((p) => Float32Array.from(p.value.data));
        current.lastEpoch = info.epoch;
        const checkpoint = encodeCheckpoint(checkpointFromModel(model, {
          meanImage: mean, epoch: info.epoch,
          config: { source: 'the advgrad playground', schedule: config.schedule, eps: config.eps, images: config.images, batch: config.batchSize, seed: config.seed, optimizer: 'sgd', init: 'f·N(0,1), f = 0.01' },
        }));
        self.postMessage({ type: 'epoch', epoch: info.epoch, loss: info.loss, seconds: info.seconds, checkpoint }, { transfer: [/** @type {ArrayBuffer} */ (checkpoint.buffer)] });
      },
    });
  } catch (error) {
    if (!controller.signal.aborted) {
      run = null;
      return self.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    }
    stopped = true;
    // The model of the last finished epoch is the one kept (its checkpoint is the page's already).
    if (current.kept !== null) model.parameters().forEach((p, i) => p.value.data.set(current.kept[i]));
    message = current.lastEpoch === 0
      ? 'Stopped before the first epoch ended: no model is kept (a model is kept at the end of every epoch).'
      : `Stopped during epoch ${current.lastEpoch + 1}: the model of epoch ${current.lastEpoch} is kept.`;
  } finally {
    await engine.close(); // ends the nested workers, if any (the accuracies below run here)
  }
  const final = current.lastEpoch === 0 ? null : await finalAccuracies(model, test, config, mean);
  self.postMessage({ type: 'finished', stopped, epochs: current.lastEpoch, final, message });
  if (current.lastEpoch > 0 && config.curveEps.length > 0) self.postMessage(await curves(model, test, config, mean));
  run = null;
}

/** The browser benchmark (bench/browser-train.ts; benchEpochs in train-engines.js) on the served images. */
async function bench(config) {
  if (run !== null) return self.postMessage({ type: 'error', message: 'a run is in progress' });
  const { images, workers } = config;
  const why = data.train === null ? 'the training images have not loaded' : images > data.train.count ? `the page serves ${data.train.count} training images, not ${images}` : null;
  const unable = workers.map(whyOneWorker).find((reason) => reason !== null);
  if (why !== null || unable !== undefined) return self.postMessage({ type: 'error', message: `bench: ${why ?? unable}` });
  run = { controller: new AbortController(), gate: null };
  try {
    const raw = dataset(data.train, images);
    await benchEpochs({ images: subtractMean(raw.images, meanImage(raw.images)), labels: raw.labels }, config);
    self.postMessage({ type: 'bench-done' });
  } catch (error) {
    self.postMessage({ type: 'error', message: `bench: ${error instanceof Error ? error.message : String(error)}` });
  } finally {
    run = null;
  }
}

/** The first n rows of a batch tensor [N, …]. */
function sliceRows(x, n) {
  const per = x.size / x.shape[0];
  return new Tensor(x.data.slice(0, n * per), [n, ...x.shape.slice(1)]);
}

/** Clean, FGSM and PGD accuracy at the run's ε on a set (the live curves). */
async function accuracies(model, set, config, mean) {
  const acc = async (attack) => (await evaluate(model, set.images, set.labels, attack === undefined ? {} : { attack })).accuracy;
  return {
    clean: await acc(undefined),
    fgsm: await acc({ attack: 'fgsm', eps: config.eps, mean }),
    pgd: await acc({ attack: 'pgd', eps: config.eps, steps: config.evalSteps, mean, seed: 0 }),
  };
}

/** Clean and FGSM accuracy of the kept model on every test image the page has. */
async function finalAccuracies(model, test, config, mean) {
  const clean = (await evaluate(model, test.images, test.labels)).accuracy;
  const fgsm = (await evaluate(model, test.images, test.labels, { attack: { attack: 'fgsm', eps: config.eps, mean } })).accuracy;
  return { count: test.labels.length, clean, fgsm };
}

/** Accuracy against ε under FGSM and PGD, on the first curveCount test images (the panel's curve). */
async function curves(model, test, config, mean) {
  const set = { images: sliceRows(test.images, config.curveCount), labels: test.labels.subarray(0, config.curveCount) };
  const fgsm = [], pgd = [];
  for (const eps of config.curveEps) {
    const at = async (attack) => (await evaluate(model, set.images, set.labels, eps === 0 ? {} : { attack })).accuracy;
    fgsm.push({ eps, accuracy: await at({ attack: 'fgsm', eps, mean }) });
    pgd.push({ eps, accuracy: await at({ attack: 'pgd', eps, steps: config.curveSteps, mean, seed: 0, earlyStop: true }) });
  }
  return { type: 'curves', count: config.curveCount, steps: config.curveSteps, fgsm, pgd };
}

void loadData();
