/**
 * A surrogate for the black-box check (audit check 4) whose inputs are centred by another mean than
 * the target's: the standard model subtracts the mean training image m_s, a scalar-mean model the
 * mean grey level m_t. The same pixels p are x_t = p − m_t for the target and x_s = p − m_s for the
 * surrogate, so x_s = x_t + (m_t − m_s). The surrogate attacks x_s in its own centring (its spec's
 * mean is m_s, which clipping needs) and its example p + δ is handed to the target as x_s,adv −
 * (m_t − m_s): the same perturbation δ of the same pixels, so the transfer is the same black-box
 * attack as between two models of one centring.
 */
import type { ExampleIndex } from '../attacks/attack.ts';
import type { AttackSpec } from '../attacks/spec.ts';
import { subtractMean } from '../data/dataset.ts';
import { sub } from '../tensor/elementwise.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Engine } from '../train/engine.ts';

/** What the transfer check needs of a surrogate: its adversarial examples of the target's inputs. */
export type Surrogate = Pick<Engine, 'attack'>;

/**
 * The surrogate `engine` (centred by `surrogateMean`, [1, C, H, W]) seen from a target centred by
 * `targetMean` ([1, C, H, W]); the engine itself when the two means are the same tensor.
 */
export function shiftedSurrogate(engine: Engine, surrogateMean: Tensor, targetMean: Tensor): Surrogate {
  if (surrogateMean === targetMean) return engine;
  const toTarget = sub(targetMean, surrogateMean); // [1, C, H, W]: m_t − m_s
  const toSurrogate = sub(surrogateMean, targetMean); // [1, C, H, W]: m_s − m_t
  return {
    attack: async (x: Tensor, labels: Int32Array, spec: AttackSpec, index?: ExampleIndex): Promise<Tensor> => {
      const xAdv = await engine.attack(subtractMean(x, toSurrogate), labels, { ...spec, mean: surrogateMean }, index); // [N, C, H, W], the surrogate's centring
      return subtractMean(xAdv, toTarget); // [N, C, H, W], the target's
    },
  };
}
