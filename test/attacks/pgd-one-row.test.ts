/**
 * One image alone: the LeNet gives it the bits it gets inside a batch (no GEMM of the forward or
 * ∂L/∂x pass takes the matrix–vector path on the batch axis), so PGD runs a lone live row as one
 * row. And PGD with early stop when all rows but one are fooled, which validation during training
 * met on real batches.
 */
import { expect, test } from 'vitest';
import { backward } from '../../src/autograd/backward.ts';
import { Variable, noGrad } from '../../src/autograd/variable.ts';
import { crossEntropyPerExample } from '../../src/layers/example-losses.ts';
import { pgd } from '../../src/attacks/pgd.ts';
import { createLeNet } from '../../src/models/lenet.ts';
import { argmaxRows } from '../../src/tensor/reduce.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

test('early stop down to one live row: the row is still attacked, the fooled one is kept', () => {
  const model = createLeNet({ seed: 0 });
  const rng = new Rng(1);
  const x = new Tensor(Float32Array.from({ length: 3 * 784 }, () => 60 * rng.normal()), [3, 1, 28, 28]);
  const predicted = argmaxRows(noGrad(() => model.forward(new Variable(x)).value));
  // Rows 0 and 1 are misclassified from the start (fooled at the first iterate), row 2 is not.
  const labels = Int32Array.from([(predicted[0] + 1) % 10, (predicted[1] + 1) % 10, predicted[2]]);
  const xAdv = pgd(model, x, labels, { eps: 1e-4, steps: 3, randomStart: false }, 0);
  expect(xAdv.shape).toEqual(x.shape);
  for (let i = 0; i < xAdv.size; i++) expect(Math.abs(xAdv.data[i] - x.data[i])).toBeLessThanOrEqual(255e-4 + 1e-4); // float32 rounding of values near ±200 (ulp ≈ 1.5e-5)
});

/** Exact equality, reporting the first difference. */
function expectSameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`${what}: element ${i} differs: ${a[i]} vs ${b[i]}`);
}

// float64 shows what float32 rounding mostly hides (a matrix–vector product summing in another
// order changes the float64 intermediates' last bits, which rarely survive rounding to float32)
test.each(['float32', 'float64'] as const)('one image alone gets the logits and ∂L/∂x it gets at any row of a batch, bit for bit (%s)', (dtype) => {
  // at any row: conv1's ∂L/∂x adds overlapping windows in an order that follows the GEMM's
  // 5-column panels, and conv1 has 576 columns per image, so rows 0 … 5 put the image at every
  // place within a panel (kernels/conv2d/gemm-path.ts runs that product image by image for this reason);
  // and a batch of 10 takes conv2's Winograd panel chain (kernels/winograd/panels.ts, T a multiple
  // of 5) where one image takes the plain stages
  const model = createLeNet({ seed: 0, dtype });
  for (const p of model.parameters()) p.requiresGrad = false;
  const rng = new Rng(2);
  const N = 10;
  const x = Float64Array.from({ length: N * 784 }, () => 60 * rng.normal());
  const labels = Int32Array.from([3, 1, 4, 1, 5, 9, 2, 6, 5, 3]);
  const pass = (images: number[], classes: Int32Array, row: number) => {
    const data = dtype === 'float64' ? Float64Array.from(images) : Float32Array.from(images);
    const xv = new Variable(new Tensor(data, [classes.length, 1, 28, 28]), { requiresGrad: true });
    const logits = model.forward(xv);
    const loss = crossEntropyPerExample(logits, classes);
    backward(loss, new Tensor(dtype === 'float64' ? new Float64Array(classes.length).fill(1) : new Float32Array(classes.length).fill(1), [classes.length]));
    return { logits: logits.value.data.slice(row * 10, (row + 1) * 10), dx: xv.grad!.data.slice(row * 784, (row + 1) * 784) };
  };
  const image = (r: number) => Array.from(x.subarray(r * 784, (r + 1) * 784));
  const all = Array.from({ length: N }, (_, n) => n).flatMap(image); // image n at row n
  for (let n = 0; n < N; n++) {
    const one = pass(image(n), labels.subarray(n, n + 1), 0);
    const batch = pass(all, labels, n);
    expectSameBits(one.logits, batch.logits, `logits of image ${n} at row ${n}`);
    expectSameBits(one.dx, batch.dx, `∂L/∂x of image ${n} at row ${n}`);
  }
});

test('pgd on one image equals its row of the batch result, bit for bit', () => {
  const model = createLeNet({ seed: 0 });
  const rng = new Rng(4);
  const N = 3;
  const x = new Tensor(Float32Array.from({ length: N * 784 }, () => 60 * rng.normal()), [N, 1, 28, 28]);
  const labels = Int32Array.from([7, 0, 2]);
  for (const earlyStop of [false, true]) {
    const options = { eps: 0.1, steps: 4, earlyStop, seed: 5 };
    const all = pgd(model, x, labels, options, 0);
    for (let n = 0; n < N; n++) {
      const one = pgd(model, new Tensor(x.data.slice(n * 784, (n + 1) * 784), [1, 1, 28, 28]), labels.subarray(n, n + 1), options, n);
      expectSameBits(one.data, all.data.subarray(n * 784, (n + 1) * 784), `row ${n}, earlyStop ${earlyStop}`);
    }
  }
});
