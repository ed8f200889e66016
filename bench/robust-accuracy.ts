/**
 * Accuracy of a checkpoint on the first N MNIST test images, clean, under FGSM and under PGD-k
 * (default PGD-40, α = 2.5·ε/40, random start, unclipped as the seed), each with its binomial
 * standard error √(p(1 − p)/N). The robust-training figures of docs/robust-training.md come from it:
 *
 *   npx tsx bench/robust-accuracy.ts --checkpoint runs/…/best.ckpt [--count 1000] [--eps 0.25] [--steps 40] [--workers 2] [--json]
 */
import { CliError, parseFlags } from '../src/cli/args.ts';
import { prepareData } from '../src/cli/common.ts';
import { take } from '../src/data/dataset.ts';
import { createLeNet } from '../src/models/lenet.ts';
import { restoreModel } from '../src/io/checkpoint.ts';
import { loadCheckpoint } from '../src/io/checkpoint-file.ts';
import { validate } from '../src/train/validation.ts';
import { createEngine } from '../src/train/workers/engine.ts';

const FLAGS = {
  checkpoint: { type: 'string', help: 'checkpoint to measure', placeholder: 'FILE' },
  count: { type: 'int', min: 1, default: 1000, help: 'first N test images' },
  eps: { type: 'number', min: 0, max: 1, default: 0.25, help: 'ε as a fraction of the pixel range' },
  steps: { type: 'int', min: 1, default: 40, help: 'PGD steps' },
  workers: { type: 'int', min: 0, default: 2, help: 'worker threads' },
  json: { type: 'bool', default: false, help: 'one JSON line on stdout' },
} as const;

async function main(): Promise<void> {
  const { values } = parseFlags('robust-accuracy', process.argv.slice(2), FLAGS);
  const path = values.checkpoint as string | undefined;
  if (path === undefined) throw new CliError('robust-accuracy: --checkpoint FILE is required', 2);
  const checkpoint = loadCheckpoint(path);
  const model = createLeNet();
  restoreModel(model, checkpoint);
  const data = prepareData({ 'limit-train': 1 }, checkpoint.meanImage);
  const test = take(data.test, values.count as number);
  const eps = values.eps as number;
  const engine = await createEngine(model, values.workers as number);
  try {
    const started = performance.now();
    const fgsm = await validate(engine, test, { attack: 'fgsm', eps });
    const pgd = await validate(engine, test, { attack: 'pgd', eps, steps: values.steps as number, seed: 0 });
    const se = (p: number) => Math.sqrt((p * (1 - p)) / test.labels.length);
    const result = {
      checkpoint: path, epoch: checkpoint.epoch, count: test.labels.length, eps, steps: values.steps,
      clean: pgd.clean, cleanSe: se(pgd.clean), fgsm: fgsm.robust, fgsmSe: se(fgsm.robust), pgd: pgd.robust, pgdSe: se(pgd.robust),
      seconds: (performance.now() - started) / 1000,
    };
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      const f = (p: number) => `${p.toFixed(3)} ± ${se(p).toFixed(3)}`;
      process.stdout.write(`${path} (epoch ${checkpoint.epoch}), ${result.count} test images, ε = ${eps}: clean ${f(pgd.clean)}, FGSM ${f(fgsm.robust)}, PGD-${values.steps} ${f(pgd.robust)}  (${result.seconds.toFixed(0)} s)\n`);
    }
  } finally {
    await engine.close();
  }
}

main().catch((e: Error) => {
  process.stderr.write(`robust-accuracy: ${e.message}\n`);
  process.exitCode = e instanceof CliError ? e.exitCode : 1;
});
