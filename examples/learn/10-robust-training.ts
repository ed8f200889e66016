// Chapter 10: Madry's PGD training by hand, with an ε warm-up, on 1,000 MNIST images.
// Run: npx tsx examples/learn/10-robust-training.ts
import { backward, createLeNet, fgsm, pgd, Rng, softmaxCrossEntropy, Variable } from '../../src/node.ts';
import { accuracy, loadSubset, pgdByHand, trainByHand, type StepLoss } from './by-hand.ts';

const { train, test } = loadSubset(1000, 200);
const eps = 0.25;
const batchSize = 10;
const rampSteps = train.labels.length / batchSize; // ε grows from 0 to its value over the first epoch
const rng = new Rng(1); // the random starts

// min_θ mean max_{‖δ‖∞ ≤ r} J(θ, x + δ): the inner max by 3 PGD steps, the outer min by SGD.
const madryLoss: StepLoss = (model, x, labels, step) => {
  const epsNow = eps * Math.min(1, (step + 1) / rampSteps); // the warm-up: ε(s) = ε·min(1, s/S)
  const xAdv = pgdByHand(model, x, labels, { eps: epsNow, steps: 3, rng }); // [B, 1, 28, 28]
  const J = softmaxCrossEntropy(model.forward(new Variable(xAdv)), labels); // J(θ, x_adv) only
  backward(J);
  return J.value.data[0];
};
console.log('PGD training (3 steps), ε ramped from 0 to 0.25 over the epoch, 100 steps of 10 images:');
const model = createLeNet({ seed: 0 });
trainByHand(model, train, { epochs: 1, batchSize, loss: madryLoss, every: 20 });

const { images: x, labels } = test;
console.log(`first ${labels.length} test images, ε = ${eps}: clean ${accuracy(model, x, labels).toFixed(3)}, ` +
  `FGSM ${accuracy(model, fgsm(model, x, labels, { eps }), labels).toFixed(3)}, ` +
  `PGD-10 ${accuracy(model, pgd(model, x, labels, { eps, steps: 10 }), labels).toFixed(3)}`);
