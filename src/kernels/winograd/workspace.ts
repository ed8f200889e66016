/**
 * Part of the Winograd path, which speeds up kernels/reference/conv2d.ts (a first reader reads that).
 *
 * The Winograd pipelines' float64 intermediates, each named by its role. Both pipelines (plain.ts
 * and panels.ts) use the same name for the same role, and a call runs one pipeline from its first
 * stage to its last. Roles that are never live at once share an array (SLOT below), and every read
 * of an earlier stage's role is checked to still hold it:
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
 * The buffers are module-level and grown on demand, never shrunk: no allocation per call once
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

/**
 * The array each role lives in. Roles on one slot are never live at the same time: each pipeline
 * claims a role's slot when a stage starts writing it, and a stage that reads a role written by an
 * earlier stage first checks (`assertHeld`) that no later claim took the slot over, so a wrong
 * table or a reordered stage throws instead of reading another role's numbers. Sharing keeps the
 * pipelines' working set small: a stage writes into memory that an earlier stage of the same call
 * just left in cache (docs/performance.md, "The house, round 2").
 */
const SLOT: Readonly<Record<WinogradBufferName, number>> = {
  kernelRows: 0,
  inputRows: 1, products: 1, outputTiles: 1, dOutputTiles: 1, dProducts: 1, dExtendedInput: 1,
  outputRows: 2, dOutputRows: 2, dInputTiles: 2,
  dInputRows: 3, kernelGradient: 3,
  kernelGradientRows: 4,
  extendedInput: 5,
  inputTilesNoGrad: 6,
  columnBias: 7,
};

/** The slots' arrays, grown on demand, never shrunk. */
const buffers: Float64Array[] = [];
/** The role that last claimed each slot. */
const holders: WinogradBufferName[] = [];

/** The buffer of role `name`, at least `size` elements long (its contents are garbage); claims its slot. */
export function winogradBuffer(name: WinogradBufferName, size: number): Float64Array {
  const slot = SLOT[name];
  holders[slot] = name;
  let buffer = buffers[slot];
  if (buffer === undefined || buffer.length < size) {
    buffer = new Float64Array(size);
    buffers[slot] = buffer;
  }
  return buffer;
}

/** Throws unless role `name` still holds its slot (no later stage claimed it): call before reading it. */
export function assertHeld(name: WinogradBufferName): void {
  const holder = holders[SLOT[name]];
  if (holder !== name) throw new Error(`winograd workspace: '${name}' is read after '${holder}' took its slot ${SLOT[name]}`);
}
