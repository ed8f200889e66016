import { describe, expect, test } from 'vitest';
import { add, mul, scale, sub } from '../../src/autograd/arithmetic.ts';
import { backward } from '../../src/autograd/backward.ts';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import { matmul } from '../../src/autograd/matmul.ts';
import { mean, sum } from '../../src/autograd/reduce.ts';
import { flatten, reshape } from '../../src/autograd/reshape.ts';
import { parameter, type Variable } from '../../src/autograd/variable.ts';
import { randn, tensor } from '../../src/tensor/create.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';

const r64 = (shape: number[], seed: number): Tensor => randn(shape, { rng: seed, dtype: 'float64' });

describe('hand-computed gradients', () => {
  test('matmul: d(Σ x·y)/dx = 1·yᵀ, d/dy = xᵀ·1', () => {
    const x = parameter(tensor([[1, 2], [3, 4]], undefined, 'float64'));
    const y = parameter(tensor([[5, 6], [7, 8]], undefined, 'float64'));
    backward(sum(matmul(x, y)));
    expect(x.grad!.toArray()).toEqual([11, 15, 11, 15]); // row sums of y, per column of x
    expect(y.grad!.toArray()).toEqual([4, 4, 6, 6]); // column sums of x
  });
  test('mean of 4 elements spreads 1/4 to each', () => {
    const x = parameter(tensor([1, 2, 3, 4], [4], 'float64'));
    const m = mean(x);
    expect(m.value.item()).toBe(2.5);
    backward(m);
    expect(x.grad!.toArray()).toEqual([0.25, 0.25, 0.25, 0.25]);
  });
  test('sub gives −dz to its second input', () => {
    const x = parameter(tensor([1], [1], 'float64'));
    const y = parameter(tensor([1], [1], 'float64'));
    backward(sum(sub(x, y)));
    expect(y.grad!.toArray()).toEqual([-1]);
  });
});

// One table drives the float64 gradient checks of every primitive (minitorch's way).
const cases: Array<{ name: string; f: (...v: Variable[]) => Variable; inputs: Tensor[] }> = [];
for (const shape of [[1], [3], [2, 3], [2, 3, 4]]) {
  const s = `[${shape.join(',')}]`;
  cases.push({ name: `add x=${s}`, f: (x, y) => add(x, y), inputs: [r64(shape, 1), r64(shape, 2)] });
  cases.push({ name: `sub x=${s}`, f: (x, y) => sub(x, y), inputs: [r64(shape, 3), r64(shape, 4)] });
  cases.push({ name: `mul x=${s}`, f: (x, y) => mul(x, y), inputs: [r64(shape, 5), r64(shape, 6)] });
  cases.push({ name: `scale x=${s} α=-1.7`, f: (x) => scale(x, -1.7), inputs: [r64(shape, 7)] });
  cases.push({ name: `sum x=${s}`, f: (x) => sum(x), inputs: [r64(shape, 8)] });
  cases.push({ name: `mean x=${s}`, f: (x) => mean(x), inputs: [r64(shape, 9)] });
}
for (const [M, K, N] of [[1, 1, 1], [2, 3, 4], [5, 1, 3], [4, 7, 2]]) {
  cases.push({ name: `matmul x=[${M},${K}] y=[${K},${N}]`, f: (x, y) => matmul(x, y), inputs: [r64([M, K], 10), r64([K, N], 11)] });
}
cases.push({ name: 'reshape [2,3,4]→[4,6]', f: (x) => reshape(x, [4, 6]), inputs: [r64([2, 3, 4], 12)] });
cases.push({ name: 'flatten [2,3,2,2]→[2,12]', f: (x) => flatten(x), inputs: [r64([2, 3, 2, 2], 13)] });
cases.push({ name: 'composite mul(matmul(x,y), matmul(x,y)) (fan-out)', f: (x, y) => { const z = matmul(x, y); return mul(z, z); }, inputs: [r64([3, 2], 14), r64([2, 3], 15)] });

describe('float64 gradcheck of every primitive', () => {
  test.each(cases)('gradcheck $name', ({ name, f, inputs }) => {
    const result = gradcheck(f, inputs, { name });
    expect(result.ok).toBe(true);
  });
});

describe('op input errors', () => {
  test('add of different shapes names the op and shapes', () => {
    expect(() => add(parameter(r64([2], 1)), parameter(r64([3], 1)))).toThrow(/add: x has shape \[2\] but y has shape \[3\]/);
  });
  test('scale by NaN is refused', () => {
    expect(() => scale(parameter(r64([2], 1)), NaN)).toThrow(/scale: alpha must be a finite number, got NaN/);
  });
});
