/**
 * Winograd minimal filtering (Lavin & Gray 2016, "Fast algorithms for convolutional neural
 * networks"): a stride-1 r×r convolution with fewer multiplications than the im2col GEMM, for the
 * forward pass and for both gradients. Used by layers/conv2d.ts, which picks it per shape.
 *
 * ── 1-D: F(m, r), m outputs of an r-tap correlation from α = m + r − 1 inputs ──────────────────
 *
 *   y[i] = Σ_k g[k] · d[i + k],   i < m, k < r                         (m·r multiplications)
 *
 * Toom–Cook. Take polynomials g(x) = Σ g[k] xᵏ (degree r − 1) and h(x) = Σ h[i] xⁱ (degree m − 1).
 * Their product s(x) = g(x)·h(x) has degree α − 1, so α numbers fix it: its values at α − 1 finite
 * points p₀ … p_{α−2} and its leading coefficient (the "value at ∞"), each of which is ONE product:
 *
 *   s(p_j) = g(p_j) · h(p_j),   s(∞) = g[r−1] · h[m−1]                  (α multiplications)
 *
 * and Lagrange gives s back:  s(x) = s(∞)·M(x) + Σ_j s(p_j)·L_j(x),  M(x) = Π_l (x − p_l),
 * L_j(x) = Π_{l≠j} (x − p_l)/(p_j − p_l)  (both sides agree at every p_j and in the x^{α−1}
 * coefficient, and a degree-(α−1) polynomial is fixed by that). In matrices, with
 *   G [α×r]:  G[j,k] = p_jᵏ,   G[∞,k] = [k = r−1]          (evaluates g)
 *   H [α×m]:  H[j,i] = p_jⁱ,   H[∞,i] = [i = m−1]          (evaluates h)
 *   C [α×α]:  C[k,j] = coefficient of xᵏ in L_j,  C[k,∞] = coefficient of xᵏ in M   (interpolates)
 * the linear convolution is  s = C·[(G·g) ⊙ (H·h)],  that is  s = T_g·h  with T_g = C·diag(G·g)·H,
 * T_g[j,i] = g[j − i] the Toeplitz matrix of g. Our correlation is the TRANSPOSE of that map:
 *   (T_gᵀ·d)[i] = Σ_j g[j − i]·d[j] = Σ_k g[k]·d[i + k] = y[i], hence
 *
 *   y = Aᵀ·[(G·g) ⊙ (Bᵀ·d)],   Aᵀ = Hᵀ [m×α],  Bᵀ = Cᵀ [α×α]             (α multiplications)
 *
 * Aᵀ[i,j] = p_jⁱ: output i is Σ_j p_jⁱ·(the j-th product). The points here are 0, ±1, ±2, ±½, ±3,
 * ±⅓, ±4, ±¼, … (the first α − 1): small numbers keep the powers p^{α−2} and the Lagrange
 * denominators Π(p_j − p_l) as tame as they can be; that matters more and more as α grows, which is
 * why large tiles are known to lose float32 accuracy.
 *
 * ── 2-D: F(m×m, r×r), nesting ───────────────────────────────────────────────────────────────────
 *
 * A 2-D correlation is a 1-D correlation along rows whose "taps" are 1-D correlations along
 * columns. Running F(m, r) on both axes (the Kronecker product of the 1-D algorithm with itself):
 *
 *   Y [m×m] = Aᵀ·[(G·g·Gᵀ) ⊙ (Bᵀ·d·B)]·A        on an α×α input tile d, r×r kernel g
 *
 * α² multiplications for m² outputs instead of m²·r². Tiles of the output are m×m, their input
 * tiles α×α overlap by r − 1. For a layer (C input, OC output channels), the transformed kernel
 * U = G·g·Gᵀ and the transformed tile V = Bᵀ·d·B are computed once each and the channel sum is
 * taken before the (linear) output transform, so at each of the α² points ξ it is a matrix product:
 *
 *   U[ξ, oc, c] = (G·weight[oc,c]·Gᵀ)[ξ]                        [α², OC, C]
 *   V[ξ, c, t]  = (Bᵀ·d[n,c,tile]·B)[ξ],   t = n·tiles + tile     [α², C, T]    (T = N·tiles)
 *   M[ξ]        = U[ξ] · V[ξ]                                   [α², OC, T]   α² GEMMs of OC×T×C
 *   y[n,oc,tile] = Aᵀ·M[·, oc, t]·A  (+ bias; outputs past OH, OW dropped)
 *
 * Multiplications per image: α²·OC·C·tiles in the GEMMs, against OC·C·r²·OH·OW for im2col. LeNet's
 * conv2 (20 → 50 channels, 12×12 → 8×8, r = 5): F(8×8) has one 12×12 tile, 144k multiply-adds
 * against 1.6M (11×); F(4×4) four 8×8 tiles, 256k (6.25×); F(2×2) sixteen 6×6 tiles, 576k (2.8×).
 * The transforms cost O(α³) per tile and channel on top; bestWinogradTile (below) weighs both, and
 * `npx tsx bench/winograd.ts` measures every m on the LeNet shapes (conv2: m = 8 is fastest).
 *
 * ── Gradients: the transposed algorithm ────────────────────────────────────────────────────────
 *
 * Every stage is linear, so the backward pass is the forward pipeline run backwards with every
 * matrix transposed (as conv2d's header says of the loop nest), and it costs what the forward does:
 *
 *   dM[·, oc, t] = A·dy[n,oc,tile]·Aᵀ        dV[ξ] = U[ξ]ᵀ·dM[ξ]        dU[ξ] = dM[ξ]·V[ξ]ᵀ
 *   dx[n,c,tile] += B·dV[·, c, t]·Bᵀ  (overlapping tiles add up, as in col2im)
 *   dWeight[oc,c] = Gᵀ·dU[·, oc, c]·G
 *
 * ∂L/∂x is thus the Winograd transpose rather than a separate full-padding correlation with the
 * flipped kernel: the same α²·OC·C·tiles multiplications and U reused, where the flipped-kernel
 * route would need more tiles (its output is the larger input). ∂L/∂W = dM·Vᵀ reuses the V that
 * forward computed.
 *
 * ── Arithmetic and accuracy ─────────────────────────────────────────────────────────────────────
 *
 * Every stage, transforms included, is a GEMM on tensor/gemm.ts's packed kernel (dense, or reading
 * x and writing dx through offset tables); tensor/winograd-panels.ts chains the stages of both
 * passes so that each writes the next one's packed operand directly (same sums, fewer copies), and
 * layers/conv2d.ts uses it where it applies. The intermediates are Float64: the kernel accumulates in
 * double precision anyway, so a float32 convolution is rounded to float32 once, at the end, and
 * Winograd's error amplification (large for big tiles in float32 arithmetic) acts on float64
 * rounding errors instead. Measured with bench/winograd-accuracy.ts on LeNet's conv2 with real
 * weights and activations (100 MNIST test images through conv1 and pool1 of a LeNet trained one
 * epoch on 2,000 images), as max |float32 result − float64 direct| / max |float64 direct|:
 *
 *                       y        ∂L/∂x    ∂L/∂W
 *   Winograd, any m   4.4e-8   4.0e-8   3.6e-8     (m = 2 … 8 alike: the output's own rounding)
 *   im2col GEMM       5.6e-8   1.8e-7   2.0e-7     (float32 additions: overlapping windows, depth blocks)
 *
 * (untrained: 3.8e-8, 4.1e-8, 4.8e-8). So the bound is the float32 rounding of the result, half an
 * ulp of the largest value ≈ 6e-8; the tests hold every m to 1.2e-7 on such inputs. In float64 the
 * path matches the direct loop nest to ~1e-14 relative for m ≤ 4 and ~1.5e-12 for m = 8 (the
 * transform entries reach 3⁷ = 2187 in Aᵀ and 55 in Bᵀ: that is the amplification); tests: 1e-11.
 *
 * Every output column t (one tile of one image) is computed from that image alone, with a
 * summation order that depends only on C, OC and the tile: a row's result does not depend on the
 * batch around it (train/workers.ts relies on that), not even in a batch of one image (the stages
 * whose width is T never take the GEMM's matrix–vector path, see packedGemm). dU sums over the
 * batch, like dWeight always.
 *
 * Sizes: N batch, C / OC channels in / out, H×W input, OH×OW output, P padding, r kernel size,
 * m output tile, α = m + r − 1 input tile, TH×TW tiles per image (⌈OH/m⌉×⌈OW/m⌉), T = N·TH·TW,
 * HP×WP = (TH·m + r − 1)×(TW·m + r − 1) the zero-extended input every tile fits in.
 */
