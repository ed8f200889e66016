// Chapter 07: FGSM by hand, x_adv = x + 255·ε·sign(∂J/∂x), and the library's fgsm giving the same bits.
// Run: npx tsx examples/learn/07-fgsm-by-hand.ts
import { createLeNet, fgsm } from '../../src/node.ts';
import { accuracy, fgsmByHand, loadSubset, standardLoss, trainByHand } from './by-hand.ts';

const { train, test } = loadSubset(2000, 500);
const model = createLeNet({ seed: 0 });
trainByHand(model, train, { epochs: 1, batchSize: 10, loss: standardLoss }); // chapter 06's model
const eps = 0.25; // a fraction of the pixel range: 63.75 grey levels

const byHand = fgsmByHand(model, test.images, test.labels, eps); // [500, 1, 28, 28]
const library = fgsm(model, test.images, test.labels, { eps }); // [500, 1, 28, 28]

let maxDiff = 0;
let sameBits = 0;
let moved = 0;
for (let i = 0; i < byHand.size; i++) {
  maxDiff = Math.max(maxDiff, Math.abs(byHand.data[i] - library.data[i]));
  if (Object.is(byHand.data[i], library.data[i])) sameBits++;
  if (byHand.data[i] !== test.images.data[i]) moved++;
}
console.log(`ε = ${eps}: every pixel moves by ±${255 * eps} grey levels (or 0 where ∂J/∂x = 0)`);
console.log(`pixels moved: ${moved} of ${byHand.size}`);
console.log(`by hand against fgsm(): max |difference| = ${maxDiff}, identical values ${sameBits} of ${byHand.size}`);
console.log(`test accuracy, clean images:         ${accuracy(model, test.images, test.labels).toFixed(3)}`);
console.log(`test accuracy, FGSM by hand:         ${accuracy(model, byHand, test.labels).toFixed(3)}`);
console.log(`test accuracy, the library's fgsm(): ${accuracy(model, library, test.labels).toFixed(3)}`);
