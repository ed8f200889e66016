/**
 * What the worker engine needs of a thread, whatever runs it: Node's worker_threads (spawn.ts,
 * behind the "./node" entry) or a browser's Web Workers (web-workers.ts). The engine
 * (worker-engine.ts) and a thread's main (thread-main.ts) talk only through these two interfaces,
 * so the state machine, the protocol and the shared memory are one code for both.
 *
 *   ThreadPort    the main side's handle on one thread: post a Task, hear its Replies, its
 *                 crash and (where the runtime reports it) its exit, terminate it.
 *   TaskPort      the thread's side: hear Tasks, post Replies.
 *   ThreadSpawner starts one thread on thread-main's serveTasks with its WorkerInit (Node passes
 *                 it as workerData, a Web Worker gets it as its first message).
 *
 * The messages never carry data (protocol.ts): the shared buffers travel once, in the WorkerInit,
 * and a runtime must share them rather than copy them (SharedArrayBuffer; in a browser only a
 * cross-origin isolated page has it).
 */
import type { Reply, Task, WorkerInit } from './protocol.ts';

/** The main side's handle on one thread. Each `on…` returns a function that removes the handler. */
export interface ThreadPort {
  postMessage(task: Task): void;
  onMessage(handler: (reply: Reply) => void): () => void;
  /** An uncaught error in the thread (or its script failing to load): the thread is lost. */
  onError(handler: (error: Error) => void): () => void;
  /** The thread ended with an exit code (Node; a Web Worker has no such event, its losses arrive as onError). */
  onExit(handler: (code: number) => void): () => void;
  terminate(): Promise<unknown>;
  /** Node: keep the process alive while a call is in flight (ref) and let it exit while idle (unref). */
  ref?(): void;
  unref?(): void;
}

/** A thread's side of its port: the tasks it hears, the replies it posts. */
export interface TaskPort {
  postMessage(reply: Reply): void;
  onMessage(handler: (task: Task) => void): void;
}

/** Starts one thread serving tasks (thread-main.ts) with `init`; it posts 'ready' once its replica is built. */
export type ThreadSpawner = (init: WorkerInit) => ThreadPort;

/**
 * Starts T threads with `init` (each with its index) and waits until each has built its replica
 * (its 'ready' reply). If one fails to start, all are terminated and the error names the thread.
 * The threads come back unref'd where the runtime has it: idle, they do not keep a process alive.
 */
export async function startThreads(T: number, init: Omit<WorkerInit, 'index'>, spawn: ThreadSpawner): Promise<ThreadPort[]> {
  const ports: ThreadPort[] = [];
  const started: Array<Promise<void>> = [];
  for (let index = 0; index < T; index++) {
    let port: ThreadPort;
    try {
      port = spawn({ ...init, index });
    } catch (error) {
      await Promise.all(ports.map((p) => p.terminate()));
      throw new Error(`WorkerEngine: worker ${index} failed to start: ${(error as Error).message}`, { cause: error });
    }
    ports.push(port);
    started.push(
      new Promise<void>((resolve, reject) => {
        const off: Array<() => void> = [];
        const stop = (): void => off.forEach((f) => f());
        off.push(
          port.onMessage((m) => {
            if (m.type !== 'ready') return;
            stop();
            resolve();
          }),
          port.onError((e) => {
            stop();
            reject(new Error(`WorkerEngine: worker ${index} failed to start: ${e.message}`, { cause: e }));
          }),
          port.onExit((code) => {
            stop();
            reject(new Error(`WorkerEngine: worker ${index} exited with code ${code} while starting`));
          }),
        );
      }),
    );
  }
  try {
    await Promise.all(started);
  } catch (error) {
    await Promise.all(ports.map((p) => p.terminate()));
    throw error;
  }
  for (const p of ports) p.unref?.();
  return ports;
}
