/**
 * How Node starts a worker thread for the worker engine: on worker-main, the sibling of this
 * module with this module's extension, so that the same code runs from the TypeScript sources
 * (under tsx or vitest) and from the compiled dist/ (plain node); wrapped as the ThreadPort the
 * engine talks to (thread-port.ts waits for every thread to be ready).
 */
import { Worker } from 'node:worker_threads';
import type { WorkerInit } from './protocol.ts';
import type { ThreadPort } from './thread-port.ts';

/**
 * Starts a worker on worker-main, the sibling of this module with this module's extension: the
 * compiled .js beside the compiled workers.js (dist/, plain node), or the .ts source (src/, under
 * tsx or vitest). Node cannot load .ts by itself, and Node 20 ignores a parent's `--import tsx` in
 * worker threads (nodejs/node#47747), so for .ts a bootstrap imports the entry and, only if Node
 * refuses the .ts extension (no loader active in this thread), registers tsx's hooks here and
 * imports it again (under another URL: the failed import stays cached). A Node that does pass the
 * parent's loader on to workers thus does not get tsx twice. The parent's execArgv is inherited
 * (passing it explicitly would reject per-process flags such as --max-old-space-size).
 */
function spawnWorker(init: WorkerInit): Worker {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const entry = new URL(`./worker-main${extension}`, import.meta.url);
  if (extension === '.js') return new Worker(entry, { workerData: init });
  let tsx: string | null = null;
  try {
    tsx = import.meta.resolve('tsx/esm/api');
  } catch {
    // no tsx installed: the bootstrap then reports that the entry needs a TypeScript loader
  }
  const code = `const entry = ${JSON.stringify(entry.href)};
const tsx = ${JSON.stringify(tsx)};
import(entry).catch((error) => {
  if (error?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
  if (tsx === null) throw new Error('cannot load ' + entry + ' in a worker thread: install tsx (a TypeScript loader)', { cause: error });
  return import(tsx).then((api) => { api.register(); return import(entry + '?tsx'); });
});`;
  return new Worker(code, { eval: true, workerData: init });
}

/**
 * A worker thread on worker-main as a ThreadPort (thread-port.ts): the engine's view of a thread,
 * the same for Node's worker_threads and a browser's Web Workers.
 */
export function spawnNodeThread(init: WorkerInit): ThreadPort {
  const worker = spawnWorker(init);
  const on = <A extends unknown[]>(event: 'message' | 'error' | 'exit', handler: (...args: A) => void): (() => void) => {
    const listener = handler as (...args: unknown[]) => void;
    worker.on(event, listener);
    return () => worker.off(event, listener);
  };
  return {
    postMessage: (task) => worker.postMessage(task),
    onMessage: (handler) => on('message', handler),
    onError: (handler) => on('error', handler),
    onExit: (handler) => on('exit', handler),
    terminate: () => worker.terminate(),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
  };
}
