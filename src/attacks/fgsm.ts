/**
 * The fast gradient sign method (Goodfellow, Shlens & Szegedy 2015):
 *
 *   η     = ε · sign(∇ₓ J(θ, x, y))
 *   x_adv = x + η
 *
 * J is the softmax log-loss, y the true label (or, with labelMode 'predicted', the model's own
 * prediction, which avoids "label leaking" when training on the examples). Targeted, it steps down
 * the loss of the target t instead: x_adv = x − ε·sign(∇ₓJ(θ, x, t)). sign(0) = 0, so a pixel with
 * no gradient is not moved. FGSM is one step of PGD (pgd.ts) from x with step size ε: both go
 * through the same projected sign step (attack.ts), so the two agree bit for bit.
 *
 * Units (attack.ts): ε is a fraction of the pixel range R = `pixelRange` (default 255, grey levels),
 * so ‖x_adv − x‖∞ = R·ε input units wherever the gradient is non-zero (63.75 grey levels at
 * ε = 0.25; exactly ε for inputs in [0, 1] with pixelRange 1). By default x_adv is not clipped (as
 * the paper); with clip, x_adv + mean stays inside the valid pixels [0, R].
 *
 * The attack does not touch the model: parameters keep their values, their grads and their
 * requiresGrad flags, and no weight gradient is computed (only ∂J/∂x).
 */
import type { Module } from '../layers/module.ts';
import { allocate, Tensor } from '../tensor/tensor.ts';
import {
  checkAttackOptions,
  objectiveGradient,
  objectiveOf,
  PIXEL_RANGE,
  projectedSignStep,
  withFrozenParameters,
  type AttackOptions,
} from './attack.ts';

export { PIXEL_RANGE };

/** FGSM's options: those every attack takes (attack.ts: eps, pixelRange, clip, mean, labelMode, targeted); `seed` is unused (FGSM is deterministic). */
export type FgsmOptions = AttackOptions;

/** Throws unless ε is a number in [0, 1], pixelRange a positive number, and clip has what it needs. */
export function checkFgsmOptions(options: FgsmOptions, x?: Tensor, labels?: ArrayLike<number>): void {
  checkAttackOptions('fgsm', options, x, labels);
}

/**
 * x_adv = x + pixelRange·ε·sign(dx) from a gradient already at hand (the training step reuses its
 * clean backward pass).
 * @param x [N, C, H, W] inputs (mean-subtracted)   @param dx [N, C, H, W] ∇ₓJ (any positive scale)
 */
export function fgsmFromGradient(x: Tensor, dx: Tensor, options: FgsmOptions): Tensor {
  const pixelRange = options.pixelRange ?? PIXEL_RANGE;
  const step = options.eps * pixelRange; // in input units
  const out = allocate(x.dtype, x.size); // [N, C, H, W]
  out.set(x.data);
  projectedSignStep(out, dx.data, x.data, step, step, options.clip ? options.mean!.data : null, pixelRange);
  return new Tensor(out, x.shape);
}

/**
 * FGSM examples for a batch: x + pixelRange·ε·sign(∇ₓJ), ε a fraction of the pixel range
 * (pixelRange 255 by default, grey levels). The model's parameters and grads are left exactly as
 * they were.
 * @param model maps x [N, C, H, W] to logits [N, K]
 * @param x [N, C, H, W] mean-subtracted inputs
 * @param labels [N] true labels
 * @returns x_adv [N, C, H, W]
 */
export function fgsm(model: Module, x: Tensor, labels: ArrayLike<number>, options: FgsmOptions): Tensor {
  checkFgsmOptions(options, x, labels);
  return withFrozenParameters(model, () => {
    const objective = objectiveOf(model, x, labels, options);
    const { grad } = objectiveGradient(model, x, objective, 'ce');
    return fgsmFromGradient(x, grad, options);
  });
}
