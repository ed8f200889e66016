// Chapter 11: the fast paths compute what the references compute. The packed GEMM against the
// triple loop, Winograd against the direct convolution, and worker threads against this thread.
// Run: npx tsx examples/learn/11-making-it-fast.ts
import {
  conv2d, conv2dForwardDirect, createEngine, createLeNet, gemm, gemmNaive, InProcessEngine, randn, Tensor, Variable, type DType,
} from '../../src/node.ts';

const maxAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

// 1. The GEMM of the LeNet's conv2 for 8 images: Y [50, 512] = W [50, 500] · cols [500, 512].
const [M, N, K] = [50, 512, 500];
for (const dtype of ['float64', 'float32'] as DType[]) {
  const A = randn([M, K], { rng: 1, dtype }).data; // [M, K]
  const B = randn([K, N], { rng: 2, dtype }).data; // [K, N]
  const fast = dtype === 'float64' ? new Float64Array(M * N) : new Float32Array(M * N); // [M, N]
  const naive = dtype === 'float64' ? new Float64Array(M * N) : new Float32Array(M * N); // [M, N]
  gemm(false, false, M, N, K, A, K, B, N, 0, fast, N);
  gemmNaive(false, false, M, N, K, A, K, B, N, 0, naive, N);
  console.log(`gemm vs gemmNaive, ${M}×${N}×${K}, ${dtype}: max |difference| / max |C| = ${(maxDiff(fast, naive) / maxAbs(naive)).toExponential(1)}`);
}

// 2. conv2 itself (20 → 50 channels, 5×5, on 12×12), float32: each path against the float64 direct loops.
const x = randn([8, 20, 12, 12], { rng: 3, std: 50 }); // [N, C, H, W] float32
const w = randn([50, 20, 5, 5], { rng: 4, std: 0.01 }); // [OC, C, KH, KW]
const float64 = (t: Tensor): Tensor => new Tensor(Float64Array.from(t.data), t.shape);
const exact = conv2dForwardDirect(float64(x), float64(w), null); // [8, 50, 8, 8] in float64
for (const algorithm of ['direct', 'gemm', 'winograd'] as const) {
  const y = conv2d(new Variable(x), new Variable(w), null, { algorithm }).value; // [8, 50, 8, 8] float32
  console.log(`conv2 in float32, ${algorithm.padEnd(8)}: max |y − exact| / max |y| = ${(maxDiff(y.data, exact.data) / maxAbs(exact.data)).toExponential(1)}`);
}

// 3. Worker threads: the same logits, bit for bit, whatever the number of workers.
const model = createLeNet({ seed: 0 });
const images = randn([20, 1, 28, 28], { rng: 5, std: 60 }); // [20, 1, 28, 28]
const here = await new InProcessEngine(model).logits(images); // [20, 10]
for (const workers of [1, 2]) {
  const engine = await createEngine(model, workers);
  const there = await engine.logits(images); // [20, 10]
  await engine.close();
  const same = there.data.every((v, i) => Object.is(v, here.data[i]));
  console.log(`logits with ${workers} worker thread${workers > 1 ? 's' : ''} against this thread: ${same ? 'identical bits' : 'DIFFERENT'}`);
}

