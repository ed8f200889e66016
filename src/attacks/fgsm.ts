/**
 * The fast gradient sign method (Goodfellow, Shlens & Szegedy 2015):
 *
 *   η     = ε · sign(∇ₓ J(θ, x, y))
 *   x_adv = x + η
 *
 * J is the softmax log-loss, y the true label (or, with labelMode 'predicted', the model's own
 * prediction, which avoids "label leaking" when training on the examples). sign(0) = 0, so a pixel
 * with no gradient is not moved.
 *
 * Units. ε is a fraction of the pixel range, as in the paper (ε = 0.25 on MNIST); the network sees
 * grey levels 0..255 minus the mean image, so in input units the step is ε·255 grey levels:
 * ‖x_adv − x‖∞ = 255·ε exactly (wherever the gradient is non-zero). By default x_adv is not clipped
 * (as the paper). With clip, x_adv is clipped to the valid pixel range [0, 255] before mean
 * subtraction, i.e. to [−mean, 255 − mean] in input units.
 *
 * The attack does not touch the model: parameters keep their values, their grads and their
 * requiresGrad flags, and no weight gradient is computed (only ∂J/∂x).
 */
import { backward } from '../autograd/backward.ts';
import { Variable } from '../autograd/variable.ts';
import type { Module } from '../layers/module.ts';
import { softmaxCrossEntropy } from '../layers/softmax-cross-entropy.ts';
import { argmaxRows } from '../tensor/reduce.ts';
import { formatShape } from '../tensor/shape.ts';
import { allocate, Tensor } from '../tensor/tensor.ts';

export interface FgsmOptions {
  /** ε as a fraction of the pixel range [0, 1]: the step is ε·255 grey levels. */
  eps: number;
  /** Clip x_adv to the valid pixel range (needs `mean`). Default false, as the paper. */
  clip?: boolean;
  /** The mean image [1, 1, H, W] subtracted from the inputs; required with clip. */
  mean?: Tensor;
  /** 'true' (default, as the seed): J(θ, x, y). 'predicted': J(θ, x, ŷ), ŷ the model's prediction. */
  labelMode?: 'true' | 'predicted';
}

/** The pixel scale: grey levels per unit of ε. */
export const PIXEL_RANGE = 255;

/** Throws unless ε is a number in [0, 1] and clip has what it needs. */
export function checkFgsmOptions(options: FgsmOptions, x?: Tensor): void {
  const { eps, clip = false, mean, labelMode = 'true' } = options;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0 || eps > 1) {
    throw new RangeError(`fgsm: eps must be a fraction of the pixel range in [0, 1] (0.25 = ${0.25 * PIXEL_RANGE} grey levels), got ${String(eps)}`);
  }
  if (labelMode !== 'true' && labelMode !== 'predicted') throw new RangeError(`fgsm: labelMode must be 'true' or 'predicted', got '${String(labelMode)}'`);
  if (clip) {
    if (mean === undefined) throw new Error('fgsm: clip needs the mean image (options.mean) to know the valid range [−mean, 255 − mean]');
    if (x !== undefined && mean.size * x.shape[0] !== x.size) {
      throw new RangeError(`fgsm: mean image ${formatShape(mean.shape)} does not match one image of x ${formatShape(x.shape)}`);
    }
  }
}

/**
 * x_adv from a gradient already at hand (the training step reuses its clean backward pass).
 * @param x [N, C, H, W] inputs (mean-subtracted)   @param dx [N, C, H, W] ∇ₓJ
 */
export function fgsmFromGradient(x: Tensor, dx: Tensor, options: FgsmOptions): Tensor {
  const step = options.eps * PIXEL_RANGE;
  const xd = x.data;
  const g = dx.data;
  const out = allocate(x.dtype, x.size); // [N, C, H, W]
  for (let i = 0; i < out.length; i++) out[i] = xd[i] + (g[i] > 0 ? step : g[i] < 0 ? -step : 0);
  if (options.clip) {
    const m = options.mean!.data;
    const P = m.length;
    for (let i = 0; i < out.length; i++) {
      const low = -m[i % P];
      const high = PIXEL_RANGE - m[i % P];
      if (out[i] < low) out[i] = low;
      else if (out[i] > high) out[i] = high;
    }
  }
  return new Tensor(out, x.shape);
}

/**
 * FGSM examples for a batch. The model's parameters and grads are left exactly as they were.
 * @param model maps x [N, C, H, W] to logits [N, K]
 * @param x [N, C, H, W] mean-subtracted inputs
 * @param labels [N] true labels (ignored with labelMode 'predicted')
 * @returns x_adv [N, C, H, W]
 */
export function fgsm(model: Module, x: Tensor, labels: ArrayLike<number>, options: FgsmOptions): Tensor {
  checkFgsmOptions(options, x);
  const params = model.parameters();
  const saved = params.map((p) => p.requiresGrad);
  const savedGrads = params.map((p) => p.grad);
  // Freeze the parameters: backward then computes ∂J/∂x only, the cheaper FGSM pass.
  for (const p of params) p.requiresGrad = false;
  try {
    const xv = new Variable(x, { requiresGrad: true });
    const logits = model.forward(xv); // [N, K]
    const y = options.labelMode === 'predicted' ? argmaxRows(logits.value) : labels;
    backward(softmaxCrossEntropy(logits, y));
    return fgsmFromGradient(x, xv.grad!, options);
  } finally {
    params.forEach((p, i) => {
      p.requiresGrad = saved[i];
      p.grad = savedGrads[i];
    });
  }
}
