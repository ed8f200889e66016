/**
 * How worker threads are started, and waited for until each has built its replica: on
 * worker-main, the sibling of this module with this module's extension, so that the same code runs
 * from the TypeScript sources (under tsx or vitest) and from the compiled dist/ (plain node).
 */
import { Worker } from 'node:worker_threads';
import type { Reply, WorkerInit } from './protocol.ts';

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
 * Starts T workers with `init` (each with its index) and waits until each has built its replica
 * (its 'ready' reply). If one fails to start, all are terminated and the error names the worker.
 * The workers come back unref'd: idle, they do not keep the process alive.
 */
export async function startWorkers(T: number, init: Omit<WorkerInit, 'index'>): Promise<Worker[]> {
  const workers: Worker[] = [];
  const started: Array<Promise<void>> = [];
  for (let index = 0; index < T; index++) {
    const worker = spawnWorker({ ...init, index });
    workers.push(worker);
    started.push(
      new Promise<void>((resolve, reject) => {
        const onMessage = (m: Reply) => {
          if (m.type !== 'ready') return;
          worker.off('error', onError).off('exit', onExit).off('message', onMessage);
          resolve();
        };
        const onError = (e: Error) => reject(new Error(`WorkerEngine: worker ${index} failed to start: ${e.message}`, { cause: e }));
        const onExit = (code: number) => reject(new Error(`WorkerEngine: worker ${index} exited with code ${code} while starting`));
        worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      }),
    );
  }
  try {
    await Promise.all(started);
  } catch (error) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw error;
  }
  for (const w of workers) w.unref();
  return workers;
}
