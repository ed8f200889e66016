/**
 * Certified radius and certified accuracy.
 *
 * Radius: for each image, the largest ε in [0, maxEps] at which it is certified, by bisection:
 *   lo = 0 (certified, else the radius is 0 and the image is not certified at all), hi = maxEps
 *   (certified there: the radius is maxEps); then while hi − lo > tolerance: mid = (lo + hi)/2,
 *   lo = mid if certified at mid, else hi = mid.
 * Every reported radius is an ε at which the image was certified, so it is a sound radius whatever
 * the shape of the bound in ε; it is the largest one to within `tolerance` when certification is
 * monotone in ε (IBP's is: a larger box contains a smaller one, and every step of the propagation
 * is monotone in its input box). All images are bisected together, each with its own ε.
 *
 * Certified accuracy at ε: the share of images certified, a binomial proportion, reported with
 * its standard error √(p(1 − p)/n).
 */
import { standardError } from '../robustness/stats.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { certifyBatch, type CertifyOptions } from './certify.ts';
import type { BoundNetwork } from './network.ts';

export interface RadiusOptions extends Omit<CertifyOptions, 'eps'> {
  /** The largest ε tried, a fraction of the pixel range in (0, 1]; default 1. */
  maxEps?: number;
  /** Stop when the bracket is this narrow (fraction of the pixel range, > 0); default 1e-3. */
  tolerance?: number;
}

export interface Radii {
  /** Each image's certified radius (0 when not certified even at ε = 0). [N] */
  radius: Float64Array;
  /** Certified at ε = 0: correctly classified with every margin positive. [N] */
  certifiedAtZero: boolean[];
  /** Bisection steps run. */
  steps: number;
}

/**
 * Certified radii of N images by bisection over ε.
 * @param x [N, …] mean-subtracted images  @param labels [N] true labels
 */
export function certifiedRadius(net: BoundNetwork, x: Tensor, labels: ArrayLike<number>, options: RadiusOptions = {}): Radii {
  const { maxEps = 1, tolerance = 1e-3, ...certifyOptions } = options;
  if (!Number.isFinite(maxEps) || maxEps <= 0 || maxEps > 1) throw new RangeError(`certify: maxEps must be in (0, 1], got ${String(maxEps)}`);
  if (!Number.isFinite(tolerance) || tolerance <= 0) throw new RangeError(`certify: tolerance must be a positive fraction of the pixel range, got ${String(tolerance)}`);
  const N = x.shape[0];
  const atZero = certifyBatch(net, x, labels, { ...certifyOptions, eps: 0 }).certified;
  const atMax = certifyBatch(net, x, labels, { ...certifyOptions, eps: maxEps }).certified;
  const lo = new Float64Array(N); // [N]
  const hi = new Float64Array(N).fill(maxEps); // [N]
  for (let n = 0; n < N; n++) if (atMax[n] && atZero[n]) lo[n] = maxEps;
  let steps = 0;
  while (true) {
    const mid = new Float64Array(N); // [N]
    let open = false;
    for (let n = 0; n < N; n++) {
      const running = atZero[n] && hi[n] - lo[n] > tolerance;
      open ||= running;
      mid[n] = running ? 0.5 * (lo[n] + hi[n]) : lo[n];
    }
    if (!open) break;
    const { certified } = certifyBatch(net, x, labels, { ...certifyOptions, eps: mid });
    steps++;
    for (let n = 0; n < N; n++) {
      if (!atZero[n] || hi[n] - lo[n] <= tolerance) continue;
      if (certified[n]) lo[n] = mid[n];
      else hi[n] = mid[n];
    }
  }
  return { radius: lo, certifiedAtZero: atZero, steps };
}

/** A certified accuracy with its standard error, over `count` images. */
export interface CertifiedAccuracy {
  accuracy: number;
  standardError: number;
  certified: number;
  count: number;
}

/** The share of `certified` that is true, with its standard error. */
export function certifiedAccuracy(certified: readonly boolean[]): CertifiedAccuracy {
  const count = certified.length;
  const k = certified.filter(Boolean).length;
  const accuracy = count > 0 ? k / count : NaN;
  return { accuracy, standardError: standardError(accuracy, count), certified: k, count };
}
