/**
 * Robust training on real MNIST, CI-sized: PGD training beats the seed's FGSM ('batch') training
 * under PGD, from the same initialisation, data and number of epochs.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Dataset } from '../../src/data/dataset.ts';
import { createLeNet } from '../../src/models/lenet.ts';
import { Adam } from '../../src/train/adam.ts';
import type { Engine } from '../../src/train/engine.ts';
import type { AdversarialTraining } from '../../src/train/schedules.ts';
import { train } from '../../src/train/train.ts';
import { validate, validationAttack, type ValidationFigures } from '../../src/train/validation.ts';
import { createEngine } from '../../src/train/workers/engine.ts';
import { mnistSubset } from './helpers.ts';

let trainSet: Dataset;
let testSet: Dataset;
beforeAll(() => {
  ({ train: trainSet, test: testSet } = mnistSubset(2000, 500));
});

const engines: Engine[] = [];
afterAll(async () => {
  for (const engine of engines) await engine.close();
});

/** Trains a fresh LeNet (seed 0, Adam 1e-3, 2 epochs) with `adversarial` and measures it under PGD-10 at ε = 0.25. */
async function trainAndAttack(adversarial: AdversarialTraining): Promise<ValidationFigures> {
  const model = createLeNet({ seed: 0 });
  const engine = await createEngine(model, 2);
  engines.push(engine);
  await train(model, trainSet, { optimizer: new Adam(model.parameters(), { lr: 1e-3 }), epochs: 2, seed: 0, adversarial, engine });
  return validate(engine, testSet, validationAttack(0.25, { seed: 1 }));
}

// Measured (500 test images, PGD-10 at ε = 0.25): batch clean 0.948, PGD 0.016; pgd (PGD-2) clean
// 0.898, PGD 0.21 (PGD-3: 0.878, 0.254). The margin asked for is half the measured one.
test("'pgd' training (PGD-2, ε ramp over 1 epoch) beats 'batch' training under PGD-10 (2,000 images, 2 epochs)", { timeout: 900_000 }, async () => {
  const batch = await trainAndAttack({ fgsm: { eps: 0.25 }, schedule: 'batch' });
  const pgd = await trainAndAttack({ fgsm: { eps: 0.25 }, schedule: 'pgd', steps: 2, epsRamp: 1 });
  expect(pgd.robust).toBeGreaterThan(batch.robust + 0.1);
  expect(pgd.clean).toBeGreaterThan(0.8);
});
