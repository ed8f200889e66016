import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createLeNet } from '../../src/models/lenet.ts';
import { randn } from '../../src/tensor/create.ts';
import { Rng } from '../../src/tensor/rng.ts';
import { checkpointFromModel, restoreModel, restoreOptimizer } from '../../src/io/checkpoint.ts';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint-file.ts';
import { SGD } from '../../src/train/sgd.ts';
import { train } from '../../src/train/train.ts';

describe('resume', () => {
  // 120 seeded random images with random labels: enough to move the weights, fast.
  const rng = new Rng(4);
  const data = { images: randn([120, 1, 28, 28], { rng, std: 50 }), labels: Int32Array.from({ length: 120 }, () => rng.int(10)) };

  test.each(['standard', 'adversarial'] as const)('%s: stop after epoch 1, resume from the checkpoint → the same weights as 2 uninterrupted epochs', async (kind) => {
    const adversarial = kind === 'adversarial' ? { fgsm: { eps: 0.1 }, schedule: 'batch' as const } : undefined;
    const options = { epochs: 2, seed: 3, batchSize: 40, adversarial };

    const straight = createLeNet({ seed: 1 });
    await train(straight, data, { ...options, optimizer: new SGD(straight.parameters()) });

    const first = createLeNet({ seed: 1 });
    const firstOptimizer = new SGD(first.parameters());
    await train(first, data, { ...options, epochs: 1, optimizer: firstOptimizer });
    const path = join(mkdtempSync(join(tmpdir(), 'advgrad-resume-')), 'model.ckpt');
    saveCheckpoint(path, checkpointFromModel(first, { epoch: 1, optimizer: firstOptimizer }));

    const checkpoint = loadCheckpoint(path);
    const resumed = createLeNet({ seed: 999 }); // a different init: everything must come from the file
    const optimizer = new SGD(resumed.parameters());
    restoreModel(resumed, checkpoint);
    restoreOptimizer(optimizer, checkpoint);
    await train(resumed, data, { ...options, startEpoch: checkpoint.epoch, optimizer });

    resumed.parameters().forEach((p, i) => expect(Array.from(p.value.data)).toEqual(Array.from(straight.parameters()[i].value.data)));
  });
});
