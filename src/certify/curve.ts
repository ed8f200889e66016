/**
 * The runs behind `advgrad certify` over a test set, batch by batch: the certified accuracy at each
 * ε of a list (the curve), and each image's certified radius with its mean and median. Progress goes
 * to the caller's `task`; the timings are wall-clock seconds of the whole set.
 */
import { Tensor } from '../tensor/tensor.ts';
import { certifyBatch, type CertifyOptions } from './certify.ts';
import type { BoundNetwork } from './network.ts';
import { certifiedAccuracy, certifiedRadius, type CertifiedAccuracy } from './radius.ts';

/** Where progress goes: a label, the images done and the total. */
export interface TaskProgress {
  task(label: string, done: number, total: number): void;
}

/** The certified accuracy at one ε, with the seconds the set took. */
export interface CertifiedPoint extends CertifiedAccuracy {
  eps: number;
  seconds: number;
}

/** Every image's certified radius, their mean and median, and the seconds the set took. */
export interface CertifiedRadii {
  perImage: number[];
  mean: number;
  median: number;
  seconds: number;
}

/** Rows [start, start + count) of x [N, …] as a tensor sharing its storage. */
function rows(x: Tensor, start: number, count: number): Tensor {
  const S = x.size / x.shape[0];
  return new Tensor(x.data.subarray(start * S, (start + count) * S), [count, ...x.shape.slice(1)]);
}

/** Runs fn on consecutive batches of images, reporting progress. */
function inBatches(N: number, batch: number, progress: TaskProgress, label: string, fn: (start: number, count: number) => void): void {
  for (let start = 0; start < N; start += batch) {
    fn(start, Math.min(batch, N - start));
    progress.task(label, Math.min(start + batch, N), N);
  }
}

/**
 * The certified accuracy of the images at every ε of `epsList`, in order.
 * @param images [N, …] mean-subtracted  @param labels [N]
 */
export function certifiedCurve(
  net: BoundNetwork, images: Tensor, labels: Int32Array, epsList: readonly number[], options: Omit<CertifyOptions, 'eps'>, batch: number, progress: TaskProgress,
): CertifiedPoint[] {
  const N = labels.length;
  const points: CertifiedPoint[] = [];
  for (const eps of epsList) {
    const certified: boolean[] = [];
    const t0 = performance.now();
    inBatches(N, batch, progress, `${options.method} ε = ${eps}`, (start, count) => {
      certified.push(...certifyBatch(net, rows(images, start, count), labels.subarray(start, start + count), { ...options, eps }).certified);
    });
    points.push({ eps, ...certifiedAccuracy(certified), seconds: (performance.now() - t0) / 1000 });
  }
  return points;
}

/**
 * Every image's certified radius by bisection (certify/radius.ts), with their mean and median.
 * @param images [N, …] mean-subtracted  @param labels [N]
 */
export function certifiedRadii(
  net: BoundNetwork, images: Tensor, labels: Int32Array, options: Omit<CertifyOptions, 'eps'> & { maxEps: number; tolerance: number }, batch: number, progress: TaskProgress,
): CertifiedRadii {
  const N = labels.length;
  const perImage: number[] = [];
  const t0 = performance.now();
  inBatches(N, batch, progress, `${options.method} radius`, (start, count) => {
    perImage.push(...certifiedRadius(net, rows(images, start, count), labels.subarray(start, start + count), options).radius);
  });
  const sorted = [...perImage].sort((a, b) => a - b);
  return { perImage, mean: perImage.reduce((a, b) => a + b, 0) / N, median: sorted[Math.floor((N - 1) / 2)], seconds: (performance.now() - t0) / 1000 };
}
