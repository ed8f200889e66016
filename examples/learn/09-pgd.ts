// Chapter 09: the FGSM-trained model of chapter 08 against FGSM and against PGD, by hand and with
// the library's pgd.
// Run: npx tsx examples/learn/09-pgd.ts
import { createLeNet, crossEntropyPerExample, fgsm, noGrad, pgd, Rng, Tensor, Variable } from '../../src/node.ts';
import { accuracy, goodfellowLoss, loadSubset, pgdByHand, signStep, trainByHand } from './by-hand.ts';

const { train, test } = loadSubset(2000, 200);
const { images: x, labels } = test; // x [200, 1, 28, 28]
const eps = 0.25;
const model = createLeNet({ seed: 0 });
trainByHand(model, train, { epochs: 1, batchSize: 10, loss: goodfellowLoss(eps) }); // chapter 08's FGSM-trained model

/** One line: the accuracy at x_adv and the mean per-image loss ℓ there. */
const row = (name: string, xAdv: Tensor): void => {
  const losses = noGrad(() => crossEntropyPerExample(model.forward(new Variable(xAdv)), labels).value.data); // [200]
  let total = 0;
  for (const l of losses) total += l;
  const meanLoss = total / losses.length;
  console.log(`  ${name.padEnd(42)} ${accuracy(model, xAdv, labels).toFixed(3)}      ${meanLoss.toFixed(3)}`);
};
console.log(`FGSM-trained model, first ${labels.length} test images, ε = ${eps}   accuracy   mean loss`);
row('clean', x);
const xFgsm = fgsm(model, x, labels, { eps });
// Along FGSM's own direction, x + t·255·ε·sign(∂J/∂x): the loss rises all the way to t = 1 (FGSM).
const direction = new Tensor(xFgsm.data.map((v, i) => v - x.data[i]), x.shape); // 255·ε·sign(∂J/∂x)
for (const t of [0.25, 0.5, 0.75]) row(`FGSM's direction, t = ${t.toFixed(2)}`, signStep(x, direction, t * eps));
row('FGSM (t = 1)', xFgsm);

console.log('PGD by hand: random start, 10 steps of α = 2.5·ε/10, each projected onto the ball');
pgdByHand(model, x, labels, {
  eps, steps: 10, rng: new Rng(0),
  onStep: (t, xt) => { if ([1, 2, 3, 5, 10].includes(t)) row(`after step ${t}`, xt); },
});
console.log("the library's pgd: 10 steps, each image stops at its first fooling iterate");
row('pgd(model, x, labels, { eps, steps: 10 })', pgd(model, x, labels, { eps, steps: 10 }));
