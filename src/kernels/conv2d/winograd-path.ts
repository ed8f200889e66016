/**
 * The Winograd path of conv2d, on Tensors: the kernel transform (cached while the weights do not
 * change), then the plain or the chained pipeline of kernels/winograd/, whichever applies (the
 * same results bit for bit). It speeds up kernels/reference/conv2d.ts, which a first reader reads
 * instead; the math is in kernels/winograd/matrices.ts and plain.ts.
 */
import { allocate, Tensor } from '../../tensor/tensor.ts';
import type { ConvGeometry } from '../../tensor/window.ts';
import { winogradGeometry } from '../winograd/geometry.ts';
import { cachedKernelTransform } from '../winograd/kernel-transform.ts';
import { winogradMatrices } from '../winograd/matrices.ts';
import { winogradBackwardPanels, winogradForwardPanels, winogradPanelsApply } from '../winograd/panels.ts';
import { winogradBackward, winogradForward, type WinogradSaved } from '../winograd/plain.ts';
import { biasGradient, type Conv2dGradients, type Conv2dNeeds } from './gemm-path.ts';

export type { WinogradSaved } from '../winograd/plain.ts';

/**
 * Winograd forward (kernels/winograd/) with m×m output tiles: y [N, OC, OH, OW], and what
 * backward needs (the transformed weight U and input V; with keep = false, under noGrad, V is
 * scratch that the next call overwrites, see winogradForward).
 */
export function conv2dWinogradForward(x: Tensor, weight: Tensor, bias: Tensor | null, g: ConvGeometry, m = 4, keep = true): { y: Tensor; saved: WinogradSaved } {
  const wg = winogradGeometry(g, m);
  const U = cachedKernelTransform(weight.data, g.OC, g.C, winogradMatrices(m, wg.r));
  const y = allocate(x.dtype, g.N * g.OC * g.OH * g.OW); // [N, OC, OH, OW]
  // the same results either way; the panel chain skips the packing of every stage but the first
  const forward = winogradPanelsApply(wg) ? winogradForwardPanels : winogradForward;
  const saved = forward(x.data, U, bias === null ? null : bias.data, wg, y, keep);
  return { y: new Tensor(y, [g.N, g.OC, g.OH, g.OW]), saved };
}

/** Winograd backward: the transposed pipeline for dx and dWeight, dBias as the GEMM path does it. */
export function conv2dWinogradBackward(dy: Tensor, x: Tensor, weight: Tensor, saved: WinogradSaved, needs: Conv2dNeeds): Conv2dGradients {
  const { N, OC, OH, OW } = saved.wg;
  const dx = needs.dx ? allocate(x.dtype, x.size) : null; // [N, C, H, W]
  const dWeight = needs.dWeight ? allocate(x.dtype, weight.size) : null; // [OC, C, r, r]
  if (dx !== null || dWeight !== null) (winogradPanelsApply(saved.wg) ? winogradBackwardPanels : winogradBackward)(dy.data, saved, dx, dWeight);
  return {
    dx: dx === null ? null : new Tensor(dx, x.shape),
    dWeight: dWeight === null ? null : new Tensor(dWeight, weight.shape),
    dBias: needs.dBias ? biasGradient(dy, N, OC, OH * OW) : null,
  };
}
