import { describe, expect, test } from 'vitest';
import { Rng } from '../../src/tensor/rng.ts';

describe('Rng', () => {
  test('a fixed seed gives a fixed stream (portable 32-bit arithmetic)', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 100 }, () => a.nextUint32());
    expect(Array.from({ length: 100 }, () => b.nextUint32())).toEqual(xs);
    expect(xs.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)).toBe(true);
    expect(new Set(xs).size).toBe(100);
  });

  test('normal draws have mean ≈ 0 and variance ≈ 1 (100,000 draws, 5σ bounds)', () => {
    const rng = new Rng(7);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      s += z;
      s2 += z * z;
    }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });

  test('uniform draws fill ten equal bins evenly (chi-square, 9 d.o.f., p ≈ 1e-6 bound)', () => {
    const rng = new Rng(11);
    const bins = new Array(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) bins[Math.floor(rng.uniform() * 10)]++;
    const chi2 = bins.reduce((acc, c) => acc + (c - n / 10) ** 2 / (n / 10), 0);
    expect(chi2).toBeLessThan(45);
  });

  test('permutation contains every index once', () => {
    const p = new Rng(1).permutation(1000);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  test('a non-finite seed is an error', () => {
    expect(() => new Rng(NaN)).toThrow(/Rng: seed must be a finite number, got NaN/);
  });
});
