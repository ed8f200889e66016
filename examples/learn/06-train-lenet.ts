// Chapter 06: a LeNet trained by hand: forward, loss, backward, an SGD step, on 2,000 MNIST images.
// Run: npx tsx examples/learn/06-train-lenet.ts
import { createLeNet, formatShape, gatherBatch, SGD } from '../../src/node.ts';
import { accuracy, loadSubset, sgdStep, standardLoss, trainByHand } from './by-hand.ts';

const { train, test } = loadSubset(2000, 500);
console.log(`train ${formatShape(train.images.shape)} (mean-subtracted), test ${formatShape(test.images.shape)}`);

// The step written out is the library's SGD step: one batch, two copies of the same model.
const [a, b] = [createLeNet({ seed: 0 }), createLeNet({ seed: 0 })];
const { x, labels } = gatherBatch(train, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
for (const model of [a, b]) standardLoss(model, x, labels, 0);
sgdStep(a.parameters(), a.parameters().map((p) => new Float64Array(p.value.size)));
new SGD(b.parameters()).step();
let maxDiff = 0;
a.parameters().forEach((p, i) => {
  const other = b.parameters()[i].value.data;
  for (let j = 0; j < p.value.size; j++) maxDiff = Math.max(maxDiff, Math.abs(p.value.data[j] - other[j]));
});
console.log(`one step by hand against SGD.step(): max |w_hand − w_library| = ${maxDiff}`);

const model = createLeNet({ seed: 0 }); // weights 0.01·N(0,1), biases 0
console.log(`before training: test accuracy ${accuracy(model, test.images, test.labels).toFixed(3)}`);
trainByHand(model, train, { epochs: 1, batchSize: 10, loss: standardLoss, every: 40 });
console.log(`after 1 epoch (200 steps of 10 images): test accuracy ${accuracy(model, test.images, test.labels).toFixed(3)} on ${test.labels.length} images`);
