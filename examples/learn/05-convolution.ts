// Chapter 05: one convolution computed three ways (direct loops, explicit im2col + one matrix
// product, the fast path) gives the same numbers up to float rounding.
// Run: npx tsx examples/learn/05-convolution.ts
import {
  backward, conv2d, conv2dForwardDirect, conv2dForwardIm2col, conv2dGeometry, gemmNaive, im2col,
  randn, sum, Tensor, Variable, type Conv2dAlgorithm,
} from '../../src/index.ts';

// A small problem: 2 images of 3 channels, 8×8; 4 filters of 3×3; stride 1, padding 1.
const x = randn([2, 3, 8, 8], { rng: 1, dtype: 'float64' }); // [N, C, H, W]
const weight = randn([4, 3, 3, 3], { rng: 2, dtype: 'float64' }); // [OC, C, KH, KW]
const bias = randn([4], { rng: 3, dtype: 'float64' }); // [OC]
const options = { stride: 1, pad: 1 };
const g = conv2dGeometry(x, weight, bias, options);
const { N, C, KH, KW, OH, OW, OC } = g;
const R = C * KH * KW; // one window: 27 values
const Q = OH * OW; // output positions per image: 64
console.log(`x [${x.shape}], weight [${weight.shape}] → y [${N},${OC},${OH},${OW}]; R = C·KH·KW = ${R}, Q = OH·OW = ${Q}`);

// Step 1: the definition as seven nested loops.
const direct = conv2dForwardDirect(x, weight, bias, options); // [N, OC, OH, OW]

// Step 2: im2col writes every window as a column of cols [R, N·Q]; then one matrix product
// Y [OC, N·Q] = weight [OC, R] · cols, done here with the textbook triple loop.
const cols = new Float64Array(R * N * Q); // [R, N·Q]
im2col(x.data, g, cols);
const Y = new Float64Array(OC * N * Q); // [OC, N·Q]
gemmNaive(false, false, OC, N * Q, R, weight.data, R, cols, N * Q, 0, Y, N * Q);
const byHand = new Float64Array(N * OC * Q); // [N, OC, OH, OW]: Y regrouped image by image, plus the bias
for (let n = 0; n < N; n++)
  for (let oc = 0; oc < OC; oc++)
    for (let q = 0; q < Q; q++) byHand[(n * OC + oc) * Q + q] = Y[oc * N * Q + n * Q + q] + bias.data[oc];
console.log(`cols is [${R}, ${N * Q}]: ${cols.length} values for an input of ${x.size}`);

// The library's own step 2 (the same, with the packed GEMM) and step 3, the op itself.
const im2colGemm = conv2dForwardIm2col(x, weight, bias, options);
const run = (algorithm: Conv2dAlgorithm) => {
  const xv = new Variable(x, { requiresGrad: true });
  const y = conv2d(xv, new Variable(weight), new Variable(bias), { ...options, algorithm }); // [N, OC, OH, OW]
  backward(sum(y)); // ∂(Σ y)/∂x, to compare the backward passes too
  return { y: y.value, dx: xv.grad! };
};
const paths = { direct: run('direct'), gemm: run('gemm'), winograd: run('winograd') };

const maxAbsDiff = (a: Tensor | Float64Array, b: Tensor) => {
  const ad = a instanceof Tensor ? a.data : a;
  let m = 0;
  for (let i = 0; i < b.size; i++) m = Math.max(m, Math.abs(ad[i] - b.data[i]));
  return m.toExponential(1);
};
console.log('max |y − direct| (float64):');
console.log(`  im2col + gemmNaive, by hand     ${maxAbsDiff(byHand, direct)}`);
console.log(`  conv2dForwardIm2col             ${maxAbsDiff(im2colGemm, direct)}`);
console.log(`  conv2d, algorithm 'direct'      ${maxAbsDiff(paths.direct.y, direct)}`);
console.log(`  conv2d, algorithm 'gemm'        ${maxAbsDiff(paths.gemm.y, direct)}`);
console.log(`  conv2d, algorithm 'winograd'    ${maxAbsDiff(paths.winograd.y, direct)}`);
console.log('max |∂(Σy)/∂x − direct backward|:');
console.log(`  gemm      ${maxAbsDiff(paths.gemm.dx, paths.direct.dx)}`);
console.log(`  winograd  ${maxAbsDiff(paths.winograd.dx, paths.direct.dx)}`);
console.log(`largest |y| ${Math.max(...direct.data.map(Math.abs)).toFixed(2)}`);