import { gemm, gemmIndexed, panelOffset, type MatrixRef } from './gemm.ts';
import { pooledArray } from './recycle.ts';
import { ShapeCache } from './shape-cache.ts';
import type { FloatArray } from './tensor.ts';
import type { WindowGeometry } from './window.ts';

/** The interpolation points in the order they are used: 0, ±1, ±2, ±½, ±3, ±⅓, ±4, ±¼. */
const POINTS = [0, 1, -1, 2, -2, 1 / 2, -1 / 2, 3, -3, 1 / 3, -1 / 3, 4, -4, 1 / 4, -1 / 4];

/** The three matrices of F(m, r) (see the file header), row-major Float64. */
export interface WinogradMatrices {
  m: number;
  r: number;
  alpha: number;
  /** Aᵀ [m, α]: output transform */
  AT: Float64Array;
  /** G [α, r]: kernel transform */
  G: Float64Array;
  /** Bᵀ [α, α]: input transform */
  BT: Float64Array;
}

const matricesCache = new Map<string, WinogradMatrices>();

/**
 * Aᵀ, G and Bᵀ of F(m, r) from the Toom–Cook construction of the file header.
 * @param m outputs per tile (1-D)   @param r kernel taps
 */
export function winogradMatrices(m: number, r: number): WinogradMatrices {
  const alpha = m + r - 1;
  if (!Number.isInteger(m) || !Number.isInteger(r) || m < 1 || r < 1 || alpha - 1 > POINTS.length) {
    throw new RangeError(`winograd: F(${m}, ${r}) needs ${alpha - 1} interpolation points; m, r ≥ 1 and at most ${POINTS.length} points are supported`);
  }
  const key = `${m},${r}`;
  const cached = matricesCache.get(key);
  if (cached) return cached;
  const p = POINTS.slice(0, alpha - 1); // finite points; row α − 1 is ∞
  const AT = new Float64Array(m * alpha); // [m, α]
  const G = new Float64Array(alpha * r); // [α, r]
  const BT = new Float64Array(alpha * alpha); // [α, α]
  for (let j = 0; j < alpha - 1; j++) {
    for (let i = 0; i < m; i++) AT[i * alpha + j] = p[j] ** i;
    for (let k = 0; k < r; k++) G[j * r + k] = p[j] ** k;
    // Bᵀ row j = the coefficients of L_j(x) = Π_{l≠j} (x − p_l) / (p_j − p_l)
    let denominator = 1;
    for (let l = 0; l < alpha - 1; l++) if (l !== j) denominator *= p[j] - p[l];
    const coefficients = polynomialFromRoots(p.filter((_, l) => l !== j));
    for (let k = 0; k < coefficients.length; k++) BT[j * alpha + k] = coefficients[k] / denominator + 0; // + 0: no −0 entries
  }
  AT[(m - 1) * alpha + alpha - 1] = 1; // H[∞, i] = [i = m − 1]
  G[(alpha - 1) * r + r - 1] = 1; // G[∞, k] = [k = r − 1]
  const monic = polynomialFromRoots(p); // M(x) = Π_l (x − p_l), degree α − 1
  for (let k = 0; k < alpha; k++) BT[(alpha - 1) * alpha + k] = monic[k];
  const result = { m, r, alpha, AT, G, BT };
  matricesCache.set(key, result);
  return result;
}

