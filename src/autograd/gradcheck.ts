/**
 * gradcheck: compares the analytic gradients from backward with central differences, in float64.
 *
 * The function f(x₀, x₁, …) may return any shape; it is scalarised with a seeded random cotangent
 * r (never all ones: with dy = 1 everywhere, a backward that mixes up indices can still pass):
 *
 *   L(x) = ⟨r, f(x)⟩ = Σ_j r_j f_j(x)
 *   analytic:  aᵢ = (Jᵀ r)ᵢ, from backward(f(x), r)
 *   numeric:   nᵢ = (L(x + h eᵢ) − L(x − h eᵢ)) / 2h      (error O(h²); h = 1e-6 as PyTorch)
 *   pass:      |aᵢ − nᵢ| ≤ atol + rtol·|nᵢ|                (atol 1e-5, rtol 1e-3: PyTorch's float64 defaults)
 *
 * 'full' mode checks every element of every input. 'projected' mode, for large inputs such as a
 * whole network's parameters, checks one random direction u per call,
 *
 *   ⟨r, (f(x + h u) − f(x − h u)) / 2h⟩  vs  Σ_inputs ⟨Jᵀ r, u⟩,
 *
 * plus `samples` randomly chosen coordinates of every input, at O(1 + samples) forward passes.
 *
 * Both modes also check that every gradient has its input's shape and dtype, that a second
 * backward gives bit-identical gradients (reentrancy), and that a zero cotangent gives zero
 * gradients. A failure names the op, the input, the flat and multi-dimensional index, both values
 * and the worst error.
 */
import { dot } from '../tensor/elementwise.ts';
import { randn, zeros } from '../tensor/create.ts';
import { Rng } from '../tensor/rng.ts';
import { formatShape, sameShape, unravelIndex } from '../tensor/shape.ts';
import { Tensor } from '../tensor/tensor.ts';
import { backward } from './backward.ts';
import { noGrad, Variable } from './variable.ts';

export interface GradcheckOptions {
  /** The op's name in messages (default: f.name, or 'f'). */
  name?: string;
  /** Finite-difference step h (default 1e-6). */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the random cotangent r, the direction u and the sampled coordinates (default 0). */
  seed?: number;
  /** 'full': every element (default). 'projected': a random direction plus sampled coordinates. */
  mode?: 'full' | 'projected';
  /** Projected mode: coordinates sampled per input (default 20; all of them if the input is smaller). */
  samples?: number;
  /** Throw an Error with the report when the check fails (default true). */
  raise?: boolean;
}

export interface GradcheckFailure {
  input: number;
  /** Flat index, or -1 for the projected direction. */
  index: number;
  multiIndex: number[];
  analytic: number;
  numeric: number;
  error: number;
}

export interface GradcheckResult {
  ok: boolean;
  /** Number of comparisons made. */
  checked: number;
  /** Largest |a − n| over all comparisons. */
  worstError: number;
  failures: GradcheckFailure[];
  /** A readable report; names the op, input, index and values of the worst failure. */
  message: string;
}

/**
 * Checks `f`'s gradients with respect to every input. Tensor inputs are wrapped in fresh
 * Variables; Variable inputs (such as a model's parameters) are used as they are, perturbed in
 * place and restored. Every input must be float64.
 * @param f the function under test, called with one Variable per input
 * @param inputs float64 Tensors or Variables
 */
