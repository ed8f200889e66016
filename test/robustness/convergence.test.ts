/**
 * Convergence (robustness/convergence.ts) on a scripted engine whose "attack" fools a known set of
 * images for each budget, so the verdicts can be checked by hand: a curve still falling at its last
 * doubling is flagged (McNemar), a flat one is not; restarts accumulate over runs that each attack
 * only the survivors. Then the charts and the table drawn from it.
 */
import { describe, expect, test } from 'vitest';
import type { AttackSpec } from '../../src/attacks/spec.ts';
import { convergenceCharts, convergenceTable } from '../../src/report/convergence-chart.ts';
import { convergence } from '../../src/robustness/convergence.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import type { Engine } from '../../src/train/engine.ts';

const N = 100;
/** Image n holds n in its one pixel, and its label is 0. */
const images = new Tensor(Float32Array.from({ length: N }, (_, n) => n), [N, 1, 1, 1]);
const labels = new Int32Array(N);

/**
 * An engine whose attack marks image n as fooled (pixel −1) when fooledBy(n, steps, restart) says
 * so, and whose logits say class 0 exactly for unmarked images.
 */
function scripted(fooledBy: (n: number, steps: number, restart: number) => boolean): Engine & { attacked: number[] } {
  const attacked: number[] = [];
  return {
    attacked,
    workers: 0,
    async attack(x: Tensor, _labels: Int32Array, spec: AttackSpec) {
      const s = spec as AttackSpec & { steps: number; firstRestart: number };
      attacked.push(x.shape[0]);
      return new Tensor(Float32Array.from(x.data, (n) => (fooledBy(n, s.steps, s.firstRestart) ? -1 : n)), x.shape);
    },
    async logits(x: Tensor) {
      return new Tensor(Float32Array.from({ length: x.shape[0] * 2 }, (_, i) => ((i % 2 === 0) === (x.data[i >> 1] >= 0) ? 1 : 0)), [x.shape[0], 2]);
    },
  } as unknown as Engine & { attacked: number[] };
}

describe('convergence on a scripted attack', () => {
  test('still falling: s/5 images fooled at s steps, 50 → 100 fools 10 more and spares none (p = 2/1024)', async () => {
    const engine = scripted((n, steps) => n < Math.min(steps / 5, 100));
    const c = await convergence(engine, images, labels, { eps: 0.1 }, { steps: [50, 100], restarts: [1] });
    expect(c.steps.map((p) => p.accuracy)).toEqual([0.9, 0.8]);
    expect(c.lastSteps).toMatchObject({ from: 50, to: 100, b: 10, c: 0, stillFalling: true });
    expect(c.lastSteps!.pValue).toBeCloseTo(2 / 1024, 12);
    expect(c.lastRestarts).toBeNull();
  });

  test('flat: the accuracy stops at 0.7 from 40 steps, so 100 → 200 is not flagged', async () => {
    const engine = scripted((n, steps) => n < Math.min(steps, 30));
    const c = await convergence(engine, images, labels, { eps: 0.1 }, { steps: [10, 40, 100, 200], restarts: [1] });
    expect(c.steps.map((p) => p.accuracy)).toEqual([0.9, 0.7, 0.7, 0.7]);
    expect(c.lastSteps).toMatchObject({ b: 0, c: 0, pValue: 1, stillFalling: false });
  });

  test('restarts accumulate: restart r fools the images n ≡ r (mod 8), each run only on the survivors', async () => {
    const engine = scripted((n, _steps, restart) => n % 8 === restart);
    const c = await convergence(engine, images, labels, { eps: 0.1, steps: 100 }, { steps: [100], restarts: [1, 2, 4] });
    // among 0..99, 13 images are ≡ r (mod 8) for r = 0 … 3, 12 for r = 4 … 7
    expect(c.restarts.map((p) => p.accuracy)).toEqual([0.87, 0.74, 0.48]);
    expect(c.lastRestarts).toMatchObject({ from: 2, to: 4, b: 26, c: 0, stillFalling: true });
    // restart 0 is the 100-step run of the step grid, reused; restarts 1, 2, 3 attack 87, 74, 61 survivors
    expect(engine.attacked.reduce((a, b) => a + b, 0)).toBe(N + 87 + 74 + 61);
  });

  test('a grid that does not increase is a clear error', async () => {
    await expect(convergence(scripted(() => false), images, labels, { eps: 0.1 }, { steps: [40, 10] })).rejects.toThrow('convergence: steps must be increasing integers ≥ 1, got [40, 10]');
  });

  test('the charts and the table show every budget and the verdict', async () => {
    const c = await convergence(scripted((n, steps, restart) => n < steps / 5 + restart), images, labels, { eps: 0.1 }, { steps: [10, 40, 100, 200], restarts: [1, 2, 4] });
    const { steps, restarts } = convergenceCharts(c);
    for (const svg of [steps, restarts]) {
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg.match(/<circle /g)?.length).toBe(svg === steps ? 4 : 3);
    }
    expect(steps).toContain('100 → 200: still falling');
    const table = convergenceTable(c);
    expect(table).toContain('steps    200   0.6000 ± 0.0490');
    expect(table).toContain('restarts    4   0.8000 ± 0.0400');
    expect(table).toContain('last restart doubling (2 → 4: flat, McNemar p = 1.000)');
  });
});
