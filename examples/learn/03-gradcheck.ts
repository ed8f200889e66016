/**
 * Chapter 3, checking a gradient: gradcheck compares backward with central differences, on a
 * correct op (linear) and on two deliberately wrong ones, and we read the failure.
 * Run: npx tsx examples/learn/03-gradcheck.ts
 */
import { constant, defineOp, gradcheck, linear, randn, Rng, sum, Tensor, tensor, type Variable } from '../../src/index.ts';

/** Elementwise map of a float64 tensor (a tiny kernel for the ops below). */
const map = (t: Tensor, f: (v: number, i: number) => number): Tensor => new Tensor(Float64Array.from(t.data, f), t.shape);

// 1. A correct op: linear, y = x·Wᵀ + b. Every element of x, W and b is checked.
const rng = new Rng(3);
const x = randn([2, 3], { rng, dtype: 'float64' });
const weight = randn([4, 3], { rng, dtype: 'float64' });
const bias = randn([4], { rng, dtype: 'float64' });
const good = gradcheck(linear, [x, weight, bias]);
console.log(`linear: ok ${good.ok}, ${good.checked} comparisons (6 + 12 + 4 elements), worst error below 1e-8: ${good.worstError < 1e-8}`);

// One of those comparisons by hand: L = ⟨r, f(x)⟩ with r the cotangent, perturb x[0, 0] by ±h.
const h = 1e-6;
const r = randn([2, 4], { rng: new Rng(9), dtype: 'float64' });
const L = (xs: Tensor): number => {
  const y = linear(constant(xs), constant(weight), constant(bias)).value.data; // [2, 4]
  let total = 0;
  for (let i = 0; i < y.length; i++) total += r.data[i] * y[i];
  return total;
};
const numeric = (L(map(x, (v, i) => (i === 0 ? v + h : v))) - L(map(x, (v, i) => (i === 0 ? v - h : v)))) / (2 * h);
let analytic = 0; // (rᵀ·W)[0, 0] = Σ_o r[0, o] · W[o, 0]
for (let o = 0; o < 4; o++) analytic += r.data[o] * weight.data[o * 3];
console.log(`by hand, ∂L/∂x[0,0]: numeric ${numeric.toFixed(6)}, analytic ${analytic.toFixed(6)}`);

// 2. A wrong op: square with a backward that forgets the factor 2 (d(x²)/dx = 2x, not x).
const badSquare = defineOp('badSquare', (v: Variable) => ({
  value: map(v.value, (a) => a * a),
  backward: (dy) => [map(dy, (g, i) => g * v.value.data[i])], // wrong on purpose
}));
const bad = gradcheck(badSquare, [tensor([0.5, -1, 2], [3], 'float64')], { raise: false });
console.log(`badSquare: ok ${bad.ok}, ${bad.failures.length} of ${bad.checked} comparisons fail`);
console.log(bad.message);

// 3. An index bug: reverse whose backward forgets to reverse dy. With dy = 1 everywhere (a
// check scalarised by sum) it passes; the random cotangent that gradcheck uses catches it.
const badReverse = defineOp('badReverse', (v: Variable) => ({
  value: map(v.value, (_, i) => v.value.data[v.value.size - 1 - i]),
  backward: (dy) => [dy], // wrong on purpose: should be dy reversed
}));
const input = tensor([1, 2, 3, 4], [4], 'float64');
const bySum = gradcheck((v: Variable) => sum(badReverse(v)), [input], { raise: false, name: 'sum∘badReverse' });
console.log(`sum(badReverse(x)): ok ${bySum.ok} (dy = 1 hides the bug)`);
try {
  gradcheck(badReverse, [input]);
} catch (e) {
  console.log((e as Error).message);
}

// 4. float32 is refused: its rounding (about 1e-7 relative) swamps a difference quotient with h = 1e-6.
try {
  gradcheck(linear, [x.clone('float32'), weight, bias]);
} catch (e) {
  console.log((e as Error).message);
}
