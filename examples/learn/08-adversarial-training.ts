// Chapter 08: Goodfellow's adversarial training by hand, J̃ = ½J(x) + ½J(x_adv), in chapter 06's
// loop; then both models under FGSM.
// Run: npx tsx examples/learn/08-adversarial-training.ts
import { createLeNet, fgsm } from '../../src/node.ts';
import { accuracy, goodfellowLoss, loadSubset, standardLoss, trainByHand } from './by-hand.ts';

const { train, test } = loadSubset(2000, 500);
const eps = 0.25; // 63.75 grey levels, for training and for the attack

const standard = createLeNet({ seed: 0 });
trainByHand(standard, train, { epochs: 1, batchSize: 10, loss: standardLoss });
console.log('adversarial training, J̃ = ½J(x) + ½J(x_adv), ε = 0.25:');
const adversarial = createLeNet({ seed: 0 }); // the same initial weights
trainByHand(adversarial, train, { epochs: 1, batchSize: 10, loss: goodfellowLoss(eps), every: 40 });

console.log(`\ntest accuracy on ${test.labels.length} images   clean   FGSM ε = 0.1   FGSM ε = 0.25`);
for (const [name, model] of [['standard', standard], ['adversarially trained', adversarial]] as const) {
  const attacked = (e: number) => accuracy(model, fgsm(model, test.images, test.labels, { eps: e }), test.labels).toFixed(3);
  console.log(`${name.padEnd(31)} ${accuracy(model, test.images, test.labels).toFixed(3)}   ${attacked(0.1)}          ${attacked(eps)}`);
}