export function gradcheck(
  f: (...inputs: Variable[]) => Variable,
  inputs: ReadonlyArray<Tensor | Variable>,
  options: GradcheckOptions = {},
): GradcheckResult {
  const name = options.name ?? (f.name || 'f');
  const h = options.eps ?? 1e-6;
  const rng = new Rng(options.seed ?? 0);
  const vars = checkedInputs(name, inputs);

  const evaluate = (): Tensor => {
    const y = f(...vars);
    if (!(y instanceof Variable)) throw new TypeError(`gradcheck(${name}): f must return a Variable`);
    if (y.value.dtype !== 'float64') throw new TypeError(`gradcheck(${name}): f returned ${y.value.dtype}; expected float64 for float64 inputs`);
    return y.value;
  };
  const analyticGrads = (cotangent: Tensor | null): Tensor[] => {
    for (const v of vars) v.grad = null;
    const y = f(...vars);
    backward(y, cotangent ?? zeros(y.shape, 'float64'));
    return vars.map((v) => (v.grad === null ? zeros(v.shape, 'float64') : v.grad.clone()));
  };

  const y0 = evaluate();
  const r = randn(y0.shape, { rng, dtype: 'float64' });
  const { analytic, problems } = engineChecks(analyticGrads, vars, r);

  const L = (): number => noGrad(() => dot(r, evaluate()));
  const tally = new Tally(vars, options.atol ?? 1e-5, options.rtol ?? 1e-3);
  const numericAt = (v: Variable, j: number): number => {
    const data = v.value.data;
    const saved = data[j];
    data[j] = saved + h;
    const plus = L();
    data[j] = saved - h;
    const minus = L();
    data[j] = saved;
    return (plus - minus) / (2 * h);
  };

  if ((options.mode ?? 'full') === 'full') {
    vars.forEach((v, i) => {
      for (let j = 0; j < v.value.size; j++) tally.compare(i, j, analytic[i].data[j], numericAt(v, j));
    });
  } else {
    const directions = vars.map((v) => randn(v.shape, { rng, dtype: 'float64' }));
    tally.compare(0, -1, projectedAnalytic(analytic, directions), projectedNumeric(vars, directions, h, L));
    const samples = options.samples ?? 20;
    vars.forEach((v, i) => {
      const size = v.value.size;
      const picks = size <= samples ? Array.from({ length: size }, (_, j) => j) : Array.from(rng.permutation(size).subarray(0, samples));
      for (const j of picks) tally.compare(i, j, analytic[i].data[j], numericAt(v, j));
    });
  }

  const ok = tally.failures.length === 0 && problems.length === 0;
  const message = ok
    ? `gradcheck(${name}): ${tally.checked} comparisons passed, worst error ${tally.worstError.toExponential(3)}`
    : failureMessage(name, tally, problems, options.atol ?? 1e-5, options.rtol ?? 1e-3, h);
  const result: GradcheckResult = { ok, checked: tally.checked, worstError: tally.worstError, failures: tally.failures, message };
  if (!ok && options.raise !== false) throw new Error(message);
  return result;
}

/** The inputs as Variables that require a gradient, float64; errors name the input. */
function checkedInputs(name: string, inputs: ReadonlyArray<Tensor | Variable>): Variable[] {
  return inputs.map((input, i) => {
    const v = input instanceof Variable ? input : new Variable(input.clone(), { requiresGrad: true });
    if (!(v.value instanceof Tensor)) throw new TypeError(`gradcheck(${name}): input ${i} is not a Tensor or Variable`);
    if (v.value.dtype !== 'float64') {
      throw new TypeError(
        `gradcheck(${name}): input ${i} (shape ${formatShape(v.shape)}) is ${v.value.dtype}; gradcheck needs float64 inputs, because float32 rounding swamps the difference quotient`,
      );
    }
    if (!v.requiresGrad) throw new Error(`gradcheck(${name}): input ${i} does not require a gradient`);
    return v;
  });
}

/**
 * The analytic gradients for cotangent r, and what is wrong with the engine's handling of them:
 * a wrong shape or dtype, a second backward pass that gives other bits (reentrancy), a zero
 * cotangent that gives a non-zero gradient. Leaves every input's grad null.
 */
