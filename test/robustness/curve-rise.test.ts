/** Audit check 2 (accuracy does not rise with ε): its test on a curve, without running attacks. */
import { describe, expect, test } from 'vitest';
import { curveRise } from '../../src/robustness/audit.ts';
import type { Curve } from '../../src/robustness/curve.ts';

function curve(points: Array<[number, number]>): Curve {
  return { attack: 'fgsm', description: 'FGSM', points: points.map(([eps, accuracy]) => ({ eps, accuracy, standardError: 0, count: 1000 })) } as Curve;
}

describe('curveRise (audit check 2)', () => {
  test('a slow creep, each step within noise, is a rise beyond noise over the range', () => {
    // the 30-epoch FGSM-trained LeNet's FGSM curve (docs/results/seed): no neighbour pair differs by
    // more than 2·se (≈ 0.018 on 1,000 images), but ε = 0.1 → 0.25 does (0.022)
    const c = curve([[0, 0.993], [0.1, 0.949], [0.2, 0.962], [0.25, 0.971], [0.3, 0.971], [0.5, 0.92]]);
    expect(curveRise(c, 1000)).toBe('FGSM rises from 0.9490 at ε = 0.1 to 0.9710 at ε = 0.25');
  });

  test('a falling or level curve, and a rise within noise, pass', () => {
    expect(curveRise(curve([[0, 0.992], [0.1, 0.919], [0.2, 0.886], [0.25, 0.858], [0.5, 0.557]]), 1000)).toBeNull();
    expect(curveRise(curve([[0, 0.99], [0.1, 0.9], [0.2, 0.91], [0.3, 0.9]]), 1000)).toBeNull();
  });

  test('the largest rise is the one named', () => {
    const c = curve([[0, 0.9], [0.1, 0.5], [0.2, 0.6], [0.3, 0.4], [0.5, 0.7]]);
    expect(curveRise(c, 1000)).toBe('FGSM rises from 0.4000 at ε = 0.3 to 0.7000 at ε = 0.5');
  });
});
