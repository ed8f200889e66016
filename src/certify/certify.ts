/**
 * Certificates of robustness: an image x with label y is certified at ε when every point of its
 * input box (ibp.ts) gives logits with
 *
 *   z_y − z_j > 0   for every j ≠ y,
 *
 * shown by a lower bound of each margin that is positive. A certified image cannot be fooled by any
 * attack at that ε, so the certified accuracy is a lower bound of the robust accuracy, as an
 * attacked accuracy is an upper bound.
 *
 * A margin is a linear function of the logits, and the logits an affine function of the last
 * hidden layer h: z_y − z_j = (w_y − w_j)·h + (b_y − b_j). Both methods fold this last layer in
 * ("elision", Gowal et al. 2018), which is never looser than subtracting the logits' intervals:
 *   ibp    the exact minimum of that affine function over h's IBP box
 *   crown  the same function carried back to the input by linear relaxations (crown.ts), with IBP
 *          boxes for every intermediate layer (or, with intermediate 'crown', the ReLU inputs'
 *          boxes tightened by CROWN itself first); the result is the larger of this and the ibp
 *          bound, both being sound.
 * More generally any linear function of the logits (a "spec" row) is bounded the same way.
 *
 * Bounds are computed in float64 for the network in exact arithmetic; float64 rounding (relative
 * 1e-16 per operation) is far below every margin we call positive, but a bound is not a proof
 * about the float32 forward pass, whose own rounding is larger.
 */
import type { Tensor } from '../tensor/tensor.ts';
import { backLayer, backSubstitute, concretizeLower, imageBox, type LinearRows, type ReluLowerSlope } from './crown.ts';
import { ibpLayer, inputBox, propagateBoxes, type Box, type InputBoxOptions } from './ibp.ts';
import type { BoundNetwork } from './network.ts';

/** 'ibp': interval bounds; 'crown': linear relaxations (never looser than ibp). */
export type CertifyMethod = 'ibp' | 'crown';

export const CERTIFY_METHODS: readonly CertifyMethod[] = ['ibp', 'crown'];

export interface CertifyOptions extends InputBoxOptions {
  /** Default 'crown'. */
  method?: CertifyMethod;
  /** crown: the lower line of an unstable ReLU (crown.ts); default 'adaptive'. */
  reluSlope?: ReluLowerSlope;
  /**
   * crown: where the boxes of the ReLUs' inputs come from: 'ibp' (default), or 'crown', which
   * bounds each such neuron by back-substitution too (two rows per neuron: tighter, and as many
   * transposed passes per image as the ReLU layers have neurons, times two).
   */
  intermediate?: 'ibp' | 'crown';
  /** crown with intermediate 'crown': rows carried back at once (memory ∝ rows × layer size); default 64. */
  chunk?: number;
}

/** Lower bounds of M linear functions of the logits per image. */
export interface SpecBounds {
  /** The bound used: ibp's, or the larger of crown's and ibp's. [N, M] */
  lower: Float64Array;
  /** The IBP bound with the last layer folded in (with intermediate 'crown', from the tightened boxes). [N, M] */
  ibp: Float64Array;
  /** The CROWN back-substitution bound alone, or null under 'ibp'. [N, M] */
  crown: Float64Array | null;
}

function checkMethod(options: CertifyOptions): void {
  const { method = 'crown', reluSlope = 'adaptive', intermediate = 'ibp', chunk = 64 } = options;
  if (!CERTIFY_METHODS.includes(method)) throw new RangeError(`certify: method must be one of ${CERTIFY_METHODS.join(', ')}, got '${String(method)}'`);
  if (reluSlope !== 'adaptive' && reluSlope !== 'zero') throw new RangeError(`certify: reluSlope must be 'adaptive' or 'zero', got '${String(reluSlope)}'`);
  if (intermediate !== 'ibp' && intermediate !== 'crown') throw new RangeError(`certify: intermediate must be 'ibp' or 'crown', got '${String(intermediate)}'`);
  if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`certify: chunk must be an integer ≥ 1, got ${String(chunk)}`);
}

/** The size of layer k's input per image (k = L: the logits). */
function sizeAt(net: BoundNetwork, k: number): number {
  return k < net.layers.length ? net.layers[k].inSize : net.classes;
}

/**
 * Tightens the box at every ReLU's input by CROWN (rows ±eᵢ for each neuron, carried back to the
 * input), intersected with the IBP box, and re-propagates the boxes after it. Sound since both
 * boxes contain every reachable value, so their intersection does.
 */
function tightenReluInputs(net: BoundNetwork, boxes: Box[], N: number, slope: ReluLowerSlope, chunk: number): void {
  for (let k = 0; k < net.layers.length; k++) {
    if (net.layers[k].kind !== 'relu') continue;
    const S = sizeAt(net, k);
    for (let n = 0; n < N; n++) {
      const at = (j: number): ReturnType<typeof imageBox> => imageBox(boxes[j], n, sizeAt(net, j));
      const box = at(k);
      for (let start = 0; start < S; start += chunk) {
        const count = Math.min(chunk, S - start);
        const M = 2 * count;
        const A = new Float64Array(M * S); // [M, S]: rows +eᵢ then −eᵢ
        for (let r = 0; r < count; r++) {
          A[r * S + start + r] = 1;
          A[(count + r) * S + start + r] = -1;
        }
        const rows = backSubstitute(net, { A, c: new Float64Array(M), M }, k, 0, at, slope);
        const low = concretizeLower(rows, at(0)); // [M]
        for (let r = 0; r < count; r++) {
          const i = start + r;
          box.lower[i] = Math.max(box.lower[i], low[r]);
          box.upper[i] = Math.min(box.upper[i], -low[count + r]);
        }
      }
    }
    for (let j = k; j < net.layers.length; j++) boxes[j + 1] = ibpLayer(net.layers[j], boxes[j], N);
  }
}

