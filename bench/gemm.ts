/**
 * GEMM benchmark on the LeNet's real shapes: the packed kernel (src/kernels/gemm/gemm.ts) against the
 * naive reference (src/kernels/reference/gemm.ts), measured in the same run so every figure is also a
 * ratio. float32 only, so that V8 sees one array type and both kernels stay monomorphic.
 *
 *   FLOP = 2·M·N·K   (one multiply and one add per term of every dot product)
 *   GFLOP/s = FLOP / seconds / 10⁹, the median over timed repetitions after warm-up
 *
 * Shapes (batch 100; conv as im2col + GEMM, see layers/conv2d.ts; the layers run the same
 * shapes through gemmIndexed, reading cols, y and dy through offsets instead of stored matrices):
 *   forward  NN  Y[OC, OH·OW]     = W[OC, C·KH·KW] · cols[C·KH·KW, OH·OW]
 *   backward NT  dW[OC, C·KH·KW]  = dY[OC, OH·OW] · colsᵀ
 *   backward TN  dcols[C·KH·KW, OH·OW] = Wᵀ · dY
 *   "per image" has OH·OW columns, "batched" has 100·OH·OW (conv4 is the fully connected layer,
 *   batched only).
 *
 * Run: npx tsx bench/gemm.ts            (or --quick for fewer repetitions)
 */
import { pathToFileURL } from 'node:url';
import { gemm } from '../src/kernels/gemm/gemm.ts';
import { gemmNaive } from '../src/kernels/reference/gemm.ts';
import { Rng } from '../src/tensor/rng.ts';

type Gemm = typeof gemm;

export interface GemmBenchOptions {
  /** Timed repetitions per kernel and shape; the median is reported. Default 7. */
  reps?: number;
  /** Target seconds per timed repetition (calls are batched up to this). Default 0.05. */
  secondsPerRep?: number;
  /** Cap on the naive kernel's total timed seconds per shape, so big shapes stay bounded. Default 1.5. */
  naiveBudgetSeconds?: number;
  /** Print a table to stdout. Default false. */
  print?: boolean;
}

export interface GemmBenchRow {
  /** e.g. "conv2 fwd NN batched 50×6400×500" (M×N×K) */
  shape: string;
  /** packed kernel, median GFLOP/s */
  packed: number;
  /** naive kernel, median GFLOP/s */
  naive: number;
}

interface Shape {
  name: string;
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
}

/** LeNet layers: [name, OC, C·KH·KW, OH·OW]; conv4 (the classifier) is per batch only. */
const LAYERS: Array<[string, number, number, number, boolean]> = [
  ['conv1', 20, 25, 576, true],
  ['conv2', 50, 500, 64, true],
  ['conv3', 500, 800, 1, true],
  ['conv4', 10, 500, 1, false],
];
const BATCH = 100;

function lenetShapes(): Shape[] {
  const shapes: Shape[] = [];
  for (const [layer, OC, CKK, OHOW, perImage] of LAYERS) {
    const variants: Array<[string, number]> = perImage ? [['image', OHOW], ['batched', BATCH * OHOW]] : [['batched', BATCH * OHOW]];
    for (const [variant, cols] of variants) {
      shapes.push({ name: `${layer} fwd NN ${variant}`, transA: false, transB: false, M: OC, N: cols, K: CKK });
      shapes.push({ name: `${layer} dW NT ${variant}`, transA: false, transB: true, M: OC, N: CKK, K: cols });
      shapes.push({ name: `${layer} dcols TN ${variant}`, transA: true, transB: false, M: CKK, N: cols, K: OC });
    }
  }
  return shapes;
}

function randomArray(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** Median GFLOP/s of `kernel` on shape `s`, each repetition batching `calls` calls. */
function timeKernel(kernel: Gemm, s: Shape, A: Float32Array, B: Float32Array, C: Float32Array, reps: number, calls: number): number {
  const lda = s.transA ? s.M : s.K;
  const ldb = s.transB ? s.K : s.N;
  const run = (): void => {
    for (let c = 0; c < calls; c++) kernel(s.transA, s.transB, s.M, s.N, s.K, A, lda, B, ldb, 0, C, s.N);
  };
  run(); // warm-up (tier-up happens in the calibration too)
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9 / calls);
  }
  return (2 * s.M * s.N * s.K) / median(times) / 1e9;
}

/** The median of xs (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Calls per repetition so that one repetition takes about `seconds`, given a rough GFLOP/s guess. */
function callsFor(s: Shape, gflops: number, seconds: number): number {
  const perCall = (2 * s.M * s.N * s.K) / (gflops * 1e9);
  return Math.max(1, Math.round(seconds / perCall));
}

/**
 * Benchmarks packed and naive GEMM on every LeNet shape (float32).
 * @returns one row per shape with median GFLOP/s of both kernels
 */
export async function benchGemm(options: GemmBenchOptions = {}): Promise<GemmBenchRow[]> {
  const { reps = 7, secondsPerRep = 0.05, naiveBudgetSeconds = 1.5, print = false } = options;
  const rng = new Rng(1234);
  const rows: GemmBenchRow[] = [];
  if (print) {
    console.log(`GEMM, float32, median of ${reps} repetitions; Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
    console.log(`${'shape'.padEnd(30)} ${'M×N×K'.padEnd(16)} ${'packed'.padStart(8)} ${'naive'.padStart(8)} ${'ratio'.padStart(7)}   (GFLOP/s)`);
  }
  // warm both kernels up on a mid-size shape first, so the first row is not measured in a lower tier
  const warm = { name: 'warm-up', transA: false, transB: false, M: 64, N: 64, K: 64 };
  const wA = randomArray(rng, 64 * 64);
  const wB = randomArray(rng, 64 * 64);
  const wC = new Float32Array(64 * 64);
  timeKernel(gemm, warm, wA, wB, wC, 3, 20);
  timeKernel(gemmNaive, warm, wA, wB, wC, 3, 5);
  for (const s of lenetShapes()) {
    const A = randomArray(rng, s.M * s.K); // [M, K] or [K, M]
    const B = randomArray(rng, s.K * s.N); // [K, N] or [N, K]
    const C = new Float32Array(s.M * s.N); // [M, N]
    const packed = timeKernel(gemm, s, A, B, C, reps, callsFor(s, 4, secondsPerRep));
    // naive at ~0.5–1 GFLOP/s: bound its total time by shrinking calls, then repetitions
    const naiveCalls = callsFor(s, 0.7, Math.min(secondsPerRep, naiveBudgetSeconds / reps));
    const naiveSecondsPerRep = (2 * s.M * s.N * s.K * naiveCalls) / 0.7e9;
    const naiveReps = Math.max(3, Math.min(reps, Math.floor(naiveBudgetSeconds / naiveSecondsPerRep)));
    const naive = timeKernel(gemmNaive, s, A, B, C, naiveReps, naiveCalls);
    const shape = `${s.name} ${s.M}×${s.N}×${s.K}`;
    rows.push({ shape, packed, naive });
    if (print) {
      const dims = `${s.M}×${s.N}×${s.K}`;
      console.log(`${s.name.padEnd(30)} ${dims.padEnd(16)} ${packed.toFixed(2).padStart(8)} ${naive.toFixed(2).padStart(8)} ${(packed / naive).toFixed(1).padStart(6)}×`);
    }
  }
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  await benchGemm({ print: true, reps: quick ? 3 : 7, secondsPerRep: quick ? 0.02 : 0.05 });
}
