/**
 * Soundness against attacks: a certificate at ε claims that no input of the ε-box changes the
 * prediction, and more, that every margin z_y − z_j stays above its lower bound. So on every case:
 * no certified image is fooled by FGSM, PGD (cross-entropy and margin loss, restarts) or random
 * vertices of the box, and the margins at every attack point are ≥ the bounds (IBP and CROWN
 * alone, certified or not). Hundreds of seeded cases: small random MLPs at each image's own
 * certified radius (the hardest ε), random float64 LeNets, and the shipped PGD-trained LeNet in
 * float64 on real test images.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { fgsm } from '../../src/attacks/fgsm.ts';
import { pgd } from '../../src/attacks/pgd.ts';
import { certifyBatch, type CertifyMethod } from '../../src/certify/certify.ts';
import { boundNetwork, type BoundNetwork } from '../../src/certify/network.ts';
import { certifiedRadius } from '../../src/certify/radius.ts';
import { subtractMean, take } from '../../src/data/dataset.ts';
import { loadCheckpoint } from '../../src/io/checkpoint-file.ts';
import { restoreModel } from '../../src/io/checkpoint.ts';
import { defaultMnistDir, loadIdxDataset } from '../../src/io/mnist.ts';
import type { Module } from '../../src/layers/module.ts';
import { createLeNet, type LeNet } from '../../src/models/lenet.ts';
import { createModel } from '../../src/models/registry.ts';
import { randn } from '../../src/tensor/create.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { boxPoints, logitsOf, marginsOf, predictions, randomLeNet, randomMlp } from './helpers.ts';

/** Margins may differ from the bound's by float64 rounding only. */
const slack = (v: number): number => 1e-9 * (1 + Math.abs(v));

interface Tally {
  certified: number;
  attackPoints: number;
}

/**
 * Attacks x (N images, labels y) at ε and checks every attack point against the certificates of
 * both methods. Returns how many images were certified by crown and how many points were checked.
 */
function attackAndCheck(model: Module, net: BoundNetwork, x: Tensor, y: number[], eps: number, seed: number, clip?: { mean: Tensor }, steps = 20): Tally {
  const N = x.shape[0];
  const K = net.classes;
  const box = { eps, clip: clip !== undefined, mean: clip?.mean };
  const certs = (['ibp', 'crown'] as CertifyMethod[]).map((method) => certifyBatch(net, x, y, { ...box, method }));
  const bounds = [certs[0].bounds.ibp, certs[1].bounds.crown!, certs[1].margins];
  const attackOptions = { eps, seed, clip: clip !== undefined, mean: clip?.mean };
  const points: Tensor[] = [
    fgsm(model, x, y, attackOptions),
    pgd(model, x, y, { ...attackOptions, steps, restarts: 2, loss: 'ce', earlyStop: false }),
    pgd(model, x, y, { ...attackOptions, steps, restarts: 2, loss: 'margin', earlyStop: false }),
  ];
  const pixels = clip && { lo: Float64Array.from(clip.mean.data, (m) => -m), hi: Float64Array.from(clip.mean.data, (m) => 255 - m) };
  const vertices = boxPoints(x, eps, 32, seed, pixels || undefined); // [32·N, …], image n's rows n·32 …
  let checked = 0;
  const check = (margins: Float64Array, n: number, what: string): void => {
    for (let m = 0; m < K - 1; m++) {
      for (const b of bounds) {
        const lower = b[n * (K - 1) + m];
        if (margins[m] < lower - slack(lower)) throw new Error(`${what}: image ${n}, margin ${m} is ${margins[m]} below its bound ${lower} at ε = ${eps}`);
      }
      if (certs[0].certified[n] || certs[1].certified[n]) expect(margins[m], `${what} fooled certified image ${n} at ε = ${eps}`).toBeGreaterThan(0);
    }
    checked++;
  };
  for (const [i, p] of points.entries()) {
    const margins = marginsOf(logitsOf(model, p), y);
    for (let n = 0; n < N; n++) check(margins.subarray(n * (K - 1), (n + 1) * (K - 1)), n, ['FGSM', 'PGD-ce', 'PGD-margin'][i]);
  }
  const vertexLabels = y.flatMap((label) => new Array<number>(32).fill(label));
  const vertexMargins = marginsOf(logitsOf(model, vertices), vertexLabels);
  for (let r = 0; r < 32 * N; r++) check(vertexMargins.subarray(r * (K - 1), (r + 1) * (K - 1)), Math.floor(r / 32), 'box point');
  return { certified: certs[1].certified.filter(Boolean).length, attackPoints: checked };
}

