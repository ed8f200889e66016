/**
 * The recycling of arrays between units of work (src/tensor/recycle.ts): what a scope allocates is
 * reused after it, zeroed; what it keeps, what is still held outside and what it made while
 * failing is never handed out again; the engines keep their results intact across later calls.
 */
import { describe, expect, test } from 'vitest';
import { keep, pooledArray, pooledByteCount, recycling, release } from '../../src/tensor/recycle.ts';
import { createLeNet } from '../../src/models/lenet.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { allocate, Tensor } from '../../src/tensor/tensor.ts';
import { InProcessEngine } from '../../src/train/engine.ts';
import { SGD } from '../../src/train/sgd.ts';

/** A size no other test file's work allocates, so the pool's state here is this file's own. */
const SIZE = 4099;

describe('recycling scopes', () => {
  test('an array allocated in a scope is handed out again after it, zero-filled', () => {
    const inside = recycling(() => {
      const a = allocate('float32', SIZE);
      a.fill(7);
      return a;
    });
    const next = allocate('float32', SIZE);
    expect(next).toBe(inside); // the same memory …
    expect(next.every((v) => v === 0)).toBe(true); // … as a new array
  });

  test('a kept array is not handed out again, and keeps its values', () => {
    const kept = recycling(() => {
      const a = allocate('float64', SIZE);
      a.fill(3);
      return keep(a);
    });
    const later = recycling(() => allocate('float64', SIZE).fill(5));
    expect(later).not.toBe(kept);
    expect(kept.every((v) => v === 3)).toBe(true);
  });

  test('keep matches views of the buffer (a reshape, a subarray)', () => {
    const whole = recycling(() => {
      const t = new Tensor(allocate('float32', SIZE), [SIZE]);
      keep(t.reshape([1, SIZE]).data.subarray(5, 9));
      return t.data;
    });
    expect(allocate('float32', SIZE)).not.toBe(whole);
  });

  test('nested scopes: a kept array belongs to the enclosing scope and is recycled when that ends', () => {
    let inner: Float32Array | Float64Array | null = null;
    recycling(() => {
      inner = recycling(() => keep(allocate('float32', SIZE + 1)));
      expect(allocate('float32', SIZE + 1)).not.toBe(inner); // still held by the outer scope
    });
    const a = allocate('float32', SIZE + 1);
    const b = allocate('float32', SIZE + 1);
    expect([a, b]).toContain(inner);
  });

  test('a scope that throws recycles nothing', () => {
    let made: Float32Array | Float64Array | null = null;
    expect(() =>
      recycling(() => {
        made = allocate('float32', SIZE + 2);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(allocate('float32', SIZE + 2)).not.toBe(made);
  });

  test('release: only arrays the pool made, each handed out once however often it is released', () => {
    const own = new Float64Array(SIZE + 3);
    release(own);
    expect(pooledArray(Float64Array, SIZE + 3)).not.toBe(own);
    const a = pooledArray(Int32Array, SIZE + 3);
    release(a, a);
    const first = pooledArray(Int32Array, SIZE + 3);
    const second = pooledArray(Int32Array, SIZE + 3);
    expect(first).toBe(a);
    expect(second).not.toBe(a);
  });

  test('the pool is bounded and gives up its oldest arrays first', () => {
    const arrays = Array.from({ length: 40 }, (_, i) => pooledArray(Float64Array, 2 ** 19 + i)); // 4 MiB each, 160 MiB in all
    release(...arrays);
    expect(pooledByteCount()).toBeLessThanOrEqual(128 * 2 ** 20);
    expect(pooledArray(Float64Array, 2 ** 19 + 39)).toBe(arrays[39]); // the newest waits
    expect(pooledArray(Float64Array, 2 ** 19)).not.toBe(arrays[0]); // the oldest was let go
  });
});

describe('the in-process engine recycles between calls but never what it returned', () => {
  const model = createLeNet({ seed: 0 });
  const engine = new InProcessEngine(model);
  const rng = new Rng(3);
  const batch = (n: number) => ({
    x: new Tensor(Float32Array.from({ length: n * 784 }, () => 60 * rng.normal()), [n, 1, 28, 28]),
    labels: Int32Array.from({ length: n }, () => rng.int(10)),
  });

  test('results held by the caller survive later calls bit for bit', async () => {
    const a = batch(110); // 110 × 10 logits: large enough to be pooled
    const b = batch(110);
    const logits = await engine.logits(a.x);
    const xAdv = await engine.fgsm(a.x, a.labels, { eps: 0.1 });
    const pgd = await engine.attack(a.x, a.labels, { attack: 'pgd', eps: 0.1, steps: 2 });
    const grads = (await engine.batchGradients(a.x, a.labels, 110, { kind: 'standard' })).grads;
    const copies = [logits.data, xAdv.data, pgd.data, ...grads].map((d) => d.slice());
    // the same work again on other data: every intermediate of the calls above is reused
    await engine.logits(b.x);
    await engine.fgsm(b.x, b.labels, { eps: 0.1 });
    await engine.attack(b.x, b.labels, { attack: 'pgd', eps: 0.1, steps: 2 });
    await engine.batchGradients(b.x, b.labels, 110, { kind: 'standard' });
    [logits.data, xAdv.data, pgd.data, ...grads].forEach((d, i) => expect(d, `result ${i}`).toEqual(copies[i]));
  });

  test('recycled memory gives the results of fresh memory: a call repeated after others gives the same bits', async () => {
    const a = batch(30);
    const first = await engine.fgsm(a.x, a.labels, { eps: 0.2 });
    const firstGrads = (await engine.batchGradients(a.x, a.labels, 30, { kind: 'adversarial', fgsm: { eps: 0.2 } })).grads;
    for (let i = 0; i < 2; i++) {
      const other = batch(30);
      await engine.batchGradients(other.x, other.labels, 30, { kind: 'standard' });
      await engine.fgsm(other.x, other.labels, { eps: 0.3 });
    }
    expect((await engine.fgsm(a.x, a.labels, { eps: 0.2 })).data).toEqual(first.data);
    const again = (await engine.batchGradients(a.x, a.labels, 30, { kind: 'adversarial', fgsm: { eps: 0.2 } })).grads;
    again.forEach((g, i) => expect(g, `parameter ${i}`).toEqual(firstGrads[i]));
  });

  test('released batch gradients are reused by the next step and the optimiser still sees its own', async () => {
    const a = batch(20);
    const sgd = new SGD(model.parameters());
    const { grads } = await engine.batchGradients(a.x, a.labels, 20, { kind: 'standard' });
    sgd.step(grads);
    release(...grads);
    const next = (await engine.batchGradients(a.x, a.labels, 20, { kind: 'standard' })).grads;
    expect(next.some((g, i) => g === grads[i] || next.includes(grads[i]))).toBe(true); // memory reused
  });
});
