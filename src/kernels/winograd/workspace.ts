/**
 * Part of the Winograd path, which speeds up kernels/reference/conv2d.ts (a first reader reads that).
 *
 * The Winograd pipelines' float64 intermediates: one named buffer per intermediate, so that no
 * stage can overwrite what a later stage of the same call still reads (two names never share
 * memory). A name stands for one role in a call, and both pipelines (plain.ts and panels.ts) use
 * the same name for the same role; a call runs one pipeline from its first stage to its last, so
 * a role is never held by two pipelines at once.
 *
 *   forward     extendedInput [N, C, HP, WP]   x in its zero border (extendInput)
 *               inputRows      Bᵀ·d, the input transform along tile rows
 *               inputTilesNoGrad V = Bᵀ·d·B when no backward pass follows (else V is the op's own
 *                              array, from the pool of tensor/recycle.ts): valid until the next call
 *               products       M[ξ] = U[ξ]·V[ξ], summed over channels
 *               outputRows     Aᵀ·M, the output transform along i
 *               outputTiles    Aᵀ·M·A when the tiles do not fit y exactly
 *               columnBias     the bias, one value per output column (oc, t)
 *   backward    dOutputTiles   dy as tiles;  dOutputRows  A·dY along b;  dProducts  dM = A·dY·Aᵀ
 *               dInputTiles    dV[ξ] = U[ξ]ᵀ·dM[ξ];  dInputRows  B·dV along j
 *               dExtendedInput ∂L/∂x in the zero border, before cropping
 *   kernel      kernelRows     G·g along kh;  kernelGradient  dU = dM·Vᵀ;  kernelGradientRows  Gᵀ·dU
 *
 * Each buffer is module-level and grown on demand, never shrunk: no allocation per call once
 * warm (fresh memory is page-faulted in on first touch, which costs more than most stages), and
 * a batch that shrinks (an epoch's last batch, PGD's rows that stop) reuses the larger buffer.
 * A buffer's old contents are garbage: every stage writes the part it reads back later, or
 * fills it with zeros first. Each thread has its own (module state is per thread).
 */

/** The intermediates, by role (see the file header). */
export type WinogradBufferName =
  | 'extendedInput' | 'inputRows' | 'inputTilesNoGrad' | 'products' | 'outputRows' | 'outputTiles' | 'columnBias'
  | 'dOutputTiles' | 'dOutputRows' | 'dProducts' | 'dInputTiles' | 'dInputRows' | 'dExtendedInput'
  | 'kernelRows' | 'kernelGradient' | 'kernelGradientRows';

const buffers = new Map<WinogradBufferName, Float64Array>();

/** The buffer `name`, at least `size` elements long (its contents are garbage). */
export function winogradBuffer(name: WinogradBufferName, size: number): Float64Array {
  let buffer = buffers.get(name);
  if (buffer === undefined || buffer.length < size) {
    buffer = new Float64Array(size);
    buffers.set(name, buffer);
  }
  return buffer;
}
