import { describe, expect, test } from 'vitest';
import { Sequential } from '../../src/layers/module.ts';
import { ReLU } from '../../src/layers/relu.ts';
import { createLeNet, LENET_ARCHITECTURE } from '../../src/models/lenet.ts';
import { architectures, createModel, isNamedModel, modelSpec } from '../../src/models/registry.ts';

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
    expect(() => createModel('resnet-50')).toThrow(`no model is registered as 'resnet-50' (known: ${LENET_ARCHITECTURE})`);
    expect(() => modelSpec('constructor')).toThrow(/no model is registered as 'constructor'/);
  });

  test('isNamedModel: true for a registered architecture only', () => {
    expect(isNamedModel(createLeNet())).toBe(true);
    expect(isNamedModel(new Sequential([new ReLU()]))).toBe(false);
  });
});
