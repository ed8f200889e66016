/**
 * Robustness curves: accuracy against ε for an attack (Foolbox's `epsilons`), the picture that shows
 * at a glance whether a defence holds, degrades gracefully, or only hides (a curve that rises with
 * ε, or that stays far above chance at ε = 0.5, is measuring the attack, not the model).
 */
import type { AttackSpec } from '../attacks/spec.ts';
import { describeAttack } from '../attacks/spec.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Engine } from '../train/engine.ts';
import { evaluateAttack, type AttackEvaluation } from './attack-evaluation.ts';
import { standardError } from './stats.ts';

/** The default ε grid, as fractions of the pixel range: 0 to 0.5 (0.5 reaches a uniform grey). */
export const DEFAULT_EPSILONS: readonly number[] = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5];

export interface CurvePoint {
  eps: number;
  accuracy: number;
  standardError: number;
  count: number;
}

export interface Curve {
  /** The attack's short name (fgsm, pgd, …) and its one-line description. */
  attack: AttackSpec['attack'];
  description: string;
  points: CurvePoint[];
}

/** Throws unless `epsilons` is a non-empty list of fractions in [0, 1]. */
export function checkEpsilons(what: string, epsilons: readonly number[]): void {
  if (!Array.isArray(epsilons) || epsilons.length === 0) throw new RangeError(`${what}: the ε list is empty; give at least one ε in [0, 1]`);
  for (const eps of epsilons) {
    if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0 || eps > 1) {
      throw new RangeError(`${what}: every ε must be a fraction of the pixel range in [0, 1] (0.25 = 63.75 grey levels), got ${String(eps)}`);
    }
  }
}

export interface CurveOptions {
  batchSize?: number;
  /** Called after every batch: ε being attacked, images done, images in all. */
  onProgress?: (eps: number, done: number, total: number) => void;
  /** Receives every evaluation (for the audit's validity check). */
  onEvaluation?: (eps: number, evaluation: AttackEvaluation) => void;
}

/**
 * Accuracy of the model behind `engine` under `attack` (its eps replaced) for each ε, in the
 * given order. At ε = 0 every attack is the identity, so that point is the clean accuracy.
 * @param images [N, C, H, W] mean-subtracted   @param labels [N]
 */
export async function robustnessCurve(engine: Engine, images: Tensor, labels: Int32Array, attack: AttackSpec, epsilons: readonly number[], options: CurveOptions = {}): Promise<Curve> {
  checkEpsilons('robustnessCurve', epsilons);
  const points: CurvePoint[] = [];
  for (const eps of epsilons) {
    const spec = (eps === 0 ? { attack: 'noise', eps: 0 } : { ...attack, eps }) as AttackSpec;
    const evaluation = await evaluateAttack(engine, images, labels, spec, {
      batchSize: options.batchSize,
      onProgress: (done, total) => options.onProgress?.(eps, done, total),
    });
    options.onEvaluation?.(eps, evaluation);
    const { accuracy, count } = evaluation.metrics;
    points.push({ eps, accuracy, standardError: standardError(accuracy, count), count });
  }
  return { attack: attack.attack, description: describeAttack(attack), points };
}
