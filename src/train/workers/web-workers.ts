/**
 * The worker engine's threads in a browser: each a module Web Worker whose script calls
 * serveWebWorker(), which serves thread-main's tasks. The main side, webWorkerSpawner(script),
 * starts one per thread and posts it its WorkerInit as the first message (Node passes it as
 * workerData instead; spawn.ts). The engine's shared buffers travel in that message, so the page
 * must be cross-origin isolated (COOP same-origin, COEP require-corp): only then does a browser
 * have SharedArrayBuffer and share it between workers. The threads wait at trainStep's barrier
 * with Atomics.wait, which a browser allows in a worker (a page's main thread may still host the
 * engine itself: it never waits).
 *
 * A Web Worker reports no exit; a thread that throws outside a task, or whose script fails to
 * load, arrives as an 'error' event, which the engine treats as a crash (thread-port.ts).
 */
import type { Task, WorkerInit } from './protocol.ts';
import { serveTasks } from './thread-main.ts';
import type { ThreadPort, ThreadSpawner } from './thread-port.ts';

/** An event of a Web Worker, as far as this file reads it (MessageEvent, ErrorEvent). */
interface WorkerEvent {
  data?: unknown;
  message?: string;
}

/** The part of a Worker (the main side) or of a worker's global scope that this file uses. */
interface WebWorkerLike {
  postMessage(message: unknown): void;
  addEventListener(type: string, listener: (event: WorkerEvent) => void): void;
  removeEventListener(type: string, listener: (event: WorkerEvent) => void): void;
}

type WorkerConstructor = new (script: string | URL, options: { type: 'module'; name?: string }) => WebWorkerLike & { terminate(): void };

/**
 * A ThreadSpawner that starts each thread as a module Web Worker on `script` (a module whose top
 * level calls serveWebWorker()), for WorkerEngine.create's `spawn` option.
 */
export function webWorkerSpawner(script: string | URL): ThreadSpawner {
  const Worker = (globalThis as unknown as { Worker?: WorkerConstructor }).Worker;
  if (Worker === undefined) throw new Error('webWorkerSpawner: this JavaScript environment has no Worker (a browser page or a dedicated worker has; in Node use advgrad/node)');
  return (init: WorkerInit): ThreadPort => {
    const worker = new Worker(script, { type: 'module', name: `advgrad worker ${init.index}` });
    const on = (type: string, listener: (event: WorkerEvent) => void): (() => void) => {
      worker.addEventListener(type, listener);
      return () => worker.removeEventListener(type, listener);
    };
    const failure = (event: WorkerEvent, what: string): Error => new Error(event.message ?? what);
    worker.postMessage(init); // the first message: the worker's WorkerInit
    return {
      postMessage: (task) => worker.postMessage(task),
      onMessage: (handler) => on('message', (event) => handler(event.data as Parameters<typeof handler>[0])),
      onError: (handler) => {
        const offError = on('error', (event) => handler(failure(event, `the worker script ${String(script)} failed to load or threw`)));
        const offMessageError = on('messageerror', (event) => handler(failure(event, 'a message to the engine could not be read')));
        return () => {
          offError();
          offMessageError();
        };
      },
      onExit: () => () => {}, // no such event for a Web Worker
      terminate: async () => worker.terminate(),
    };
  };
}

/**
 * A Web Worker's main for the worker engine: call it at the top level of the worker's script. The
 * first message is the thread's WorkerInit; every later one a task (thread-main.ts).
 */
export function serveWebWorker(): void {
  const scope = globalThis as unknown as WebWorkerLike;
  const first = (event: WorkerEvent): void => {
    scope.removeEventListener('message', first);
    serveTasks(event.data as WorkerInit, {
      postMessage: (reply) => scope.postMessage(reply),
      onMessage: (handler) => scope.addEventListener('message', (e) => handler(e.data as Task)),
    });
  };
  scope.addEventListener('message', first);
}