describe('no certified image is fooled, and no attack point goes below a bound', () => {
  test('200 random MLPs (12 → 16 → 16 → 4), each image attacked at its own certified radius, IBP and CROWN', () => {
    let certifiedCases = 0;
    let points = 0;
    for (let c = 0; c < 200; c++) {
      const model = randomMlp(c, [12, 16, 16, 4]);
      const net = boundNetwork(model, [12]);
      const x = randn([1, 12], { rng: 10_000 + c, std: 40, dtype: 'float64' }); // [1, 12]
      const y = predictions(logitsOf(model, x));
      for (const method of ['ibp', 'crown'] as const) {
        const { radius } = certifiedRadius(net, x, y, { method, tolerance: 1e-5 });
        if (radius[0] === 0) continue;
        const tally = attackAndCheck(model, net, x, y, radius[0], c);
        expect(tally.certified, `case ${c}: ${method} certified at its radius ${radius[0]}`).toBe(1);
        certifiedCases++;
        points += tally.attackPoints;
      }
    }
    expect(certifiedCases).toBeGreaterThan(300); // nearly every case has a positive radius for both methods
    expect(points).toBeGreaterThan(300 * 35);
  });

  test('random float64 LeNets: 2 models × 8 images at the median CROWN radius', () => {
    let certified = 0;
    for (let seed = 0; seed < 2; seed++) {
      const model = randomLeNet(seed);
      const net = boundNetwork(model, [1, 28, 28]);
      const x = randn([8, 1, 28, 28], { rng: 500 + seed, std: 60, dtype: 'float64' }); // [8, 1, 28, 28]
      const y = predictions(logitsOf(model, x));
      const { radius } = certifiedRadius(net, x, y, { method: 'crown', tolerance: 2e-4, maxEps: 0.02 });
      const eps = [...radius].sort((a, b) => a - b)[4];
      certified += attackAndCheck(model, net, x, y, eps, seed, undefined, 10).certified;
    }
    expect(certified).toBeGreaterThanOrEqual(6); // about half of 16 at the median radius
  });

  test('the shipped PGD-trained LeNet in float64, first 16 test images, ε = 0.004 clipped to the pixels', () => {
    const checkpoint = loadCheckpoint(join(import.meta.dirname, '../../web/models/pgd-trained.ckpt'));
    const model = createModel(checkpoint.architecture, { dtype: 'float64' }) as LeNet; // the shipped robust model is the ReLU variant
    restoreModel(model, checkpoint);
    const mean = checkpoint.meanImage!.clone('float64'); // [1, 1, 28, 28]
    const dir = defaultMnistDir();
    const raw = take(loadIdxDataset(join(dir, 't10k-images-idx3-ubyte'), join(dir, 't10k-labels-idx1-ubyte')), 16);
    const x = subtractMean(raw.images.clone('float64'), mean); // [16, 1, 28, 28]
    const y = Array.from(raw.labels);
    const tally = attackAndCheck(model, boundNetwork(model, [1, 28, 28]), x, y, 0.004, 7, { mean });
    expect(tally.certified).toBeGreaterThanOrEqual(8); // most images certify at this small ε
  });
});
