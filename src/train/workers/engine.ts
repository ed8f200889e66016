/**
 * The worker engine in Node: worker-engine.ts's WorkerEngine on node:worker_threads (spawn.ts),
 * and createEngine, which picks the in-process engine or this one by the number of workers. This
 * is the "./node" entry's WorkerEngine; the "." entry's (the same class, below it) needs a
 * ThreadSpawner, as a browser gives with webWorkerSpawner (web-workers.ts).
 */
import type { Module } from '../../layers/module.ts';
import { isNamedModel, type NamedModel } from '../../models/registry.ts';
import { InProcessEngine, type Engine } from '../engine.ts';
import { spawnNodeThread } from './spawn.ts';
import { notNamed, WorkerEngine as AnyThreadsEngine, type WorkerEngineOptions } from './worker-engine.ts';

export type { WorkerEngineOptions } from './worker-engine.ts';

/** Options of createEngine (the workers are its second argument). */
export type CreateEngineOptions = Omit<WorkerEngineOptions, 'workers'>;

/** The worker engine whose threads are Node's worker threads unless options.spawn says otherwise. */
export class WorkerEngine extends AnyThreadsEngine {
  /**
   * Starts the workers, each with a replica of the model's architecture whose parameters are
   * overwritten from the main model before every call. Rejects if a worker fails to start.
   */
  static override async create(model: NamedModel, options: WorkerEngineOptions): Promise<WorkerEngine> {
    return new WorkerEngine(await super.startThreads(model, { ...options, spawn: options.spawn ?? spawnNodeThread }));
  }
}

/**
 * An engine for `model`: InProcessEngine for 0 workers, else a WorkerEngine with that many
 * threads (1 still uses a worker thread). Close it when done.
 */
export async function createEngine(model: Module, workers: number, options: CreateEngineOptions = {}): Promise<Engine> {
  if (workers === 0) return new InProcessEngine(model);
  if (!isNamedModel(model)) throw new TypeError(`createEngine: ${workers} workers: ${notNamed(model)}; use 0 workers for other modules`);
  return WorkerEngine.create(model, { ...options, workers });
}
