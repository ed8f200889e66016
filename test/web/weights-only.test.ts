/**
 * scripts/web/weights-only.ts: a training checkpoint becomes a weights-only one, the same file
 * format without the optimizer state, with the weights and the mean image exactly as they were.
 */
import { describe, expect, test } from 'vitest';
import {
  checkpointFromModel, CheckpointError, createLeNet, decodeCheckpoint, encodeCheckpoint, randn, SGD, Tensor,
} from '../../src/node.ts';
import { weightsOnly } from '../../scripts/web/weights-only.ts';

function trainingCheckpoint() {
  const model = createLeNet({ seed: 1 });
  const sgd = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  // One step with a made-up gradient, so that the velocities are not zero.
  sgd.step(model.parameters().map((p) => randn(p.value.shape, { rng: 2 }).data));
  const mean = randn([1, 1, 28, 28], { rng: 3 });
  return checkpointFromModel(model, { optimizer: sgd, meanImage: mean, epoch: 2, config: { seed: 1 }, metrics: { accuracy: 0.5 } });
}

describe('weightsOnly', () => {
  test('drops the optimizer, keeps weights, mean image, config and metrics; the file shrinks to about a third', () => {
    const training = trainingCheckpoint();
    expect(training.optimizer).not.toBeNull();
    const slim = decodeCheckpoint(encodeCheckpoint(weightsOnly(training, 'runs/x/model.ckpt')), 'slim');
    expect(slim.optimizer).toBeNull();
    expect(slim.params.map(([name]) => name)).toEqual(training.params.map(([name]) => name));
    slim.params.forEach(([name, t], i) => {
      expect(t.data instanceof Float32Array, name).toBe(true);
      expect(Array.from(t.data), name).toEqual(Array.from(training.params[i][1].data));
    });
    expect(Array.from(slim.meanImage!.data)).toEqual(Array.from(training.meanImage!.data));
    expect(slim.epoch).toBe(2);
    expect(slim.metrics).toEqual({ accuracy: 0.5 });
    expect(slim.config).toMatchObject({ seed: 1, weightsOnlyOf: { file: 'model.ckpt' } });
    const ratio = encodeCheckpoint(weightsOnly(training, 'm')).length / encodeCheckpoint(training).length;
    expect(ratio).toBeGreaterThan(0.3);
    expect(ratio).toBeLessThan(0.36); // float32 weights (4 bytes) without float64 velocities (8 bytes)
  });

  test('refuses a checkpoint without a mean image, or of an unknown architecture, or that does not fit its model', () => {
    const training = trainingCheckpoint();
    expect(() => weightsOnly({ ...training, meanImage: null }, 'a.ckpt')).toThrow(/a\.ckpt: holds no mean image/);
    expect(() => weightsOnly({ ...training, architecture: 'resnet' }, 'b.ckpt')).toThrow(CheckpointError);
    expect(() => weightsOnly({ ...training, architecture: 'resnet' }, 'b.ckpt')).toThrow(/no model is registered as 'resnet'/);
    const wrongShape = training.params.map(([name, t], i): [string, Tensor] => [name, i === 0 ? new Tensor(new Float32Array(10), [10]) : t]);
    expect(() => weightsOnly({ ...training, params: wrongShape }, 'c.ckpt')).toThrow(/conv1\.weight has shape/);
  });
});