/** Coefficients (constant term first) of Π (x − root). */
function polynomialFromRoots(roots: number[]): number[] {
  let c = [1];
  for (const root of roots) {
    const next = new Array<number>(c.length + 1).fill(0);
    for (let k = 0; k < c.length; k++) {
      next[k + 1] += c[k]; // · x
      next[k] -= root * c[k]; // · (−root)
    }
    c = next;
  }
  return c;
}

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

/**
 * Module-level Float64 scratch, grown on demand (no allocation per call once warm). Each stage
 * writes a slot that no array it still reads lives in; the slot numbers in the kernels below are
 * chosen for that.
 */
const scratchSlots: Float64Array[] = [];
export function scratch(slot: number, size: number): Float64Array {
  if ((scratchSlots[slot]?.length ?? 0) < size) scratchSlots[slot] = new Float64Array(size);
  return scratchSlots[slot];
}

/** x [N, C, H, W] in the middle of xs [N, C, HP, WP] (offset by pad, zero around), or x itself when they coincide. */
export function extendInput(x: FloatArray, wg: WinogradGeometry): FloatArray {
  const { N, C, H, W, HP, WP, pad } = wg;
  if (pad === 0 && HP === H && WP === W) return x;
  const xs = scratch(5, N * C * HP * WP); // [N, C, HP, WP]
  xs.fill(0, 0, N * C * HP * WP);
  for (let img = 0; img < N * C; img++)
    for (let h = 0; h < H; h++) {
      const from = (img * H + h) * W; // seek to x[n, c, h, 0]
      const to = (img * HP + h + pad) * WP + pad; // seek to xs[n, c, h + pad, pad]
      for (let w = 0; w < W; w++) xs[to + w] = x[from + w];
    }
  return xs;
}

