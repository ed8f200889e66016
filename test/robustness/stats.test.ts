/**
 * McNemar's exact test (robustness/stats.ts) against values computed by hand from the binomial
 * distribution, and its pairing of the outcomes.
 */
import { describe, expect, test } from 'vitest';
import { mcnemar, mcnemarPValue, pairedExceeds } from '../../src/robustness/stats.ts';

describe("McNemar's exact test", () => {
  test('p-values by hand: 2·P(Bin(b + c, ½) ≤ min(b, c))', () => {
    expect(mcnemarPValue(1, 9)).toBeCloseTo((2 * (1 + 10)) / 1024, 14); // 0.0215
    expect(mcnemarPValue(0, 5)).toBeCloseTo(2 / 32, 14); // 0.0625: five against none is not enough
    expect(mcnemarPValue(0, 10)).toBeCloseTo(2 / 1024, 14);
    expect(mcnemarPValue(3, 3)).toBe(1);
    expect(mcnemarPValue(0, 0)).toBe(1);
    expect(mcnemarPValue(2, 8)).toBeCloseTo((2 * (1 + 10 + 45)) / 1024, 14); // 0.109
  });

  test('large counts stay finite: 480 against 520 is noise, 400 against 600 is not', () => {
    expect(mcnemarPValue(480, 520)).toBeGreaterThan(0.2);
    expect(mcnemarPValue(400, 600)).toBeLessThan(1e-9);
    expect(mcnemarPValue(400, 600)).toBeGreaterThan(0);
  });

  test('pairs the outcomes image by image', () => {
    const a = [1, 1, 1, 0, 1, 0];
    const b = [1, 0, 0, 0, 1, 1];
    expect(mcnemar(a, b)).toEqual({ b: 2, c: 1, pValue: 1 });
    expect(() => mcnemar([1], [1, 0])).toThrow('mcnemar: the outcomes are not paired: 1 against 2 images');
  });

  test('beyond noise only in the direction asked, and only when significant', () => {
    const a = Array.from({ length: 100 }, (_, i) => (i < 12 ? 1 : 0));
    const none = new Array(100).fill(0);
    expect(pairedExceeds(a, none)).toBe(true); // 12 against 0: p = 2^−11
    expect(pairedExceeds(none, a)).toBe(false);
    expect(pairedExceeds(a.map((v, i) => (i < 4 ? 1 : 0)), none)).toBe(false); // 4 against 0: p = 0.125
  });
});
