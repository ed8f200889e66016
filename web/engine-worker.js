// @ts-check
// One thread of the train panel's data-parallel engine: a module Web Worker that train-worker.js
// starts (a nested worker) through advgrad's webWorkerSpawner, once per worker beyond the first
// choice. serveWebWorker() takes its first message as the thread's WorkerInit (the model's
// architecture and the SharedArrayBuffers of weights, gradients and inputs) and then computes the
// gradient shards each task names, with the very code Node's worker threads run
// (src/train/workers/thread-main.ts). It waits at the SGD step's barrier with Atomics.wait,
// which a browser allows in a worker.
import { serveWebWorker } from './lib/advgrad/index.js';

serveWebWorker();
