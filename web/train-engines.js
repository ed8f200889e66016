// @ts-check
// Which engine trains a run of the train panel (train-worker.js): advgrad's WorkerEngine over
// nested module Web Workers (engine-worker.js) sharing memory, or InProcessEngine in the training
// worker itself, and why; and the browser benchmark's timed epochs (bench/browser-train.ts).
// Every engine gives the same weights, bit for bit (test/web/train.test.ts).
import { createLeNet, InProcessEngine, SGD, train, webWorkerSpawner, WorkerEngine } from './lib/advgrad/index.js';

/** advgrad's WorkerEngine for `model` over `workers` nested Web Workers (engine-worker.js). */
function workerEngine(model, workers) {
  return WorkerEngine.create(model, { workers, spawn: webWorkerSpawner(new URL('./engine-worker.js', import.meta.url)) });
}

/**
 * Why this worker cannot train over `requested` > 1 workers here, or null when it can: the
 * WorkerEngine's threads share SharedArrayBuffers, which a browser gives only to a cross-origin
 * isolated page, and they are Web Workers started from this one.
 */
export function whyOneWorker(requested) {
  if (requested <= 1) return null;
  if (!self.crossOriginIsolated) {
    return 'SharedArrayBuffer is unavailable because the page is not cross-origin isolated (its server must send ' +
      'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, as npm run demo does)';
  }
  if (typeof SharedArrayBuffer === 'undefined') return 'this browser has no SharedArrayBuffer, although the page is cross-origin isolated';
  if (typeof Worker === 'undefined') return 'this browser cannot start Web Workers from a Web Worker (nested workers)';
  return null;
}

/**
 * The engine for a run: advgrad's WorkerEngine over `requested` nested Web Workers when it can
 * start them, else InProcessEngine in this worker; posts the 'engine' message saying which.
 */
export async function engineFor(model, requested) {
  let reason = whyOneWorker(requested);
  if (requested > 1 && reason === null) {
    try {
      const engine = await workerEngine(model, requested);
      self.postMessage({ type: 'engine', workers: engine.workers, requested, reason: null });
      return engine;
    } catch (error) {
      reason = `the workers failed to start (${error instanceof Error ? error.message : String(error)})`;
    }
  }
  self.postMessage({ type: 'engine', workers: 1, requested, reason });
  return new InProcessEngine(model);
}

/**
 * The browser benchmark's epochs: one epoch of standard training (the panel's recipe) on
 * `trainSet` (its first `images` images, mean subtracted) at `batchSize`, for each worker count of
 * `workers`, `warmup` untimed rounds then `reps` timed ones. The clock covers train() alone (the
 * nested workers are started before it), and the counts' order reverses every round, so that a
 * drift of the machine favours none. Posts { type: 'bench-rep', round, workers, seconds,
 * imagesPerSecond } per timed epoch.
 */
export async function benchEpochs(trainSet, { images, batchSize, reps, warmup, workers }) {
  for (let round = -warmup; round < reps; round++) {
    for (const count of Math.abs(round) % 2 === 0 ? workers : [...workers].reverse()) {
      const model = createLeNet({ seed: 0, init: { kind: 'matconvnet', scale: 0.01 } });
      const engine = count > 1 ? await workerEngine(model, count) : new InProcessEngine(model);
      try {
        const t0 = performance.now();
        await train(model, trainSet, { optimizer: new SGD(model.parameters()), epochs: 1, batchSize, seed: 0, engine });
        const seconds = (performance.now() - t0) / 1000;
        if (round >= 0) self.postMessage({ type: 'bench-rep', round, workers: count, seconds, imagesPerSecond: images / seconds });
      } finally {
        await engine.close();
      }
    }
  }
}