/**
 * U [α², OC, C] = G·weight[oc,c]·Gᵀ for every channel pair, as two GEMMs (kh, then kw).
 * @param weight [OC, C, r, r]
 */
export function winogradKernelTransform(weight: FloatArray, OC: number, C: number, mat: WinogradMatrices): Float64Array {
  const { r, alpha, G } = mat;
  const OCC = OC * C;
  const half = scratch(0, alpha * r * OCC); // [α, r, OC, C]: Σ_kh G[a, kh]·weight[oc, c, kh, kw] at (a, kw, oc, c)
  gemmIndexed(alpha, r * OCC, r, { data: G, ld: r, trans: false }, { data: weight, ...kernelOffsets(OC, C, r) }, 0, { data: half, ld: r * OCC, trans: false });
  const U = new Float64Array(alpha * alpha * OCC); // [α, α, OC, C]
  for (let a = 0; a < alpha; a++) {
    gemm(false, false, alpha, OCC, r, G, r, half.subarray(a * r * OCC), OCC, 0, U.subarray(a * alpha * OCC), OCC);
  }
  return U;
}

/** weight [OC, C, r, r] as the matrix [r (kh), r·OC·C (kw, oc, c)]. */
function kernelOffsets(OC: number, C: number, r: number): { rowOffset: Int32Array; colOffset: Int32Array } {
  const rowOffset = new Int32Array(r); // [r]
  for (let kh = 0; kh < r; kh++) rowOffset[kh] = kh * r;
  const colOffset = new Int32Array(r * OC * C); // [r, OC, C]
  for (let kw = 0, j = 0; kw < r; kw++) for (let q = 0; q < OC * C; q++, j++) colOffset[j] = q * r * r + kw;
  return { rowOffset, colOffset };
}

const tileIndexCache = new ShapeCache<Int32Array>();

/**
 * Where each output y[n, oc, oh, ow] sits in the tiles [m (a), m (b), OC, T] that the output
 * transform produces: (a·m + b)·OC·T + oc·T + n·tiles + th·TW + tw, with oh = th·m + a, ow = tw·m + b.
 * [N, OC, OH, OW], cached per geometry.
 */
