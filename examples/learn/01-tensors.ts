/**
 * Chapter 1, tensors and shapes: a Tensor is a flat typed array plus a shape, read row-major.
 * Run: npx tsx examples/learn/01-tensors.ts
 */
import { formatShape, randn, Rng, tensor, zeros, type Tensor } from '../../src/index.ts';

/** Values with 4 decimals, so float32 noise never reaches the page. */
const show = (t: Tensor): string => `[${t.toArray().map((v) => v.toFixed(4)).join(', ')}]`;

// 1. A tensor from a nested array: the shape is inferred, the data stored flat, row by row.
const a = tensor([
  [1, 2, 3],
  [4, 5, 6],
]);
console.log(`a: shape ${formatShape(a.shape)}, rank ${a.rank}, size ${a.size}, dtype ${a.dtype}`);
console.log(`a.data (flat, row-major): ${a.toArray().join(' ')}`);

// 2. Element [i, j] of a [R, C] tensor lives at data[i·C + j]: the stride of axis 0 is C.
const [R, C] = a.shape;
const i = 1;
const j = 2;
console.log(`a[${i}, ${j}] = data[${i}·${C} + ${j}] = data[${i * C + j}] = ${a.data[i * C + j]} (R = ${R} rows)`);

// 3. reshape: the same data seen with another shape of equal size. No copy is made.
const b = a.reshape([3, 2]);
console.log(`b = a.reshape([3, 2]): shape ${formatShape(b.shape)}, rows ${[0, 1, 2].map((r) => `[${b.data[r * 2]}, ${b.data[r * 2 + 1]}]`).join(' ')}`);
console.log(`b shares a's storage: ${b.data === a.data}`);
try {
  a.reshape([4, 2]);
} catch (e) {
  console.log(`a.reshape([4, 2]) throws: ${(e as Error).message}`);
}

// 4. dtypes: float32 is the working dtype, float64 the one gradient checks need.
const third32 = tensor([1 / 3], [1], 'float32');
const third64 = tensor([1 / 3], [1], 'float64');
console.log(`1/3 in float32: ${third32.data[0]}`);
console.log(`1/3 in float64: ${third64.data[0]}`);

// 5. A batch of images is 4-D: [N, C, H, W] (images, channels, rows, columns).
const images = zeros([2, 1, 28, 28]);
const [N, CH, H, W] = images.shape;
const flat = ((1 * CH + 0) * H + 27) * W + 27; // image 1, channel 0, row 27, column 27
console.log(`images: shape ${formatShape(images.shape)}, ${images.size} values; pixel [1, 0, 27, 27] at flat index ${flat} of ${N * CH * H * W}`);
console.log(`one image as a row: images.reshape([2, 784]) has shape ${formatShape(images.reshape([N, CH * H * W]).shape)}`);

// 6. Randomness is seeded: the same seed gives the same numbers on every machine.
const r1 = new Rng(42);
const r2 = new Rng(42);
console.log(`Rng(42).uniform() three times: ${[r1.uniform(), r1.uniform(), r1.uniform()].map((v) => v.toFixed(6)).join(' ')}`);
console.log(`again from Rng(42):            ${[r2.uniform(), r2.uniform(), r2.uniform()].map((v) => v.toFixed(6)).join(' ')}`);
const w = randn([2, 3], { rng: new Rng(7), std: 0.01 });
console.log(`randn([2, 3], { rng: new Rng(7), std: 0.01 }): ${formatShape(w.shape)} ${w.dtype} ${show(w)}`);
