/**
 * The rows of examples.png: the first three test images, clean, their perturbation η and the
 * adversarial image, each with the model's prediction and confidence.
 */
import type { AttackSpec } from '../attacks/spec.ts';
import { softmaxForward } from '../layers/softmax-cross-entropy.ts';
import type { ExampleRow } from '../report/examples.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { sliceBatch, type Engine } from '../train/engine.ts';
import type { ExperimentData } from './context.ts';

/** The first three test images under `attack` on the engine's model, for the examples grid. */
export async function exampleRows(title: string, engine: Engine, data: ExperimentData, attack: AttackSpec): Promise<ExampleRow[]> {
  const count = Math.min(3, data.test.labels.length);
  const x = sliceBatch(data.test.images, 0, count); // [3, 1, 28, 28]
  const labels = data.test.labels.subarray(0, count);
  const xAdv = await engine.attack(x, labels, attack, 0); // [3, 1, 28, 28]
  const pClean = softmaxForward(await engine.logits(x)); // [3, 10]
  const pAdv = softmaxForward(await engine.logits(xAdv)); // [3, 10]
  const rows: ExampleRow[] = [];
  for (let n = 0; n < count; n++) {
    const raw = (t: Tensor): Float32Array => Float32Array.from({ length: 784 }, (_, i) => t.data[n * 784 + i] + data.mean.data[i]);
    const eta = Float32Array.from({ length: 784 }, (_, i) => xAdv.data[n * 784 + i] - x.data[n * 784 + i]);
    rows.push({ title, trueLabel: labels[n], clean: cell(raw(x), pClean, n), perturbation: eta, adversarial: cell(raw(xAdv), pAdv, n) });
  }
  return rows;
}

/** An image with the model's most probable class and its probability, "7 (0.99)". */
function cell(image: Float32Array, p: Tensor, n: number): ExampleRow['clean'] {
  let best = 0;
  for (let k = 1; k < 10; k++) if (p.data[n * 10 + k] > p.data[n * 10 + best]) best = k;
  return { image, label: `${best} (${p.data[n * 10 + best].toFixed(2)})`, predicted: best };
}
