/**
 * Part of the Winograd path, which speeds up kernels/reference/conv2d.ts (a first reader reads that).
 *
 * The tiling of a stride-1 convolution into Winograd tiles, and the offset tables through which
 * the pipelines (plain.ts, panels.ts) read x, write y and dx, and move between the layouts: all
 * built once per shape (kernels/shape-cache.ts), shared and read-only. Also what both pipelines
 * share: the zero border around x and its inverse, packedGemm, and what forward saves for backward.
 *
 * Sizes: N batch, C / OC channels in / out, H×W input, OH×OW output, P padding, r kernel size,
 * m output tile, α = m + r − 1 input tile, TH×TW tiles per image (⌈OH/m⌉×⌈OW/m⌉), T = N·TH·TW,
 * HP×WP = (TH·m + r − 1)×(TW·m + r − 1) the zero-extended input every tile fits in.
 */
import type { FloatArray } from '../../tensor/tensor.ts';
import type { WindowGeometry } from '../../tensor/window.ts';
import { gemmIndexed, panelOffset, type MatrixRef } from '../gemm/gemm.ts';
import { ShapeCache } from '../shape-cache.ts';
import type { WinogradMatrices } from './matrices.ts';
import { winogradBuffer } from './workspace.ts';

/** A stride-1 convolution's Winograd tiling (see the sizes in the file header). */
export interface WinogradGeometry {
  N: number; C: number; H: number; W: number; OC: number; OH: number; OW: number; pad: number;
  r: number; m: number; alpha: number;
  TH: number; TW: number; tiles: number; T: number;
  HP: number; WP: number;
}

/** The tiling of `g` (stride 1, square r×r kernel) with m×m output tiles. */
export function winogradGeometry(g: WindowGeometry & { OC: number }, m: number): WinogradGeometry {
  const { N, C, H, W, KH, KW, stride, pad, OH, OW, OC } = g;
  if (stride !== 1 || KH !== KW) {
    throw new RangeError(`winograd: needs stride 1 and a square kernel, got stride ${stride} and a ${KH}×${KW} kernel`);
  }
  const r = KH;
  const TH = Math.ceil(OH / m);
  const TW = Math.ceil(OW / m);
  const tiles = TH * TW;
  return { N, C, H, W, OC, OH, OW, pad, r, m, alpha: m + r - 1, TH, TW, tiles, T: N * tiles, HP: TH * m + r - 1, WP: TW * m + r - 1 };
}

/**
 * The input tiles as offsets into x extended to [N, C, HP, WP] (zero border): tile row k of tile
 * (th, tw) of image n, channel c, column w is xs[rowOffset[k] + colOffset[(w·C + c)·T + n·tiles + tile]].
 * The columns are ordered (w, c, t) so that the transform's result lands as [α, α, C, T].
 */
function tileOffsets(wg: WinogradGeometry): { rowOffset: Int32Array; colOffset: Int32Array } {
  const { N, C, HP, WP, m, alpha, TH, TW, T } = wg;
  const rowOffset = new Int32Array(alpha); // [α]
  for (let k = 0; k < alpha; k++) rowOffset[k] = k * WP;
  const colOffset = new Int32Array(alpha * C * T); // [α, C, T]
  for (let w = 0, j = 0; w < alpha; w++)
    for (let c = 0; c < C; c++)
      for (let n = 0; n < N; n++)
        for (let th = 0; th < TH; th++)
          for (let tw = 0; tw < TW; tw++, j++) colOffset[j] = ((n * C + c) * HP + th * m) * WP + tw * m + w;
  return { rowOffset, colOffset };
}

const offsetsCache = new ShapeCache<{ rowOffset: Int32Array; colOffset: Int32Array }>();

export function cachedTileOffsets(wg: WinogradGeometry): { rowOffset: Int32Array; colOffset: Int32Array } {
  return offsetsCache.get(`${wg.N},${wg.C},${wg.HP},${wg.WP},${wg.m},${wg.r}`, () => tileOffsets(wg));
}

/** x [N, C, H, W] in the middle of xs [N, C, HP, WP] (offset by pad, zero around), or x itself when they coincide. */
export function extendInput(x: FloatArray, wg: WinogradGeometry): FloatArray {
  const { N, C, H, W, HP, WP, pad } = wg;
  if (pad === 0 && HP === H && WP === W) return x;
  const xs = winogradBuffer('extendedInput', N * C * HP * WP); // [N, C, HP, WP]
  xs.fill(0, 0, N * C * HP * WP);
  for (let img = 0; img < N * C; img++)
    for (let h = 0; h < H; h++) {
      const from = (img * H + h) * W; // seek to x[n, c, h, 0]
      const to = (img * HP + h + pad) * WP + pad; // seek to xs[n, c, h + pad, pad]
      for (let w = 0; w < W; w++) xs[to + w] = x[from + w];
    }
  return xs;
}