function outputTileIndex(wg: WinogradGeometry): Int32Array {
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
function packedGemm(M: number, N: number, K: number, A: MatrixRef, B: MatrixRef, C: FloatArray, ldc: number): void {
  gemmIndexed(M, N, K, A, B, 0, { data: C, ld: ldc, trans: false });
}

/** What the forward pass keeps for the backward one. */
export interface WinogradSaved {
  wg: WinogradGeometry;
  mat: WinogradMatrices;
  /** [α², OC, C] */
  U: Float64Array;
  /** [α², C, T], or in panels (tensor/winograd-panels.ts): V_ξ[c, t] at V[base + ξ·stride + panelOffset(c, t, C)] */
  V: Float64Array;
  vPanels: { base: number; stride: number } | null;
}

/**
 * Forward: y [N, OC, OH, OW] = bias + the stride-1 convolution of x with weight (pad wg.pad).
 * @param x [N, C, H, W]   @param U the transformed weight (winogradKernelTransform)   @param bias [OC] or null
 * @param y [N, OC, OH, OW], written (allocated by the caller like x)
 * @param keep false when no backward pass will follow (noGrad): V then lives in reused scratch
 *   (fresh memory is page-faulted in on first touch, which costs more than the transform that
 *   fills it), and the returned V is only valid until the next call; true: V comes from the pool
 *   of tensor/recycle.ts, like an op's output
 */
export function winogradForward(x: FloatArray, U: Float64Array, bias: FloatArray | null, wg: WinogradGeometry, y: FloatArray, keep = true): WinogradSaved {
  const { C, OC, OH, OW, m, alpha, T, r } = wg;
  const mat = winogradMatrices(m, r);
  const { AT, BT } = mat;
  const CT = C * T;
  const OT = OC * T;
  // V = Bᵀ·d·B: first along tile rows (all tiles and channels in one GEMM), then along columns
  const xs = extendInput(x, wg);
  const rowsDone = scratch(1, alpha * alpha * CT); // [α (i), α (w), C, T] = Σ_k Bᵀ[i, k]·d[k, w]
  gemmIndexed(alpha, alpha * CT, alpha, { data: BT, ld: alpha, trans: false }, { data: xs, ...cachedTileOffsets(wg) }, 0, { data: rowsDone, ld: alpha * CT, trans: false });
  const V = keep ? pooledArray(Float64Array, alpha * alpha * CT) : scratch(6, alpha * alpha * CT); // [α (i), α (j), C, T]
  for (let i = 0; i < alpha; i++) {
    const at = i * alpha * CT; // seek to row i
    gemm(false, false, alpha, CT, alpha, BT, alpha, rowsDone.subarray(at), CT, 0, V.subarray(at), CT);
  }
  // M[ξ] = U[ξ]·V[ξ]: the element-wise stage, summed over channels
  const M = scratch(1, alpha * alpha * OT); // [α², OC, T]
  for (let xi = 0; xi < alpha * alpha; xi++) {
    packedGemm(OC, T, C, dense(U.subarray(xi * OC * C), C, false), dense(V.subarray(xi * CT), T, false), M.subarray(xi * OT), T);
  }
  // Y = Aᵀ·M·A: along i (one GEMM), then along j (one per output row a)
  const half = scratch(2, m * alpha * OT); // [m (a), α (j), OC, T]
  gemm(false, false, m, alpha * OT, alpha, AT, alpha, M, alpha * OT, 0, half, alpha * OT);
  if (OH % m === 0 && OW % m === 0 && m > 1 && OT > 1) {
    // every tile lies inside y: each output row a of the tiles goes straight to its place in y,
    // bias added in the same store (y[n, oc, th·m + a, tw·m + b] = tilesOut[a, b, oc, t] + bias[oc])
    const { rowOffset, colOffset } = cachedOutputOffsets(wg);
    const add = bias === null ? undefined : { cols: columnBias(bias, OC, T) };
    const A = dense(AT, alpha, false);
    for (let a = 0; a < m; a++) {
      gemmIndexed(m, OT, alpha, A, dense(half.subarray(a * alpha * OT), OT, false), 0, { data: y, rowOffset: rowOffset.subarray(a * m, (a + 1) * m), colOffset }, add);
    }
    return { wg, mat, U, V, vPanels: null };
  }
  const tilesOut = scratch(1, m * m * OT); // [m (a), m (b), OC, T]
  for (let a = 0; a < m; a++) {
    gemm(false, false, m, OT, alpha, AT, alpha, half.subarray(a * alpha * OT), OT, 0, tilesOut.subarray(a * m * OT), OT);
  }
  // y[n, oc, th·m + a, tw·m + b] = bias[oc] + tilesOut[a, b, oc, t]; positions past OH, OW are dropped
  const at = outputTileIndex(wg);
  const Q = OH * OW;
  for (let plane = 0, i = 0; plane < wg.N * OC; plane++) {
    const b0 = bias === null ? 0 : bias[plane % OC];
    for (let q = 0; q < Q; q++, i++) y[i] = b0 + tilesOut[at[i]];
  }
  return { wg, mat, U, V, vPanels: null };
}

/** bias [OC] as one value per column (oc, t) of the output transform: [OC·T]. */
export function columnBias(bias: FloatArray, OC: number, T: number): Float64Array {
  const cols = scratch(7, OC * T); // [OC, T]
  for (let oc = 0; oc < OC; oc++) cols.fill(bias[oc], oc * T, (oc + 1) * T);
  return cols;
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

/**
 * Backward (the transposed pipeline of the file header).
 * @param dy [N, OC, OH, OW]
 * @param dx [N, C, H, W] zeroed (allocated like x) or null when not needed
 * @param dWeight [OC, C, r, r] zeroed, or null
 */
export function winogradBackward(dy: FloatArray, saved: WinogradSaved, dx: FloatArray | null, dWeight: FloatArray | null): void {
  const { wg, mat, U } = saved;
  const { N, C, OC, OH, OW, m, alpha, T, HP, WP } = wg;
  const { AT, BT } = mat;
  const CT = C * T;
  const OT = OC * T;
  // dy as tiles [m (a), m (b), OC, T], zero past OH, OW
  const dTiles = scratch(1, m * m * OT);
  if (OH % m !== 0 || OW % m !== 0) dTiles.fill(0, 0, m * m * OT);
  const at = outputTileIndex(wg);
  for (let i = 0; i < N * OC * OH * OW; i++) dTiles[at[i]] = dy[i];
  // dM = A·dY·Aᵀ: along b (one GEMM per a), then along a
  const half = scratch(2, m * alpha * OT); // [m (a), α (j), OC, T]
  for (let a = 0; a < m; a++) {
    gemm(true, false, alpha, OT, m, AT, alpha, dTiles.subarray(a * m * OT), OT, 0, half.subarray(a * alpha * OT), OT);
  }
  const dM = scratch(1, alpha * alpha * OT); // [α², OC, T]
  gemm(true, false, alpha, alpha * OT, m, AT, alpha, half, alpha * OT, 0, dM, alpha * OT);

  if (dWeight !== null) weightGradient((xi) => dense(dM.subarray(xi * OT), T, false), saved, dWeight);

  if (dx !== null) {
    // dV[ξ] = U[ξ]ᵀ·dM[ξ], then dd = B·dV·Bᵀ added into the (extended) dx through the tile offsets
    const dV = scratch(2, alpha * alpha * CT); // [α (i), α (j), C, T]
    for (let xi = 0; xi < alpha * alpha; xi++) {
      packedGemm(C, T, OC, dense(U.subarray(xi * OC * C), C, true), dense(dM.subarray(xi * OT), T, false), dV.subarray(xi * CT), T);
    }
    const dRows = scratch(3, alpha * alpha * CT); // [α (i), α (w), C, T]
    for (let i = 0; i < alpha; i++) {
      const at = i * alpha * CT; // seek to row i
      gemm(true, false, alpha, CT, alpha, BT, alpha, dV.subarray(at), CT, 0, dRows.subarray(at), CT);
    }
    // overlapping tiles add up in float64, so a float32 dx is rounded once, as y is
    const dxs = scratch(1, N * C * HP * WP); // [N, C, HP, WP]
    dxs.fill(0, 0, N * C * HP * WP);
    gemmIndexed(alpha, alpha * CT, alpha, { data: BT, ld: alpha, trans: true }, { data: dRows, ld: alpha * CT, trans: false }, 1, { data: dxs, ...cachedTileOffsets(wg) });
    cropInput(dxs, dx, wg);
  }
}

/**
 * dWeight += the kernel gradient from dM: dU[ξ] = dM[ξ]·V_ξᵀ (V as forward kept it, plain or in
 * panels), then dWeight = Gᵀ·dU·G. Both backward passes end their ∂L/∂W here.
 * @param dMAt dM[ξ] [OC, T] as a GEMM operand
 */
export function weightGradient(dMAt: (xi: number) => MatrixRef, saved: WinogradSaved, dWeight: FloatArray): void {
  const { wg, mat, V } = saved;
  const { C, OC, alpha, T, r } = wg;
  const { G } = mat;
  const OCC = OC * C;
  const dU = scratch(3, alpha * alpha * OCC); // [α (a), α (b), OC, C]
  const vp = saved.vPanels;
  const vt = vp === null ? null : panelColumnsAsRows(T, C); // V_ξᵀ [T, C] read from the panels
  for (let xi = 0; xi < alpha * alpha; xi++) {
    const Vt: MatrixRef = vp === null ? dense(V.subarray(xi * C * T), T, true) : { data: V.subarray(vp.base + xi * vp.stride), ...vt! };
    packedGemm(OC, C, T, dMAt(xi), Vt, dU.subarray(xi * OCC), C);
  }
  const dHalf = scratch(4, alpha * r * OCC); // [α (a), r (kw), OC, C]
  for (let a = 0; a < alpha; a++) {
    gemm(true, false, r, OCC, alpha, G, r, dU.subarray(a * alpha * OCC), OCC, 0, dHalf.subarray(a * r * OCC), OCC);
  }
  gemmIndexed(r, r * OCC, alpha, { data: G, ld: r, trans: true }, { data: dHalf, ld: r * OCC, trans: false }, 1, { data: dWeight, ...kernelOffsets(OC, C, r) });
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

const panelColumnsCache = new ShapeCache<{ rowOffset: Int32Array; colOffset: Int32Array }>();

/** A K×N matrix in panels (gemmOnPanels) read as its transpose [N, K]: element (j, k) at rowOffset[j] + colOffset[k]. */
export function panelColumnsAsRows(N: number, K: number): { rowOffset: Int32Array; colOffset: Int32Array } {
  return panelColumnsCache.get(`${N},${K}`, () => ({
    rowOffset: Int32Array.from({ length: N }, (_, j) => panelOffset(0, j, K)),
    colOffset: Int32Array.from({ length: K }, (_, k) => panelOffset(k, 0, K)),
  }));
}

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
    if (m + g.KH - 2 > POINTS.length) continue;
    const cost = winogradCost(g, m);
    if (cost < bestCost) {
      best = m;
      bestCost = cost;
    }
  }
  return best;
}

/** The last transformed kernel per weight array, with the values it was computed from. */
const kernelCache = new WeakMap<FloatArray, { values: Float64Array; m: number; U: Float64Array }>();

/**
 * winogradKernelTransform, reused while the weight's values are unchanged (inference and attacks
 * run many batches on fixed weights; the comparison costs OC·C·r² reads against ~2α²·r of them
 * per channel pair for the transform). U is never modified after it is made, so a forward pass
 * may keep it for its backward pass even if the weights change in between.
 */
export function cachedKernelTransform(weight: FloatArray, OC: number, C: number, mat: WinogradMatrices): Float64Array {
  const hit = kernelCache.get(weight);
  if (hit !== undefined && hit.m === mat.m && hit.values.length === weight.length) {
    const v = hit.values;
    let same = true;
    for (let i = 0; i < v.length; i++) {
      if (v[i] !== weight[i]) {
        same = false;
        break;
      }
    }
    if (same) return hit.U;
  }
  const U = winogradKernelTransform(weight, OC, C, mat);
  kernelCache.set(weight, { values: Float64Array.from(weight), m: mat.m, U });
  return U;
}
