/**
 * Winograd minimal filtering (Lavin & Gray 2016, "Fast algorithms for convolutional neural
 * networks"): the matrices Aᵀ, G, Bᵀ of F(m, r), built from the Toom–Cook construction below.
 * This folder's fast convolution (speeds up kernels/reference/conv2d.ts, the direct loop nest; a
 * first reader reads that file instead) uses them in plain.ts and panels.ts.
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
 * tiles α×α overlap by r − 1. For a layer the channel sum is taken before the (linear) output
 * transform, so at each of the α² points it is one matrix product (plain.ts).
 *
 * (cost.ts counts the multiplications and picks m; plain.ts has the gradients and the accuracy.)
 */

/** The interpolation points in the order they are used: 0, ±1, ±2, ±½, ±3, ±⅓, ±4, ±¼. */
const POINTS: readonly number[] = [0, 1, -1, 2, -2, 1 / 2, -1 / 2, 3, -3, 1 / 3, -1 / 3, 4, -4, 1 / 4, -1 / 4];

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

/** How many interpolation points there are: F(m, r) needs m + r − 2 of them. */
export const MAX_POINTS = POINTS.length;
