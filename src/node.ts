/**
 * advgrad's "./node" entry: everything of the "." entry (src/index.ts) plus what needs Node's
 * built-in modules: MNIST from disk, IDX and checkpoint files, and the worker-thread engine.
 */
export * from './index.ts';

export { loadMnist, defaultMnistDir, loadIdxDataset, type Mnist, type LoadMnistOptions } from './io/mnist.ts';
export { readIdx, writeIdx, type IdxWriteOptions } from './io/idx-file.ts';
export { saveCheckpoint, loadCheckpoint } from './io/checkpoint-file.ts';
export { createEngine, WorkerEngine, type WorkerEngineOptions, type CreateEngineOptions } from './train/workers/engine.ts';
