/**
 * Part of the Winograd path, which speeds up kernels/reference/conv2d.ts (a first reader reads that).
 *
 * The cost model of the Winograd path, and the automatic choice of its tile: multiply-adds per
 * image of F(m×m, r×r) (matrices.ts) against the im2col GEMM's, and the m with the fewest.
 * kernels/conv2d/plan.ts asks bestWinogradTile whether conv2d takes this path at all.
 *
 * Multiplications per image: α²·OC·C·tiles in the element-wise GEMMs, against OC·C·r²·OH·OW for
 * im2col. LeNet's conv2 (20 → 50 channels, 12×12 → 8×8, r = 5): F(8×8) has one 12×12 tile, 144k
 * multiply-adds against 1.6M (11×); F(4×4) four 8×8 tiles, 256k (6.25×); F(2×2) sixteen 6×6
 * tiles, 576k (2.8×). The transforms cost O(α³) per tile and channel on top; winogradCost weighs
 * both. (Which m is fastest in practice is measured by bench/winograd.ts: docs/performance.md.)
 */
import type { WindowGeometry } from '../../tensor/window.ts';
import { MAX_POINTS } from './matrices.ts';

/** Output tile sizes the automatic choice considers. */
export const WINOGRAD_TILES = [2, 3, 4, 5, 6, 8] as const;

/**
 * Multiply-adds per image of the Winograd path with m×m tiles, every stage counted as the dense
 * GEMM it runs as: the input transform 2α³ per tile and channel, the element-wise stage α² per
 * tile and channel pair, the output transform m·α² + m²·α per tile and output channel. (The
 * kernel transform, once per call, is left out: it does not grow with the batch.)
 */
export function winogradCost(g: WindowGeometry & { OC: number }, m: number): number {
  const { C, OC, OH, OW, KH } = g;
  const alpha = m + KH - 1;
  const tiles = Math.ceil(OH / m) * Math.ceil(OW / m);
  return tiles * (C * 2 * alpha ** 3 + alpha * alpha * OC * C + OC * (m * alpha * alpha + m * m * alpha));
}

/** The same count for the im2col GEMM: OC·C·KH·KW·OH·OW. */
export function gemmConvCost(g: WindowGeometry & { OC: number }): number {
  return g.OC * g.C * g.KH * g.KW * g.OH * g.OW;
}

/**
 * The m (from WINOGRAD_TILES) with the fewest multiply-adds per image, or 0 when Winograd does not
 * apply (stride ≠ 1, a non-square kernel or one smaller than 3×3) or does not save at least a
 * third of the GEMM's multiply-adds (then the transforms' lower speed would eat the gain).
 */
export function bestWinogradTile(g: WindowGeometry & { OC: number }): number {
  if (g.stride !== 1 || g.KH !== g.KW || g.KH < 3) return 0;
  let best = 0;
  let bestCost = (2 / 3) * gemmConvCost(g);
  for (const m of WINOGRAD_TILES) {
    if (m + g.KH - 2 > MAX_POINTS) continue;
    const cost = winogradCost(g, m);
    if (cost < bestCost) {
      best = m;
      bestCost = cost;
    }
  }
  return best;
}
