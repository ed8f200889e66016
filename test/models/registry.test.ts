import { describe, expect, test } from 'vitest';
import { Sequential } from '../../src/layers/module.ts';
import { ReLU } from '../../src/layers/relu.ts';
import { createLeNet, LENET_ARCHITECTURE } from '../../src/models/lenet.ts';
import { LENET_RELU_ARCHITECTURE } from '../../src/models/lenet-relu.ts';
import { architectureOfFlag, architectures, ARCH_FLAGS, createModel, isNamedModel, modelSpec } from '../../src/models/registry.ts';

describe('model registry', () => {
  test('the LeNet is built from its architecture name, with the same seeded weights as createLeNet', () => {
    expect(architectures()).toContain(LENET_ARCHITECTURE);
    const a = createModel(LENET_ARCHITECTURE, { seed: 3, dtype: 'float64' });
    const b = createLeNet({ seed: 3, dtype: 'float64' });
    expect(a.architecture).toBe(LENET_ARCHITECTURE);
    expect(a.dtype).toBe('float64');
    a.parameters().forEach((p, i) => expect(p.value.data).toEqual(b.parameters()[i].value.data));
    expect(modelSpec(LENET_ARCHITECTURE).classes).toBe(10);
  });

  test('an unknown name is refused, naming the known ones', () => {
    expect(() => createModel('resnet-50')).toThrow(`no model is registered as 'resnet-50' (known: ${architectures().join(', ')})`);
    expect(architectures()).toEqual([LENET_ARCHITECTURE, LENET_RELU_ARCHITECTURE]);
    expect(() => modelSpec('constructor')).toThrow(/no model is registered as 'constructor'/);
  });

  test('isNamedModel: true for a registered architecture only', () => {
    expect(isNamedModel(createLeNet())).toBe(true);
    expect(isNamedModel(new Sequential([new ReLU()]))).toBe(false);
  });

  test('the command line\'s short names map to the architecture names, and an unknown one is refused', () => {
    expect(ARCH_FLAGS).toEqual(['lenet', 'lenet-relu']);
    expect(architectureOfFlag('lenet')).toBe(LENET_ARCHITECTURE);
    expect(architectureOfFlag('lenet-relu')).toBe(LENET_RELU_ARCHITECTURE);
    expect(() => architectureOfFlag('vgg')).toThrow("no model has the short name 'vgg' (known: lenet, lenet-relu)");
  });
});
