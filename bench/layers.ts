/**
 * Milliseconds per call of each LeNet layer's forward and backward kernels at batch 100, float32,
 * this thread (median of timed repetitions): where a step's time goes, layer by layer.
 *
 * Run: npx tsx bench/layers.ts [--reps N]
 */
import { CliError, parseFlags } from '../src/cli/args.ts';
import { conv2dBackward, conv2dBackwardWinograd, conv2dForward, conv2dForwardWinograd, conv2dGeometry, conv2dPlan } from '../src/layers/conv2d.ts';
import { maxPool2dBackward, maxPool2dForward } from '../src/layers/max-pool2d.ts';
import { createLeNet } from '../src/models/lenet.ts';
import { randn } from '../src/tensor/create.ts';
import { Rng } from '../src/tensor/rng.ts';
import type { Tensor } from '../src/tensor/tensor.ts';
import { ms } from './winograd.ts';

const BATCH = 100;

function main(): void {
  const { values } = parseFlags('bench/layers', process.argv.slice(2), {
    reps: { type: 'int', min: 3, default: 15, help: 'timed repetitions (the median is reported)' },
  });
  const reps = values.reps as number;
  const model = createLeNet({ seed: 0 });
  const p = Object.fromEntries(model.namedParameters().map(([n, v]) => [n, v.value]));
  const rng = new Rng(1);
  let x: Tensor = randn([BATCH, 1, 28, 28], { rng, std: 60 });
  const rows: Array<[string, number]> = [];
  const needs = { dx: true, dWeight: true, dBias: true };
  for (const layer of ['conv1', 'pool1', 'conv2', 'pool2', 'conv3']) {
    if (layer.startsWith('pool')) {
      const input = x;
      const { y, argmax } = maxPool2dForward(input, { size: 2 });
      rows.push([`${layer} forward`, ms(reps, () => maxPool2dForward(input, { size: 2 }))]);
      rows.push([`${layer} backward`, ms(reps, () => maxPool2dBackward(y, input, argmax))]);
      x = y;
      continue;
    }
    const input = x;
    const w = p[`body.${layer}.weight`] ?? p[`${layer}.weight`];
    const b = p[`body.${layer}.bias`] ?? p[`${layer}.bias`];
    const { algorithm, m } = conv2dPlan(conv2dGeometry(input, w, b));
    if (algorithm === 'winograd') {
      const { y, saved } = conv2dForwardWinograd(input, w, b, {}, m);
      rows.push([`${layer} forward (winograd m=${m})`, ms(reps, () => conv2dForwardWinograd(input, w, b, {}, m))]);
      rows.push([`${layer} dx`, ms(reps, () => conv2dBackwardWinograd(y, input, w, saved, { dx: true, dWeight: false, dBias: false }))]);
      rows.push([`${layer} dW + db`, ms(reps, () => conv2dBackwardWinograd(y, input, w, saved, { dx: false, dWeight: true, dBias: true }))]);
      x = y;
    } else {
      const { y, lowered } = conv2dForward(input, w, b);
      rows.push([`${layer} forward (gemm)`, ms(reps, () => conv2dForward(input, w, b))]);
      rows.push([`${layer} dx`, ms(reps, () => conv2dBackward(y, input, w, lowered, {}, { ...needs, dWeight: false, dBias: false }))]);
      rows.push([`${layer} dW + db`, ms(reps, () => conv2dBackward(y, input, w, lowered, {}, { ...needs, dx: false }))]);
      x = y;
    }
  }
  for (const [name, t] of rows) process.stdout.write(`${name.padEnd(28)} ${t.toFixed(2).padStart(8)} ms\n`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`advgrad bench/layers: ${(e as Error).message}\n`);
  process.exitCode = e instanceof CliError ? e.exitCode : 1;
}