function engineChecks(analyticGrads: (cotangent: Tensor | null) => Tensor[], vars: Variable[], r: Tensor): { analytic: Tensor[]; problems: string[] } {
  const problems: string[] = [];
  const analytic = analyticGrads(r);
  analytic.forEach((g, i) => {
    if (!sameShape(g.shape, vars[i].shape) || g.dtype !== 'float64') {
      problems.push(`gradient of input ${i} has shape ${formatShape(g.shape)} (${g.dtype}), expected ${formatShape(vars[i].shape)} (float64)`);
    }
  });
  const again = analyticGrads(r);
  again.forEach((g, i) => {
    const differs = g.data.findIndex((v, j) => !Object.is(v, analytic[i].data[j]));
    if (differs >= 0) problems.push(`backward is not reentrant: input ${i} element ${differs} gave ${analytic[i].data[differs]} then ${g.data[differs]}`);
  });
  const zeroed = analyticGrads(null);
  zeroed.forEach((g, i) => {
    const nonzero = g.data.findIndex((v) => v !== 0);
    if (nonzero >= 0) problems.push(`a zero cotangent gave a non-zero gradient: input ${i} element ${nonzero} = ${g.data[nonzero]}`);
  });
  for (const v of vars) v.grad = null;
  return { analytic, problems };
}

/** Σ_i ⟨analytic gradient i, direction i⟩. */
function projectedAnalytic(analytic: Tensor[], directions: Tensor[]): number {
  let projected = 0;
  analytic.forEach((g, i) => (projected += dot(g, directions[i])));
  return projected;
}

/** (L(θ + h·u) − L(θ − h·u)) / 2h for the inputs θ moved along the directions u together; θ restored. */
function projectedNumeric(vars: Variable[], directions: Tensor[], h: number, L: () => number): number {
  const shift = (sign: number): void => {
    vars.forEach((v, i) => {
      const data = v.value.data;
      const u = directions[i].data;
      for (let j = 0; j < data.length; j++) data[j] += sign * h * u[j];
    });
  };
  const saved = vars.map((v) => v.value.clone());
  shift(+1);
  const plus = L();
  vars.forEach((v, i) => v.value.data.set(saved[i].data));
  shift(-1);
  const minus = L();
  vars.forEach((v, i) => v.value.data.set(saved[i].data));
  return (plus - minus) / (2 * h);
}

/** The comparisons of one gradcheck call: how many, which failed, the worst. */
class Tally {
  checked = 0;
  worstError = 0;
  worst: GradcheckFailure | null = null;
  readonly failures: GradcheckFailure[] = [];

  constructor(private readonly vars: Variable[], private readonly atol: number, private readonly rtol: number) {}

  /** Analytic a against numeric n for element `index` of input `input` (index −1: the projection). */
  compare(input: number, index: number, a: number, n: number): void {
    this.checked++;
    const error = Math.abs(a - n);
    const multiIndex = index < 0 ? [] : unravelIndex(index, this.vars[input].shape);
    const entry = { input, index, multiIndex, analytic: a, numeric: n, error };
    if (!(error <= this.atol + this.rtol * Math.abs(n))) this.failures.push(entry); // NaN fails too
    if (!(error <= this.worstError)) {
      this.worstError = error;
      this.worst = entry;
    }
  }

  describe(e: GradcheckFailure): string {
    return e.index < 0
      ? `the projection onto a random direction: analytic ${e.analytic} vs numeric ${e.numeric} (error ${e.error.toExponential(3)})`
      : `input ${e.input} (shape ${formatShape(this.vars[e.input].shape)}) element ${e.index} ${formatShape(e.multiIndex)}: analytic ${e.analytic} vs numeric ${e.numeric} (error ${e.error.toExponential(3)})`;
  }
}

/** The report of a failed check: the engine's problems, then the first and the worst failing comparison. */
function failureMessage(name: string, tally: Tally, problems: string[], atol: number, rtol: number, h: number): string {
  const lines = [`gradcheck(${name}) failed (atol ${atol}, rtol ${rtol}, h ${h}):`, ...problems.map((p) => `  ${p}`)];
  if (tally.failures.length > 0) {
    lines.push(`  ${tally.failures.length} of ${tally.checked} comparisons exceed the tolerance; first: ${tally.describe(tally.failures[0])}`);
    if (tally.worst !== null) lines.push(`  worst: ${tally.describe(tally.worst)}`);
  }
  return lines.join('\n');
}
