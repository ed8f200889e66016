/**
 * The worst case over a suite of attacks, per example (AutoAttack's way, Croce & Hein 2020): the
 * attacks run in order, each only on the examples that every earlier one failed to fool, and an
 * example counts as robust only if it survives them all. The accuracy after each attack shows
 * which attack did the work; the last one is the figure to quote.
 */
import type { AttackOptions } from '../attacks/attack.ts';
import { describeAttack, type AttackSpec } from '../attacks/spec.ts';
import { argmaxRows } from '../tensor/reduce.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { sliceBatch, type Engine } from '../train/engine.ts';
import { evaluateAttack } from './attack-evaluation.ts';
import { standardError } from './stats.ts';

export interface WorstCaseStep {
  attack: string;
  /** Accuracy after this attack and every earlier one. */
  accuracy: number;
  standardError: number;
  /** Examples this attack fooled that every earlier one had not. */
  fooled: number;
}

export interface WorstCase {
  count: number;
  clean: number;
  steps: WorstCaseStep[];
  /** Accuracy under the whole suite. */
  accuracy: number;
  standardError: number;
  /** [N] 1 where the example survived every attack. */
  correct: Uint8Array;
}

/**
 * The default suite at ε: FGSM, PGD-40 on the cross-entropy, PGD-40 on the logit margin (which
 * survives a saturated softmax), and the margin again from four fresh random starts.
 */
export function defaultSuite(options: Pick<AttackOptions, 'eps' | 'clip' | 'mean' | 'seed'>, steps = 40): AttackSpec[] {
  const seed = options.seed ?? 0;
  return [
    { attack: 'fgsm', ...options },
    { attack: 'pgd', ...options, steps, loss: 'ce', seed },
    { attack: 'pgd', ...options, steps, loss: 'margin', seed: seed + 1 },
    { attack: 'pgd', ...options, steps, loss: 'margin', restarts: 4, seed: seed + 2 },
  ];
}

export interface WorstCaseOptions {
  batchSize?: number;
  onProgress?: (attack: string, done: number, total: number) => void;
}

/** Runs `suite` in order on the examples still classified correctly. @param images [N, C, H, W] */
export async function worstCase(engine: Engine, images: Tensor, labels: Int32Array, suite: readonly AttackSpec[], options: WorstCaseOptions = {}): Promise<WorstCase> {
  if (suite.length === 0) throw new RangeError('worstCase: the suite is empty; give at least one attack');
  const N = images.shape[0];
  const batchSize = options.batchSize ?? 500;
  const correct = new Uint8Array(N);
  for (let start = 0; start < N; start += batchSize) {
    const end = Math.min(N, start + batchSize);
    const predicted = argmaxRows(await engine.logits(sliceBatch(images, start, end))); // [n]
    predicted.forEach((k, i) => (correct[start + i] = k === labels[start + i] ? 1 : 0));
  }
  const count = (): number => correct.reduce((a, b) => a + b, 0);
  const clean = N === 0 ? NaN : count() / N;
  const steps: WorstCaseStep[] = [];
  for (const spec of suite) {
    const name = describeAttack(spec);
    const before = count();
    if (before > 0) {
      const result = await evaluateAttack(engine, images, labels, spec, { batchSize, only: correct.slice(), onProgress: (d, t) => options.onProgress?.(name, d, t) });
      for (let n = 0; n < N; n++) correct[n] &= result.correct[n];
    }
    const accuracy = count() / N;
    steps.push({ attack: name, accuracy, standardError: standardError(accuracy, N), fooled: before - count() });
  }
  const accuracy = count() / N;
  return { count: N, clean, steps, accuracy, standardError: standardError(accuracy, N), correct };
}
