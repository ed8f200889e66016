/**
 * Chapter 4, the layers' math: linear, ReLU and softmax cross-entropy, each forward and VJP on a
 * tiny example, by hand beside the library, then checked by gradcheck.
 * Run: npx tsx examples/learn/04-layers.ts
 */
import {
  Conv2d, gradcheck, initStd, Linear, linear, parameter, randn, relu, Rng, softmax, softmaxCrossEntropy, tensor, type Tensor, type Variable,
} from '../../src/index.ts';

const f = (v: number): string => (Math.abs(v) < 5e-5 ? 0 : v).toFixed(4);
/** A [R, C] tensor (or a flat one) as rows of 4-decimal numbers. */
const rows = (t: Tensor | number[][]): string => {
  const m = Array.isArray(t) ? t : t.shape.length === 2 ? Array.from({ length: t.shape[0] }, (_, r) => t.toArray().slice(r * t.shape[1], (r + 1) * t.shape[1])) : [t.toArray()];
  return m.map((r) => `[${r.map(f).join(', ')}]`).join(' ');
};
const leaf = (values: number[][] | number[], shape: number[]): Variable => parameter(tensor(values.flat(), shape, 'float64'));

console.log('linear: y = x·Wᵀ + b,  dx = dy·W,  dW = dyᵀ·x,  db = Σ_n dy');
const x = leaf([[1, 2, 3], [-1, 0, 2]], [2, 3]); // [N=2, IN=3]
const W = leaf([[0.5, -1, 0], [2, 0, 1]], [2, 3]); // [OUT=2, IN=3]
const b = leaf([0.1, -0.2], [2]); // [OUT]
const y = linear(x, W, b); // [2, 2]
const X = [[1, 2, 3], [-1, 0, 2]];
const Wm = [[0.5, -1, 0], [2, 0, 1]];
const B = [0.1, -0.2];
const yHand = X.map((xr) => Wm.map((wr, o) => B[o] + xr.reduce((acc, xi, i) => acc + xi * wr[i], 0)));
console.log(`  y        ${rows(y.value)}`);
console.log(`  by hand  ${rows(yHand)}`);
const dY = [[1, 0], [0, -1]]; // the cotangent ∂L/∂y
y.backward(tensor(dY.flat(), [2, 2], 'float64'));
const dxHand = dY.map((dr) => [0, 1, 2].map((i) => dr.reduce((acc, d, o) => acc + d * Wm[o][i], 0)));
const dWHand = [0, 1].map((o) => [0, 1, 2].map((i) => dY.reduce((acc, dr, n) => acc + dr[o] * X[n][i], 0)));
console.log(`  dx       ${rows(x.grad!)}   by hand ${rows(dxHand)}`);
console.log(`  dW       ${rows(W.grad!)}   by hand ${rows(dWHand)}`);
console.log(`  db       ${rows(b.grad!)}   by hand ${rows([[dY[0][0] + dY[1][0], dY[0][1] + dY[1][1]]])}`);

console.log('relu: y = max(0, x),  dx = dy · 1[x > 0]  (0 at x = 0)');
const z = leaf([-1.5, 0, 2, 0.3], [4]);
const h = relu(z);
h.backward(tensor([1, 1, 1, -2], [4], 'float64'));
console.log(`  x ${rows(z.value)}  y ${rows(h.value)}`);
console.log(`  dy [1.0000, 1.0000, 1.0000, -2.0000]  dx ${rows(z.grad!)}`);

console.log('softmax cross-entropy: p = softmax(z), L = −(1/N) Σ_n log p[n, y_n],  dz = (p − onehot(y)) / N');
const logits = leaf([[2, 1, 0.1], [0, 0, 3]], [2, 3]); // [N=2, K=3]
const labels = [0, 1];
const p = softmax(logits).value; // [2, 3]
const L = softmaxCrossEntropy(logits, labels);
const lossHand = -(Math.log(p.data[0]) + Math.log(p.data[3 + 1])) / 2;
console.log(`  p        ${rows(p)}  (rows sum to 1)`);
console.log(`  L        ${f(L.value.item())}   by hand −(log ${f(p.data[0])} + log ${f(p.data[4])}) / 2 = ${f(lossHand)}`);
L.backward();
const dzHand = [0, 1].map((n) => [0, 1, 2].map((k) => (p.data[n * 3 + k] - (k === labels[n] ? 1 : 0)) / 2));
console.log(`  dz       ${rows(logits.grad!)}`);
console.log(`  by hand  ${rows(dzHand)}`);

console.log('gradcheck, every element, float64:');
const rng = new Rng(4);
const checks: Array<[string, () => boolean]> = [
  ['linear', () => gradcheck(linear, [randn([3, 4], { rng, dtype: 'float64' }), randn([2, 4], { rng, dtype: 'float64' }), randn([2], { rng, dtype: 'float64' })]).ok],
  ['relu', () => gradcheck(relu, [tensor([-1.5, -0.2, 0.3, 2], [4], 'float64')]).ok], // away from the kink at 0
  ['softmaxCrossEntropy', () => gradcheck((v: Variable) => softmaxCrossEntropy(v, [2, 0, 1]), [randn([3, 4], { rng, dtype: 'float64' })]).ok],
];
for (const [name, check] of checks) console.log(`  ${name}: ${check() ? 'ok' : 'FAILED'}`);

console.log('where the weights start (the std measured over each weight tensor):');
const std = (t: Tensor): number => Math.sqrt(t.toArray().reduce((acc, v) => acc + v * v, 0) / t.size);
const layers: Array<[string, string, Tensor, number]> = [
  ['new Linear(784, 100)', 'he', new Linear(784, 100, { rng: new Rng(0) }).weight.value, initStd('he', 784)],
  ["new Linear(784, 100, { init: 'matconvnet' })", 'matconvnet', new Linear(784, 100, { rng: new Rng(0), init: 'matconvnet' }).weight.value, initStd('matconvnet', 784)],
  ['new Conv2d(20, 50, 5)', 'matconvnet', new Conv2d(20, 50, 5, { rng: new Rng(0) }).weight.value, initStd('matconvnet', 500)],
  ["new Conv2d(20, 50, 5, { init: 'he' })", 'he', new Conv2d(20, 50, 5, { rng: new Rng(0), init: 'he' }).weight.value, initStd('he', 500)],
];
for (const [code, init, weight, rule] of layers) console.log(`  ${code.padEnd(45)} ${init.padEnd(10)} std ${std(weight).toFixed(4)}, rule ${rule.toFixed(4)}`);
