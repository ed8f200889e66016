/**
 * The worker engine's shared memory: what lives in which SharedArrayBuffer, and the control words
 * that order the threads' reads and writes. P parameters in model.parameters() order, T threads,
 * NP parameter tensors, SHARDS gradient shards (train/step.ts):
 *
 *   params   [P]           the main model's parameters, copied in before every call
 *   grads    [SHARDS, P]   shard s's p.grad for every parameter, at s·P + offset(p)
 *   losses   [SHARDS]      float64, shard s's Σ J
 *   control  Int32         SEQ (the call's number), ARRIVED (threads at trainStep's barrier),
 *                          ABORT (trainStep's update is off: a thread failed), DONE[t] (the last
 *                          call thread t finished), CURRENT[t] (the shard or chunk thread t is on),
 *                          PRESENT[s, i] (shard s produced a gradient for parameter i; the sums
 *                          skip null grads)
 *   velocity [P]           float64, SGD's velocities during trainStep (SGD.relocate)
 *   x, labels, out         the call's inputs and the logits / attack output, grown on demand
 *
 * Ordering: the main thread writes the inputs, then Atomics.store(SEQ); a thread checks SEQ with
 * Atomics.load before reading them. A thread writes its results, then Atomics.store(DONE[t]); the
 * main thread checks DONE[t] with Atomics.load before reading them. At trainStep's barrier a thread
 * sets ABORT (if it failed) before it adds itself to ARRIVED, so a thread that sees every arrival
 * also sees any abort.
 */
import type { DType, FloatArray } from '../../tensor/tensor.ts';
import { SHARDS } from '../step.ts';
import type { WorkerInit } from './protocol.ts';

/** control[SEQ]: the number of the call whose inputs are in the shared buffers. */
export const SEQ = 0;
/** control[ARRIVED]: workers that reached trainStep's barrier in this call. */
export const ARRIVED = 1;
/** control[ABORT]: 1 when this call's update must not happen (a worker failed). */
export const ABORT = 2;

/** Offsets into the control array for T workers and NP parameter tensors. */
export function controlLayout(T: number, NP: number): { done: number; current: number; present: number; length: number } {
  const done = 3; // DONE[t] at done + t
  const current = done + T; // CURRENT[t] at current + t
  const present = current + T; // PRESENT[s, i] at present + s·NP + i
  return { done, current, present, length: present + SHARDS * NP };
}

/** Typed view of a shared buffer in a dtype. */
export function floatView(dtype: DType, buffer: SharedArrayBuffer, length?: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(buffer, 0, length) : new Float32Array(buffer, 0, length);
}

/** Capacity for a buffer that must hold `need` bytes: at least double the old, to amortise. */
export function grow(old: number, need: number): number {
  return Math.max(need, 2 * old);
}

/** The views of a WorkerInit's shared buffers, as the engine and every thread see them. */
export interface SharedViews {
  /** Offset of each parameter in `params` and in a shard's slot of `grads`. */
  offsets: number[];
  /** Elements of all parameters. */
  P: number;
  params: FloatArray; // [P]
  grads: FloatArray; // [SHARDS, P]
  losses: Float64Array; // [SHARDS]
  control: Int32Array;
  layout: ReturnType<typeof controlLayout>;
}

/** The views of `init`'s buffers, the parameters laid out in init.sizes order. */
export function sharedViews(init: Omit<WorkerInit, 'index'>): SharedViews {
  const offsets: number[] = [];
  let P = 0;
  for (const size of init.sizes) {
    offsets.push(P);
    P += size;
  }
  return {
    offsets, P,
    params: floatView(init.dtype, init.params),
    grads: floatView(init.dtype, init.grads),
    losses: new Float64Array(init.losses),
    control: new Int32Array(init.control),
    layout: controlLayout(init.workers, init.sizes.length),
  };
}
