/**
 * Evaluation: the seed's five metrics (train/metrics.ts) on clean images or on their adversarial
 * examples, batch by batch, without building a graph. With `attack` (FGSM options, as the seed,
 * or any AttackSpec), each batch's adversarial examples are made from the model being evaluated
 * (a white-box attack). Per-example results and curves live in robustness/.
 */
import type { FgsmOptions } from '../attacks/fgsm.ts';
import { checkAttackSpec, type AttackSpec } from '../attacks/spec.ts';
import type { Module } from '../layers/module.ts';
import { formatShape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { InProcessEngine, sliceBatch, type Engine } from './engine.ts';
import { yieldToEventLoop } from './train.ts';
import { MetricsAccumulator, type Metrics } from './metrics.ts';

export interface EvaluateOptions {
  /** Images per forward pass (default 500; does not change the result). */
  batchSize?: number;
  /** Evaluate on adversarial examples of the images: FGSM options, or any attack's spec. */
  attack?: FgsmOptions | AttackSpec;
  /** Where to compute (default: this thread). */
  engine?: Engine;
  /** Called after every batch with the number of images done. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The five metrics of `model` on images [N, 1, 28, 28] (mean-subtracted) and labels [N].
 */
export async function evaluate(model: Module, images: Tensor, labels: Int32Array, options: EvaluateOptions = {}): Promise<Metrics> {
  const N = images.shape[0];
  if (labels.length !== N) throw new RangeError(`evaluate: ${N} images (shape ${formatShape(images.shape)}) but ${labels.length} labels`);
  const spec: AttackSpec | null = options.attack === undefined ? null : 'attack' in options.attack ? options.attack : { attack: 'fgsm', ...options.attack };
  if (spec !== null) checkAttackSpec(spec);
  const batchSize = options.batchSize ?? 500;
  const engine = options.engine ?? new InProcessEngine(model);
  const acc = new MetricsAccumulator();
  for (let start = 0; start < N; start += batchSize) {
    await yieldToEventLoop(); // keep signals and timers alive between batches
    const end = Math.min(N, start + batchSize);
    const y = labels.subarray(start, end);
    let x = sliceBatch(images, start, end);
    if (spec !== null) x = await engine.attack(x, y, spec, start); // row i is example start + i
    acc.add(await engine.logits(x), y);
    options.onProgress?.(end, N);
  }
  return acc.result();
}