/** dx [N, C, H, W] = the middle of the extended dxs [N, C, HP, WP] (the inverse of extendInput). */
export function cropInput(dxs: Float64Array, dx: FloatArray, wg: WinogradGeometry): void {
  const { N, C, H, W, HP, WP, pad } = wg;
  for (let img = 0; img < N * C; img++)
    for (let h = 0; h < H; h++) {
      const to = (img * H + h) * W; // seek to dx[n, c, h, 0]
      const from = (img * HP + h + pad) * WP + pad; // seek to dxs[n, c, h + pad, pad]
      for (let w = 0; w < W; w++) dx[to + w] = dxs[from + w];
    }
}

const tileIndexCache = new ShapeCache<Int32Array>();

/**
 * Where each output y[n, oc, oh, ow] sits in the tiles [m (a), m (b), OC, T] that the output
 * transform produces: (a·m + b)·OC·T + oc·T + n·tiles + th·TW + tw, with oh = th·m + a, ow = tw·m + b.
 * [N, OC, OH, OW], cached per geometry.
 */
export function outputTileIndex(wg: WinogradGeometry): Int32Array {
  const { N, OC, OH, OW, m } = wg;
  return tileIndexCache.get(`${N},${OC},${OH},${OW},${m}`, () => makeOutputTileIndex(wg));
}

function makeOutputTileIndex(wg: WinogradGeometry): Int32Array {
  const { N, OC, OH, OW, m, TW, tiles, T } = wg;
  const at = new Int32Array(N * OC * OH * OW);
  for (let n = 0, i = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++, i++) {
          const th = Math.floor(oh / m);
          const tw = Math.floor(ow / m);
          at[i] = ((oh - th * m) * m + ow - tw * m) * OC * T + oc * T + n * tiles + th * TW + tw;
        }
  return at;
}

const outputOffsetsCache = new ShapeCache<{ rowOffset: Int32Array; colOffset: Int32Array }>();

/**
 * Where the output transform's rows and columns go in y when every tile lies inside it (OH and OW
 * multiples of m): row b of output row a at rowOffset[a·m + b] = a·OW + b, column (oc, t) with
 * t = n·tiles + th·TW + tw at colOffset[oc·T + t] = (n·OC + oc)·OH·OW + th·m·OW + tw·m.
 */
export function cachedOutputOffsets(wg: WinogradGeometry): { rowOffset: Int32Array; colOffset: Int32Array } {
  const { N, OC, OH, OW, m, TH, TW, tiles, T } = wg;
  return outputOffsetsCache.get(`${N},${OC},${OH},${OW},${m}`, () => {
    const rowOffset = new Int32Array(m * m); // [m (a), m (b)]
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) rowOffset[a * m + b] = a * OW + b;
    const colOffset = new Int32Array(OC * T); // [OC, T]
    for (let oc = 0; oc < OC; oc++)
      for (let n = 0; n < N; n++)
        for (let th = 0; th < TH; th++)
          for (let tw = 0; tw < TW; tw++) colOffset[oc * T + n * tiles + th * TW + tw] = (n * OC + oc) * OH * OW + th * m * OW + tw * m;
    return { rowOffset, colOffset };
  });
}

const panelColumnsCache = new ShapeCache<{ rowOffset: Int32Array; colOffset: Int32Array }>();

/** A K×N matrix in panels (gemmOnPanels) read as its transpose [N, K]: element (j, k) at rowOffset[j] + colOffset[k]. */
export function panelColumnsAsRows(N: number, K: number): { rowOffset: Int32Array; colOffset: Int32Array } {
  return panelColumnsCache.get(`${N},${K}`, () => ({
    rowOffset: Int32Array.from({ length: N }, (_, j) => panelOffset(0, j, K)),
    colOffset: Int32Array.from({ length: K }, (_, k) => panelOffset(k, 0, K)),
  }));
}

/** A dense operand of gemmIndexed. */
export function dense(data: FloatArray, ld: number, trans: boolean): MatrixRef {
  return { data, ld, trans };
}

/**
 * C [M, N] ← op(A)·op(B) on the packed kernel even when N = 1. The stages whose N is T (one column
 * per tile, so N = 1 for a single image with one tile) go through here: gemm would take its
 * matrix–vector path there, which sums in another order, and a lone image would then not get the
 * bits it gets inside a batch. On the packed kernel a column's sums do not depend on the others.
 */
export function packedGemm(M: number, N: number, K: number, A: MatrixRef, B: MatrixRef, C: FloatArray, ldc: number): void {
  gemmIndexed(M, N, K, A, B, 0, { data: C, ld: ldc, trans: false });
}

/** What the forward pass keeps for the backward one. */
export interface WinogradSaved {
  wg: WinogradGeometry;
  mat: WinogradMatrices;
  /** [α², OC, C] */
  U: Float64Array;
  /** [α², C, T], or in panels (panels.ts): V_ξ[c, t] at V[base + ξ·stride + panelOffset(c, t, C)] */
  V: Float64Array;
  vPanels: { base: number; stride: number } | null;
}
