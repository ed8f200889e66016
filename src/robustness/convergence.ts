/**
 * Has the attack converged? Accuracy under APGD against its number of steps (each a separate run,
 * since APGD's checkpoints scale with the budget) and against its number of restarts (restart r
 * runs only on the images restarts 0 … r−1 left unfooled, so the accuracy after R restarts is
 * read off one sequence of runs). An evaluation whose accuracy still falls at its largest budget
 * has not found the attack's floor: its figure is a loose upper bound.
 *
 * The verdict compares the last two points of each grid (e.g. 100 → 200 steps, 2 → 4 restarts) on
 * paired outcomes with McNemar's exact test (stats.ts): still falling "beyond noise" means the
 * larger budget fooled more images than it spared, at p < 0.05. Runs at different step counts share
 * their random starts (the same seed), so the pairing compares like with like.
 */
import type { ApgdOptions } from '../attacks/apgd.ts';
import { describeAttack, type AttackSpec } from '../attacks/spec.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Engine } from '../train/engine.ts';
import { evaluateAttack } from './attack-evaluation.ts';
import { mcnemar, PAIRED_ALPHA, standardError, type McNemar } from './stats.ts';

/** The default grids. */
export const CONVERGENCE_STEPS: readonly number[] = [10, 40, 100, 200];
export const CONVERGENCE_RESTARTS: readonly number[] = [1, 2, 4];

export interface ConvergencePoint {
  /** Steps, or restarts. */
  budget: number;
  accuracy: number;
  standardError: number;
  /** [N] 1 where the image survived. */
  correct: Uint8Array;
}

export interface LastDoubling extends McNemar {
  from: number;
  to: number;
  /** True when the larger budget still lowers the accuracy beyond noise. */
  stillFalling: boolean;
}

export interface Convergence {
  /** The attack studied, e.g. "APGD-CE" (its steps and restarts are varied). */
  attack: string;
  /** The steps of every restart run. */
  restartSteps: number;
  count: number;
  steps: ConvergencePoint[];
  restarts: ConvergencePoint[];
  /** The test on the last two points of each grid (null for a grid of one point). */
  lastSteps: LastDoubling | null;
  lastRestarts: LastDoubling | null;
}

export interface ConvergenceOptions {
  /** Step counts, increasing (default 10, 40, 100, 200). */
  steps?: readonly number[];
  /** Restart counts, increasing (default 1, 2, 4); each run takes the spec's steps (default 100). */
  restarts?: readonly number[];
  batchSize?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

function checkGrid(name: string, grid: readonly number[]): void {
  if (grid.length === 0 || grid.some((v, i) => !Number.isInteger(v) || v < 1 || (i > 0 && v <= grid[i - 1]))) {
    throw new RangeError(`convergence: ${name} must be increasing integers ≥ 1, got [${grid.join(', ')}]`);
  }
}

function lastDoubling(points: ConvergencePoint[]): LastDoubling | null {
  if (points.length < 2) return null;
  const [a, b] = points.slice(-2);
  const test = mcnemar(a.correct, b.correct); // b: survived the smaller budget, fooled by the larger
  return { ...test, from: a.budget, to: b.budget, stillFalling: test.b > test.c && test.pValue < PAIRED_ALPHA };
}

/**
 * Accuracy of the model behind `engine` under APGD (`spec`, any loss, targeted or not) against
 * steps and restarts. @param images [N, C, H, W] mean-subtracted @param labels [N]
 */
export async function convergence(engine: Engine, images: Tensor, labels: Int32Array, spec: ApgdOptions, options: ConvergenceOptions = {}): Promise<Convergence> {
  const stepGrid = options.steps ?? CONVERGENCE_STEPS;
  const restartGrid = options.restarts ?? CONVERGENCE_RESTARTS;
  checkGrid('steps', stepGrid);
  checkGrid('restarts', restartGrid);
  const N = images.shape[0];
  const base: AttackSpec = { ...spec, attack: 'apgd', restarts: 1, firstRestart: 0 };
  const point = (budget: number, correct: Uint8Array): ConvergencePoint => {
    const accuracy = correct.reduce((a, b) => a + b, 0) / N;
    return { budget, accuracy, standardError: standardError(accuracy, N), correct };
  };
  const run = async (stage: string, s: AttackSpec, only?: Uint8Array): Promise<Uint8Array> =>
    (await evaluateAttack(engine, images, labels, s, { batchSize: options.batchSize, only, onProgress: (d, t) => options.onProgress?.(stage, d, t) })).correct;

  const steps: ConvergencePoint[] = [];
  for (const s of stepGrid) steps.push(point(s, await run(`convergence: ${s} steps`, { ...base, steps: s })));

  const restarts: ConvergencePoint[] = [];
  const reuse = steps.find((p) => p.budget === (spec.steps ?? 100)); // restart 0 at the spec's steps is that run exactly
  let correct: Uint8Array | null = reuse?.correct.slice() ?? null;
  for (let r = 0; r < restartGrid[restartGrid.length - 1]; r++) {
    if (r > 0 || correct === null) {
      const fresh = await run(`convergence: restart ${r + 1}`, { ...base, firstRestart: r }, correct ?? undefined);
      correct = correct === null ? fresh : correct.map((c, n) => c & fresh[n]);
    }
    if (restartGrid.includes(r + 1)) restarts.push(point(r + 1, correct!.slice()));
  }
  return {
    attack: describeAttack(base).split(' (')[0],
    restartSteps: spec.steps ?? 100,
    count: N,
    steps,
    restarts,
    lastSteps: lastDoubling(steps),
    lastRestarts: lastDoubling(restarts),
  };
}
