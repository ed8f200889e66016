import { describe, expect, test } from 'vitest';
import { backward } from '../../src/autograd/backward.ts';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import { parameter } from '../../src/autograd/variable.ts';
import { klDivergencePerExample } from '../../src/layers/kl-divergence.ts';
import { softmaxForward } from '../../src/layers/softmax-cross-entropy.ts';
import { randn, tensor } from '../../src/tensor/create.ts';
import { Rng } from '../../src/tensor/rng.ts';

describe('KL(softmax(a) ‖ softmax(b)) per row', () => {
  test('by hand: p = [1/4, 3/4], q = [1/2, 1/2] gives ¼·ln(½) + ¾·ln(3/2); ∂/∂b = q − p', () => {
    const a = parameter(tensor([[0, Math.log(3)]], undefined, 'float64'));
    const b = parameter(tensor([[0, 0]], undefined, 'float64'));
    const l = klDivergencePerExample(a, b);
    expect(l.value.data[0]).toBeCloseTo(0.25 * Math.log(0.5) + 0.75 * Math.log(1.5), 14);
    backward(l, tensor([1], undefined, 'float64'));
    expect(b.grad!.data[0]).toBeCloseTo(0.25, 14);
    expect(b.grad!.data[1]).toBeCloseTo(-0.25, 14);
  });

  test('≥ 0, 0 on equal rows, matches Σ p·log(p/q) from softmax, and stays finite for logits of ±1e4 (100 seeded cases)', () => {
    const rng = new Rng(3);
    for (let c = 0; c < 100; c++) {
      const N = 1 + rng.int(4);
      const K = 2 + rng.int(10);
      const za = randn([N, K], { rng, std: 4, dtype: 'float64' });
      const zb = randn([N, K], { rng, std: 4, dtype: 'float64' });
      const l = klDivergencePerExample(parameter(za), parameter(zb)).value.data;
      const [p, q] = [softmaxForward(za).data, softmaxForward(zb).data];
      for (let n = 0; n < N; n++) {
        let direct = 0;
        for (let k = 0; k < K; k++) direct += p[n * K + k] * Math.log(p[n * K + k] / q[n * K + k]);
        expect(l[n]).toBeGreaterThanOrEqual(0);
        expect(l[n]).toBeCloseTo(direct, 10);
      }
      const same = klDivergencePerExample(parameter(za), parameter(za.clone())).value.data;
      same.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-14));
    }
    const huge = klDivergencePerExample(parameter(tensor([[1e4, -1e4, 0]], undefined, 'float64')), parameter(tensor([[-1e4, 1e4, 0]], undefined, 'float64')));
    expect(huge.value.data[0]).toBeCloseTo(2e4, 6); // log p₀ − log q₀ = 0 − (−2e4)
  });

  test('float64 gradient check of both inputs, every element, random cotangent', () => {
    const a = parameter(randn([3, 10], { rng: 1, std: 2, dtype: 'float64' }));
    const b = parameter(randn([3, 10], { rng: 2, std: 2, dtype: 'float64' }));
    const r = gradcheck((x, y) => klDivergencePerExample(x, y), [a, b], { name: 'klDivergencePerExample' });
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(60);
  });

  test('rows are independent: a row\'s gradient does not depend on the others', () => {
    const a = randn([4, 10], { rng: 5, std: 2, dtype: 'float64' });
    const b = randn([4, 10], { rng: 6, std: 2, dtype: 'float64' });
    const whole = [parameter(a), parameter(b)];
    backward(klDivergencePerExample(whole[0], whole[1]), tensor([1, 1, 1, 1], undefined, 'float64'));
    const row = [parameter(tensor([Array.from(a.data.slice(20, 30))], undefined, 'float64')), parameter(tensor([Array.from(b.data.slice(20, 30))], undefined, 'float64'))];
    backward(klDivergencePerExample(row[0], row[1]), tensor([1], undefined, 'float64'));
    expect(Array.from(row[0].grad!.data)).toEqual(Array.from(whole[0].grad!.data.slice(20, 30)));
    expect(Array.from(row[1].grad!.data)).toEqual(Array.from(whole[1].grad!.data.slice(20, 30)));
  });

  test('shapes that differ are refused, naming both', () => {
    expect(() => klDivergencePerExample(parameter(randn([2, 10])), parameter(randn([2, 9])))).toThrow('klDivergencePerExample: both logits must be [N, K] of one shape, got [2,10] and [2,9]');
  });
});
