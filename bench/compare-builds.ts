/**
 * Two checkouts of advgrad against each other, in one process: each builds its own LeNet and
 * worker engine from its own sources, and their calls alternate (which goes first alternates too),
 * so a machine that drifts between a fast and a slow state during the run touches both alike.
 * Prints each side's median images/s and the median of the per-pair speed ratios (after / before).
 *
 *   kinds: inference (logits), fgsm (an FGSM step), train (gradients of the batch + SGD step),
 *          pgd (PGD-10 without early stop; images/s counts step·images)
 *
 * Run: npx tsx bench/compare-builds.ts --before DIR [--after .] [--kind fgsm] [--pairs 21] [--workers 1]
 * where the two directories are checkouts with node_modules (a worktree of an older commit:
 * `git worktree add ../before <commit> && ln -s "$PWD/node_modules" ../before/`).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError, parseFlags } from '../src/cli/args.ts';
import { median } from './gemm.ts';
import { alternate, pairRatio } from './paired.ts';

const BATCH = 100;
const PGD_STEPS = 10;

/**
 * Where a checkout keeps createEngine: src/train/workers/engine.ts since the worker engine has a
 * folder of its own, src/train/workers.ts before (so an older checkout still loads as --before).
 */
function engineModule(root: string): string {
  const current = 'src/train/workers/engine.ts';
  return existsSync(resolve(root, current)) ? current : 'src/train/workers.ts';
}

/** A call of `kind` on a LeNet built from the checkout at `root`, and how to shut it down. */
async function setup(root: string, kind: string, workers: number): Promise<{ call: () => Promise<unknown>; close: () => Promise<void> }> {
  const load = (path: string) => import(pathToFileURL(resolve(root, path)).href);
  const [{ createLeNet }, { randn }, { Rng }, { createEngine }, { SGD }, { release }] = await Promise.all([
    load('src/models/lenet.ts'), load('src/tensor/create.ts'), load('src/tensor/rng.ts'),
    load(engineModule(root)), load('src/train/sgd.ts'), load('src/tensor/recycle.ts'),
  ]);
  const rng = new Rng(1);
  const x = randn([BATCH, 1, 28, 28], { rng, std: 60 }); // [100, 1, 28, 28]
  const labels = Int32Array.from({ length: BATCH }, () => rng.int(10));
  const model = createLeNet({ seed: 0 });
  const optimizer = new SGD(model.parameters());
  const engine = await createEngine(model, workers);
  const calls: Record<string, () => Promise<unknown>> = {
    inference: () => engine.logits(x),
    fgsm: () => engine.fgsm(x, labels, { eps: 0.25 }),
    pgd: () => engine.attack(x, labels, { attack: 'pgd', eps: 0.25, steps: PGD_STEPS, earlyStop: false, seed: 1 }),
    train: async () => {
      // as train() does; a checkout older than Engine.trainStep steps on the returned gradients
      if (engine.trainStep !== undefined) return engine.trainStep(x, labels, BATCH, { kind: 'standard' }, optimizer);
      const { grads } = await engine.batchGradients(x, labels, BATCH, { kind: 'standard' });
      optimizer.step(grads);
      release(...grads);
    },
  };
  return { call: calls[kind], close: () => engine.close() };
}

async function main(): Promise<void> {
  const { values, help } = parseFlags('bench/compare-builds', process.argv.slice(2), {
    before: { type: 'string', help: 'the checkout to compare against (required)' },
    after: { type: 'string', default: '.', help: 'the checkout measured against it' },
    kind: { type: 'enum', choices: ['inference', 'fgsm', 'train', 'pgd'], default: 'fgsm', help: 'what a call is' },
    pairs: { type: 'int', min: 3, default: 21, help: 'alternating pairs of timed calls' },
    workers: { type: 'int', min: 0, default: 1, help: 'worker threads of each engine (0: in process)' },
  });
  if (help) {
    process.stdout.write('usage: npx tsx bench/compare-builds.ts --before DIR [--after .] [--kind fgsm] [--pairs 21] [--workers 1]\n');
    return;
  }
  if (values.before === undefined) throw new CliError('bench/compare-builds: --before DIR is required (a checkout with node_modules)', 2);
  const kind = values.kind as string;
  const workers = values.workers as number;
  const before = await setup(values.before as string, kind, workers);
  const after = await setup(values.after as string, kind, workers);
  try {
    const t = await alternate(values.pairs as number, 4, before.call, after.call); // t.a: before, t.b: after
    const images = kind === 'pgd' ? BATCH * PGD_STEPS : BATCH;
    const rate = (t: number[]): string => ((images * 1000) / median(t)).toFixed(0);
    process.stdout.write(
      `${kind}, ${workers} worker(s): before ${rate(t.a)} images/s, after ${rate(t.b)} images/s, ` +
        `after / before ${pairRatio(t).toFixed(3)}× (median of ${values.pairs} paired ratios)\n`,
    );
  } finally {
    await Promise.all([before.close(), after.close()]);
  }
}

main().catch((e: Error) => {
  process.stderr.write(`${e.message}\n`);
  process.exitCode = e instanceof CliError ? e.exitCode : 1;
});
