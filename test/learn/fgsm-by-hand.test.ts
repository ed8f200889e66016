/**
 * Chapter 07's claim: FGSM written by hand (examples/learn/by-hand.ts, x + 255·ε·sign(∂J/∂x) with
 * J = Σₙ ℓₙ) gives the library's fgsm() bit for bit, and so does the adversarial example inside
 * the by-hand Goodfellow step (from the clean pass's ∂x, scaled by ½/B), against fgsmFromGradient.
 */
import { describe, expect, test } from 'vitest';
import { backward, createLeNet, fgsm, randn, Rng, scale, softmaxCrossEntropy, Variable, type Tensor } from '../../src/index.ts';
import { fgsmByHand, sgdStep, signStep, standardLoss } from '../../examples/learn/by-hand.ts';

/** The number of positions where a and b differ in their bits (Object.is: −0 and +0 differ). */
function differingBits(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  expect(a.dtype).toBe(b.dtype);
  let n = 0;
  for (let i = 0; i < a.size; i++) if (!Object.is(a.data[i], b.data[i])) n++;
  return n;
}

/** A LeNet moved off its initialisation by a few by-hand steps, so that its gradients are not tiny. */
function trainedLeNet(seed: number): ReturnType<typeof createLeNet> {
  const model = createLeNet({ seed });
  const params = model.parameters();
  const velocity = params.map((p) => new Float64Array(p.value.size));
  const rng = new Rng(seed + 100);
  for (let step = 0; step < 3; step++) {
    const x = randn([8, 1, 28, 28], { rng, std: 60 }); // [8, 1, 28, 28], grey levels around 0
    const labels = Int32Array.from({ length: 8 }, (_, n) => (n * 3 + step) % 10); // [8]
    model.zeroGrad();
    standardLoss(model, x, labels, step);
    sgdStep(params, velocity);
  }
  return model;
}

describe('FGSM by hand (chapter 07)', () => {
  test.each([0, 1])('equals fgsm() bit for bit on a trained LeNet (seed %i), ε = 0.25 and 0.05', (seed) => {
    const model = trainedLeNet(seed);
    const x = randn([12, 1, 28, 28], { rng: new Rng(seed + 7), std: 60 }); // [12, 1, 28, 28]
    const labels = Int32Array.from({ length: 12 }, (_, n) => (n * 7 + seed) % 10); // [12]
    for (const eps of [0.25, 0.05]) {
      const byHand = fgsmByHand(model, x, labels, eps);
      const library = fgsm(model, x, labels, { eps });
      expect(differingBits(byHand, library)).toBe(0);
      // not vacuous: almost every pixel moved by exactly 255·ε
      let moved = 0;
      for (let i = 0; i < x.size; i++) if (Math.abs(Math.abs(byHand.data[i] - x.data[i]) - 255 * eps) < 1e-3) moved++;
      expect(moved).toBeGreaterThan(0.95 * x.size);
    }
  });

  test('a different ε or a flipped sign is detected (the comparison can fail)', () => {
    const model = trainedLeNet(2);
    const x = randn([4, 1, 28, 28], { rng: new Rng(9), std: 60 }); // [4, 1, 28, 28]
    const labels = [1, 4, 7, 9];
    const library = fgsm(model, x, labels, { eps: 0.25 });
    expect(differingBits(fgsmByHand(model, x, labels, 0.24), library)).toBeGreaterThan(x.size / 2);
    const xv = new Variable(x, { requiresGrad: true });
    backward(softmaxCrossEntropy(model.forward(xv), labels));
    const descent = signStep(x, xv.grad!, -0.25); // x − ε·sign(g): the opposite step
    expect(differingBits(descent, library)).toBeGreaterThan(x.size / 2);
  });

  test('the example of the by-hand Goodfellow step on a batch (from ½·∂J/∂x of the batch mean) equals fgsm() there too', () => {
    const model = trainedLeNet(3);
    const x = randn([10, 1, 28, 28], { rng: new Rng(11), std: 60 }); // [10, 1, 28, 28]
    const labels = Int32Array.from({ length: 10 }, (_, n) => n);
    const xv = new Variable(x, { requiresGrad: true });
    backward(scale(softmaxCrossEntropy(model.forward(xv), labels), 0.5)); // as goodfellowLoss does
    expect(differingBits(signStep(x, xv.grad!, 0.25), fgsm(model, x, labels, { eps: 0.25 }))).toBe(0);
  });
});
