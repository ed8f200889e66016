import { describe, expect, test } from 'vitest';
import { backward } from '../../src/autograd/backward.ts';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import { parameter } from '../../src/autograd/variable.ts';
import { softmax, softmaxCrossEntropy, softmaxForward } from '../../src/layers/softmax-cross-entropy.ts';
import { randn, tensor } from '../../src/tensor/create.ts';
import { Rng } from '../../src/tensor/rng.ts';

describe('softmax cross-entropy by hand', () => {
  test('two classes with logits [0, ln 3]: p = [1/4, 3/4], loss of label 1 = ln(4/3)', () => {
    const z = parameter(tensor([[0, Math.log(3)]], undefined, 'float64'));
    const L = softmaxCrossEntropy(z, [1]);
    expect(L.value.item()).toBeCloseTo(Math.log(4 / 3), 14);
    backward(L);
    expect(z.grad!.data[0]).toBeCloseTo(0.25, 14); // p − onehot
    expect(z.grad!.data[1]).toBeCloseTo(-0.25, 14);
  });
  test('the loss is the mean over the batch: gradients carry 1/N', () => {
    const z = parameter(tensor([[0, 0], [0, 0]], undefined, 'float64'));
    const L = softmaxCrossEntropy(z, [0, 1]);
    expect(L.value.item()).toBeCloseTo(Math.log(2), 14);
    backward(L);
    expect(z.grad!.toArray()).toEqual([-0.25, 0.25, 0.25, -0.25]);
  });
});

describe('softmax properties (200 seeded cases)', () => {
  test('rows sum to 1 and a per-row shift changes nothing', () => {
    const rng = new Rng(1);
    for (let c = 0; c < 200; c++) {
      const N = 1 + rng.int(4);
      const K = 1 + rng.int(12);
      const z = randn([N, K], { rng, std: 5, dtype: 'float64' });
      const p = softmaxForward(z);
      const shifted = z.clone();
      for (let n = 0; n < N; n++) {
        const s = (rng.uniform() - 0.5) * 100;
        for (let k = 0; k < K; k++) shifted.data[n * K + k] += s;
      }
      const q = softmaxForward(shifted);
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += p.data[n * K + k];
        expect(s).toBeCloseTo(1, 12);
      }
      p.data.forEach((v, i) => expect(v).toBeCloseTo(q.data[i], 10));
    }
  });
});

describe('stability', () => {
  test('logits of ±1e4 give a finite loss and finite gradients', () => {
    const z = parameter(tensor([[1e4, -1e4, 0], [-1e4, 1e4, 1e4]], undefined, 'float32'));
    const L = softmaxCrossEntropy(z, [1, 0]);
    expect(Number.isFinite(L.value.item())).toBe(true);
    expect(L.value.item()).toBeCloseTo((2e4 + (2e4 + Math.log(2))) / 2, -1);
    backward(L);
    expect(z.grad!.toArray().every(Number.isFinite)).toBe(true);
  });
});

describe('gradcheck', () => {
  test.each([[1, 2], [3, 5], [4, 10]])('softmaxCrossEntropy logits=[%i,%i]', (N, K) => {
    const labels = Array.from({ length: N }, (_, n) => (n * 7) % K);
    expect(gradcheck((z) => softmaxCrossEntropy(z, labels), [randn([N, K], { rng: 2, dtype: 'float64' })], { name: 'softmaxCrossEntropy' }).ok).toBe(true);
  });
  test.each([[1, 3], [3, 4]])('softmax logits=[%i,%i]', (N, K) => {
    expect(gradcheck((z) => softmax(z), [randn([N, K], { rng: 3, dtype: 'float64' })], { name: 'softmax' }).ok).toBe(true);
  });
});

describe('bad labels', () => {
  const z = parameter(tensor([[0, 0, 0], [0, 0, 0]]));
  test('wrong count', () => {
    expect(() => softmaxCrossEntropy(z, [1])).toThrow('softmaxCrossEntropy: logits have N=2 rows but there are 1 labels');
  });
  test('out of range', () => {
    expect(() => softmaxCrossEntropy(z, [0, 3])).toThrow('softmaxCrossEntropy: label 1 is 3, outside the K=3 classes [0, 2]');
  });
  test('not an integer', () => {
    expect(() => softmaxCrossEntropy(z, [0, 1.5])).toThrow('softmaxCrossEntropy: label 1 is 1.5, expected an integer class index');
  });
});
