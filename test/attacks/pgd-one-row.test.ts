/**
 * PGD with early stop when all rows but one are fooled: the last live row is padded to two rows
 * for the GEMM (pgd.ts), and its class must be padded with it (the per-example loss needs one
 * class per logits row). Validation during training met this on real batches.
 */
import { expect, test } from 'vitest';
import { Variable, noGrad } from '../../src/autograd/variable.ts';
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
