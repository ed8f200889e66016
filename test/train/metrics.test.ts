import { describe, expect, test } from 'vitest';
import { metricsOf } from '../../src/train/metrics.ts';
import { tensor } from '../../src/tensor/create.ts';

describe('the five metrics on a hand-made logits table', () => {
  // Row probabilities are chosen through logits ln(p): softmax(ln p) = p when Σp = 1.
  const rows = [
    [0.7, 0.2, 0.1], // predicts 0, label 0: correct, confidence 0.7
    [0.1, 0.6, 0.3], // predicts 1, label 1: correct, confidence 0.6
    [0.5, 0.1, 0.4], // predicts 0, label 2: wrong, confidence 0.5
    [0.1, 0.1, 0.8], // predicts 2, label 1: wrong, confidence 0.8
  ];
  const logits = tensor(rows.map((r) => r.map(Math.log)), undefined, 'float64');
  const m = metricsOf(logits, [0, 1, 2, 1]);

  test('accuracy and error', () => {
    expect(m.accuracy).toBe(0.5);
    expect(m.error).toBe(0.5);
    expect(m.count).toBe(4);
  });
  test('confidence over all, the correct and the errors', () => {
    expect(m.confidence).toBeCloseTo((0.7 + 0.6 + 0.5 + 0.8) / 4, 12);
    expect(m.confidenceCorrect).toBeCloseTo((0.7 + 0.6) / 2, 12);
    expect(m.confidenceError).toBeCloseTo((0.5 + 0.8) / 2, 12);
  });
  test('no errors: confidenceError is NaN (undefined), not 0', () => {
    const all = metricsOf(logits, [0, 1, 0, 2]);
    expect(all.accuracy).toBe(1);
    expect(Number.isNaN(all.confidenceError)).toBe(true);
  });
  test('logits and labels of different counts are refused', () => {
    expect(() => metricsOf(logits, [0, 1])).toThrow(/logits \[4,3\] do not match 2 labels/);
  });
});
