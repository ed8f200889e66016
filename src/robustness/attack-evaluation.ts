/**
 * One attack against one model on a set of images: the paper's five metrics on the adversarial
 * examples, which examples the model still classifies correctly, and what the validity check of
 * the audit needs (how far the examples moved, NaN, pixels outside [0, 255] with clip).
 */
import { PIXEL_RANGE } from '../attacks/attack.ts';
import { checkAttackSpec, describeAttack, type AttackSpec } from '../attacks/spec.ts';
import { argmaxRows } from '../tensor/reduce.ts';
import { formatShape } from '../tensor/shape.ts';
import { allocate, Tensor } from '../tensor/tensor.ts';
import { sliceBatch, type Engine } from '../train/engine.ts';
import { MetricsAccumulator, type Metrics } from '../train/metrics.ts';

export interface AttackEvaluation {
  metrics: Metrics;
  /** [N] 1 where the model classifies the adversarial example correctly. */
  correct: Uint8Array;
  /** max over examples of ‖x_adv − x‖∞, in grey levels. */
  maxPerturbation: number;
  /** Values of x_adv that are NaN or infinite. */
  nonFinite: number;
  /** With clip: values of x_adv + mean outside [0, pixelRange] (the spec's; 255 by default). */
  outOfRange: number;
}

export interface AttackEvaluationOptions {
  /** Images per engine call (default 500; does not change the result). */
  batchSize?: number;
  /** Attack only the examples n with only[n] = 1 (default all): the metrics are then over those, and `correct` is 0 elsewhere. */
  only?: Uint8Array;
  /** Called after every batch with the number of images done. */
  onProgress?: (done: number, total: number) => void;
}

/** Tolerance of the validity check: float32 rounding of values up to 255 is below 1e-4 grey levels. */
export const ROUNDING_TOLERANCE = 1e-4;

/**
 * Attacks images [N, C, H, W] (mean-subtracted) with labels [N] through `engine`, batch by batch;
 * example n is data-set index n (it seeds its random streams).
 */
export async function evaluateAttack(engine: Engine, images: Tensor, labels: Int32Array, spec: AttackSpec, options: AttackEvaluationOptions = {}): Promise<AttackEvaluation> {
  const N = images.shape[0];
  if (labels.length !== N) throw new RangeError(`evaluateAttack: ${N} images (shape ${formatShape(images.shape)}) but ${labels.length} labels`);
  checkAttackSpec(spec);
  const batchSize = options.batchSize ?? 500;
  const P = N === 0 ? 0 : images.size / N;
  const mean = spec.clip ? spec.mean!.data : null;
  const acc = new MetricsAccumulator();
  const correct = new Uint8Array(N);
  let maxPerturbation = 0;
  let nonFinite = 0;
  let outOfRange = 0;
  for (let start = 0; start < N; start += batchSize) {
    const end = Math.min(N, start + batchSize);
    const rows = options.only === undefined ? null : rowsWhere(options.only, start, end);
    if (rows !== null && rows.length === 0) continue;
    const x = rows === null ? sliceBatch(images, start, end) : gatherImages(images, rows); // [n, C, H, W]
    const y = rows === null ? labels.subarray(start, end) : Int32Array.from(rows, (r) => labels[r]);
    const xAdv = await engine.attack(x, y, spec, rows ?? start); // each row seeded by its data-set index
    const logits = await engine.logits(xAdv); // [n, K]
    acc.add(logits, y);
    const predicted = argmaxRows(logits); // [n]
    for (let i = 0; i < y.length; i++) {
      correct[rows === null ? start + i : rows[i]] = predicted[i] === y[i] ? 1 : 0;
      for (let p = 0; p < P; p++) {
        const v = xAdv.data[i * P + p];
        if (!Number.isFinite(v)) {
          nonFinite++;
          continue;
        }
        const d = Math.abs(v - x.data[i * P + p]);
        if (d > maxPerturbation) maxPerturbation = d;
        if (mean !== null) {
          const pixel = v + mean[p];
          if (pixel < -ROUNDING_TOLERANCE || pixel > (spec.pixelRange ?? PIXEL_RANGE) + ROUNDING_TOLERANCE) outOfRange++;
        }
      }
    }
    options.onProgress?.(end, N);
  }
  return { metrics: acc.result(), correct, maxPerturbation, nonFinite, outOfRange };
}

/** Indices r in [start, end) with mask[r] = 1. */
function rowsWhere(mask: Uint8Array, start: number, end: number): number[] {
  const rows: number[] = [];
  for (let r = start; r < end; r++) if (mask[r] === 1) rows.push(r);
  return rows;
}

/** Rows `rows` of images [N, …] as a batch [rows.length, …]. */
function gatherImages(images: Tensor, rows: readonly number[]): Tensor {
  const P = images.size / images.shape[0];
  const out = allocate(images.dtype, rows.length * P);
  rows.forEach((r, i) => out.set(images.data.subarray(r * P, (r + 1) * P), i * P));
  return new Tensor(out, [rows.length, ...images.shape.slice(1)]);
}

/**
 * Every attack of `specs` on the same images, in order (an attack curve over ε), each with its
 * metrics; progress is labelled "<attack> ε = <eps>".
 */
export async function evaluateAttacks(
  engine: Engine, images: Tensor, labels: Int32Array, specs: readonly AttackSpec[], onProgress?: (label: string, done: number, total: number) => void,
): Promise<Array<{ spec: AttackSpec; metrics: Metrics }>> {
  const results = [];
  for (const spec of specs) {
    const label = `${describeAttack(spec)} ε = ${spec.eps}`;
    const evaluation = await evaluateAttack(engine, images, labels, spec, { onProgress: (done, total) => onProgress?.(label, done, total) });
    results.push({ spec, metrics: evaluation.metrics });
  }
  return results;
}