/**
 * Lower bounds of spec·z for every image: spec [N, M, K] (M rows of K logit coefficients per image).
 * @param x [N, …] mean-subtracted images
 */
export function specLowerBounds(net: BoundNetwork, x: Tensor, spec: Float64Array, M: number, options: CertifyOptions): SpecBounds {
  checkMethod(options);
  const { method = 'crown', reluSlope = 'adaptive', intermediate = 'ibp', chunk = 64 } = options;
  const N = x.shape[0];
  const K = net.classes;
  if (x.size !== N * net.inSize) throw new RangeError(`certify: each image must hold ${net.inSize} values (shape [N, ${net.inShape.join(', ')}]), got x with ${x.size / N}`);
  if (spec.length !== N * M * K) throw new RangeError(`certify: spec must hold ${N} images × ${M} rows × ${K} logits = ${N * M * K} values, got ${spec.length}`);
  const boxes = propagateBoxes(net, inputBox(x, options), N);
  if (method === 'crown' && intermediate === 'crown') tightenReluInputs(net, boxes, N, reluSlope, chunk);
  const L = net.layers.length;
  const ibp = new Float64Array(N * M); // [N, M]
  const crown = method === 'crown' ? new Float64Array(N * M) : null; // [N, M]
  const lower = new Float64Array(N * M); // [N, M]
  for (let n = 0; n < N; n++) {
    const at = (k: number): ReturnType<typeof imageBox> => imageBox(boxes[k], n, sizeAt(net, k));
    const rows: LinearRows = { A: spec.slice(n * M * K, (n + 1) * M * K), c: new Float64Array(M), M };
    const folded = backLayer(net.layers[L - 1], rows, at(L - 1), reluSlope); // functions of the last hidden layer
    const fromIbp = concretizeLower(folded, at(L - 1));
    ibp.set(fromIbp, n * M);
    if (crown === null) {
      lower.set(fromIbp, n * M);
      continue;
    }
    const fromCrown = concretizeLower(backSubstitute(net, folded, L - 1, 0, at, reluSlope), at(0));
    crown.set(fromCrown, n * M);
    for (let m = 0; m < M; m++) lower[n * M + m] = Math.max(fromCrown[m], fromIbp[m]);
  }
  return { lower, ibp, crown };
}

/** The margin spec: row j of image n is e_y − e_j for each j ≠ y, in order of j. [N, K − 1, K] */
export function marginSpec(labels: ArrayLike<number>, K: number): Float64Array {
  const N = labels.length;
  const spec = new Float64Array(N * (K - 1) * K); // [N, K − 1, K]
  for (let n = 0; n < N; n++) {
    const y = labels[n];
    if (!Number.isInteger(y) || y < 0 || y >= K) throw new RangeError(`certify: label ${String(y)} of image ${n} is not a class in 0..${K - 1}`);
    let row = 0;
    for (let j = 0; j < K; j++) {
      if (j === y) continue;
      const off = (n * (K - 1) + row) * K; // seek to spec[n, row, 0]
      spec[off + y] = 1;
      spec[off + j] = -1;
      row++;
    }
  }
  return spec;
}

/** What certification found for N images. */
export interface Certificate {
  /** Lower bounds of z_y − z_j for j ≠ y in order of j. [N, K − 1] */
  margins: Float64Array;
  /** The smallest of each image's margin bounds: certified exactly when > 0. [N] */
  worst: Float64Array;
  certified: boolean[];
  /** The same bounds from IBP alone and (crown) from back-substitution alone. */
  bounds: SpecBounds;
}

/**
 * Certifies each image at its ε: all margin lower bounds positive.
 * @param x [N, …] mean-subtracted images  @param labels [N] true labels
 */
export function certifyBatch(net: BoundNetwork, x: Tensor, labels: ArrayLike<number>, options: CertifyOptions): Certificate {
  const N = x.shape[0];
  const K = net.classes;
  if (K < 2) throw new RangeError(`certify: a margin needs at least 2 classes, the network has ${K}`);
  if (labels.length !== N) throw new RangeError(`certify: ${N} images but ${labels.length} labels`);
  const bounds = specLowerBounds(net, x, marginSpec(labels, K), K - 1, options);
  const worst = new Float64Array(N); // [N]
  const certified: boolean[] = [];
  for (let n = 0; n < N; n++) {
    let w = Infinity;
    for (let m = 0; m < K - 1; m++) w = Math.min(w, bounds.lower[n * (K - 1) + m]);
    worst[n] = w;
    certified.push(w > 0);
  }
  return { margins: bounds.lower, worst, certified, bounds };
}

/** Lower and upper bounds of every logit [N, K], from the rows ±e_k. */
export function logitBounds(net: BoundNetwork, x: Tensor, options: CertifyOptions): { lower: Float64Array; upper: Float64Array } {
  const N = x.shape[0];
  const K = net.classes;
  const spec = new Float64Array(N * 2 * K * K); // [N, 2K, K]
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) {
      spec[(n * 2 * K + k) * K + k] = 1;
      spec[(n * 2 * K + K + k) * K + k] = -1;
    }
  const { lower: both } = specLowerBounds(net, x, spec, 2 * K, options);
  const lower = new Float64Array(N * K); // [N, K]
  const upper = new Float64Array(N * K); // [N, K]
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) {
      lower[n * K + k] = both[n * 2 * K + k];
      upper[n * K + k] = -both[n * 2 * K + K + k];
    }
  return { lower, upper };
}
