/**
 * A Node worker thread's main (started by spawn.ts): thread-main's serveTasks on this thread's
 * parentPort, with the WorkerInit Node passed as workerData. Everything it computes is
 * thread-main's, which a browser's Web Worker runs too (web-workers.ts); only the port and the
 * test hook's exit are Node's here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Task, WorkerInit } from './protocol.ts';
import { serveTasks } from './thread-main.ts';

const port = parentPort!;
serveTasks(workerData as WorkerInit, {
  postMessage: (reply) => port.postMessage(reply),
  onMessage: (handler: (task: Task) => void) => port.on('message', handler),
}, { exit: (code) => process.exit(code) });
