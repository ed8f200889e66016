/**
 * The convolution paths on the LeNet's 5×5 layers, float32, batch 100: milliseconds per call
 * (median) of the im2col GEMM and of Winograd F(m×m, 5×5) for each tile size m, measured in the
 * same run, for the forward pass, ∂L/∂x alone (FGSM) and ∂L/∂x + ∂L/∂W (training; conv1 needs
 * ∂L/∂W only, its input being the data). The choice of m in kernels/winograd/cost.ts rests on this table.
 *
 * Run: npx tsx bench/winograd.ts [--reps N]
 */
import { pathToFileURL } from 'node:url';
import { conv2dBackward, conv2dBackwardWinograd, conv2dForward, conv2dForwardWinograd, conv2dGeometry, conv2dPlan } from '../src/layers/conv2d.ts';
import { randn } from '../src/tensor/create.ts';
import type { Tensor } from '../src/tensor/tensor.ts';
import { WINOGRAD_TILES } from '../src/kernels/winograd/cost.ts';
import { median } from './gemm.ts';

export interface ConvBenchRow {
  layer: string;
  path: string;
  forward: number;
  dx: number;
  dxdW: number;
}

const LAYERS: Array<[string, number[], number[]]> = [
  ['conv1', [100, 1, 28, 28], [20, 1, 5, 5]],
  ['conv2', [100, 20, 12, 12], [50, 20, 5, 5]],
];

/** Milliseconds per call of fn: the median of `reps` timed calls after 3 untimed ones. */
export function ms(reps: number, fn: () => void): number {
  for (let i = 0; i < 3; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

/** One row per layer and path (GEMM, then Winograd for each m); milliseconds per call, median. */
export function benchConvPaths(reps = 11): ConvBenchRow[] {
  const rows: ConvBenchRow[] = [];
  for (const [layer, xs, ws] of LAYERS) {
    const x: Tensor = randn(xs, { rng: 1, std: 1 });
    const w: Tensor = randn(ws, { rng: 2, std: 0.05 });
    const b: Tensor = randn([ws[0]], { rng: 3, std: 0.1 });
    const { y, lowered } = conv2dForward(x, w, b);
    const dy = randn(y.shape as number[], { rng: 4 });
    const dW = layer !== 'conv1';
    rows.push({
      layer, path: 'gemm',
      forward: ms(reps, () => conv2dForward(x, w, b)),
      dx: ms(reps, () => conv2dBackward(dy, x, w, lowered, {}, { dx: true, dWeight: false, dBias: false })),
      dxdW: ms(reps, () => conv2dBackward(dy, x, w, lowered, {}, { dx: dW, dWeight: true, dBias: true })),
    });
    for (const m of WINOGRAD_TILES) {
      const { saved } = conv2dForwardWinograd(x, w, b, {}, m);
      rows.push({
        layer, path: `winograd m=${m}`,
        forward: ms(reps, () => conv2dForwardWinograd(x, w, b, {}, m)),
        dx: ms(reps, () => conv2dBackwardWinograd(dy, x, w, saved, { dx: true, dWeight: false, dBias: false })),
        dxdW: ms(reps, () => conv2dBackwardWinograd(dy, x, w, saved, { dx: dW, dWeight: true, dBias: true })),
      });
    }
    const plan = conv2dPlan(conv2dGeometry(x, w, b));
    rows.push({ layer, path: `auto picks ${plan.algorithm}${plan.m ? ` m=${plan.m}` : ''}`, forward: NaN, dx: NaN, dxdW: NaN });
  }
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--reps');
  const rows = benchConvPaths(i > 0 ? Number(process.argv[i + 1]) : 11);
  console.log(`conv paths, float32, batch 100, ms per call (median); Node ${process.version}`);
  console.log(`${'layer'.padEnd(6)} ${'path'.padEnd(20)} ${'forward'.padStart(8)} ${'dx'.padStart(8)} ${'dx+dW'.padStart(8)}`);
  for (const r of rows) {
    const f = (v: number): string => (Number.isNaN(v) ? '' : v.toFixed(2)).padStart(8);
    console.log(`${r.layer.padEnd(6)} ${r.path.padEnd(20)} ${f(r.forward)} ${f(r.dx)} ${f(r.dxdW)}`);
  }
}
