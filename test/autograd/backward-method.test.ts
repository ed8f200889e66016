/**
 * What a learner coming from PyTorch reaches for: `loss.backward()`, `h.retainGrad()` and
 * `h.registerHook(fn)`; each agrees with the engine's `backward(loss)` and leaves the default
 * (intermediate gradients dropped) as it was.
 */
import { describe, expect, test } from 'vitest';
import { add, mul, scale } from '../../src/autograd/arithmetic.ts';
import { backward } from '../../src/autograd/backward.ts';
import { sum } from '../../src/autograd/reduce.ts';
import { constant, parameter, Variable } from '../../src/autograd/variable.ts';
import { relu } from '../../src/layers/relu.ts';
import { tensor } from '../../src/tensor/create.ts';

const p = (values: number[]): Variable => parameter(tensor(values, [values.length], 'float64'));

/** L = Σ relu(w ⊙ x + b) with its intermediates, for w, x, b given. */
function neuron(w: Variable, x: Variable, b: Variable): { wx: Variable; z: Variable; h: Variable; loss: Variable } {
  const wx = mul(w, x); // [3]
  const z = add(wx, b); // [3]
  const h = relu(z); // [3]
  return { wx, z, h, loss: sum(scale(h, 2)) };
}

describe('loss.backward()', () => {
  test('gives the same leaf gradients as backward(loss)', () => {
    const x = constant(tensor([1, -2, 3], [3], 'float64'));
    const [w1, b1, w2, b2] = [p([0.5, 1, -1]), p([0.1, 0.2, 0.3]), p([0.5, 1, -1]), p([0.1, 0.2, 0.3])];
    backward(neuron(w1, x, b1).loss);
    neuron(w2, x, b2).loss.backward();
    expect(w2.grad!.toArray()).toEqual(w1.grad!.toArray());
    expect(b2.grad!.toArray()).toEqual(b1.grad!.toArray());
    // by hand: ∂L/∂b = 2·1[z > 0], z = [0.6, -1.8, -2.7]; ∂L/∂w = ∂L/∂b ⊙ x
    expect(b2.grad!.toArray()).toEqual([2, 0, 0]);
    expect(w2.grad!.toArray()).toEqual([2, -0, 0]);
  });

  test('a non-scalar output needs an explicit cotangent, and says so', () => {
    const w = p([1, 2]);
    const y = scale(w, 3); // [2]
    expect(() => y.backward()).toThrow(/root has shape \[2\]; pass a seed gradient of that shape/);
    y.backward(tensor([1, 10], [2], 'float64'));
    expect(w.grad!.toArray()).toEqual([3, 30]);
  });

  test('a size-1 non-scalar output (shape [1, 1]) gets the seed 1', () => {
    const w = parameter(tensor([2], [1, 1], 'float64'));
    mul(w, w).backward();
    expect(w.grad!.toArray()).toEqual([4]);
  });
});

describe('retainGrad', () => {
  test('keeps ∂L/∂h of an intermediate node; the default drops it', () => {
    const x = constant(tensor([1, -2, 3], [3], 'float64'));
    const kept = neuron(p([0.5, 1, -1]), x, p([0.1, 0.2, 0.3]));
    kept.z.retainGrad();
    kept.h.retainGrad();
    kept.loss.backward();
    expect(kept.h.grad!.toArray()).toEqual([2, 2, 2]); // ∂(Σ 2h)/∂h
    expect(kept.z.grad!.toArray()).toEqual([2, 0, 0]); // through relu: 1[z > 0]
    expect(kept.wx.grad).toBeNull(); // not asked for

    const dropped = neuron(p([0.5, 1, -1]), x, p([0.1, 0.2, 0.3]));
    dropped.loss.backward();
    expect(dropped.h.grad).toBeNull();
    expect(dropped.z.grad).toBeNull();
  });

  test('a retained gradient accumulates over backward calls, like a leaf', () => {
    const w = p([1, 2]);
    const h = scale(w, 3).retainGrad();
    const loss = sum(mul(h, h));
    loss.backward();
    expect(h.grad!.toArray()).toEqual([6, 12]);
    loss.backward();
    expect(h.grad!.toArray()).toEqual([12, 24]);
  });

  test('does not change the leaves\' gradients bit for bit', () => {
    const x = constant(tensor([0.3, -0.7, 1.9], [3], 'float64'));
    const a = neuron(p([0.51, 1.3, -1.1]), x, p([0.1, 0.2, 0.3]));
    const b = neuron(p([0.51, 1.3, -1.1]), x, p([0.1, 0.2, 0.3]));
    b.wx.retainGrad();
    b.z.retainGrad();
    a.loss.backward();
    b.loss.backward();
    const leaves = (n: typeof a): number[][] => [n.wx.inputs[0]!.grad!.toArray(), n.z.inputs[1]!.grad!.toArray()];
    expect(leaves(b)).toEqual(leaves(a));
  });

  test('refuses a node no gradient flows through', () => {
    const c = constant(tensor([1], [1], 'float64'));
    expect(() => scale(c, 2).retainGrad()).toThrow(/retainGrad: .* does not require a gradient/);
  });
});

describe('registerHook', () => {
  test('sees ∂L/∂h once complete (a node used twice: the sum), and can replace it', () => {
    const w = p([1, 2]);
    const h = scale(w, 3);
    const seen: number[][] = [];
    const handle = h.registerHook((g) => {
      seen.push(g.toArray());
    });
    sum(add(h, h)).backward();
    expect(seen).toEqual([[2, 2]]);
    expect(w.grad!.toArray()).toEqual([6, 6]);

    handle.remove();
    w.zeroGrad();
    h.registerHook((g) => tensor(g.toArray().map((v) => v * 10), g.shape, 'float64'));
    sum(add(h, h)).backward();
    expect(seen).toHaveLength(1); // the removed hook did not run again
    expect(w.grad!.toArray()).toEqual([60, 60]);
  });

  test('a hook returning the wrong shape is named in the error', () => {
    const w = p([1, 2]);
    const h = scale(w, 3);
    h.registerHook(() => tensor([1], [1], 'float64'));
    expect(() => sum(h).backward()).toThrow(/a hook on Variable\(scale.* returned a gradient of shape \[1\] \(float64\); expected \[2\]/);
  });
});
