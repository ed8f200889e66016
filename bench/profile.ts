/**
 * Where the time of a LeNet step goes: runs training steps, FGSM steps or inference on this thread
 * (batch 100, float32, the in-process engine) under V8's sampling profiler and prints each
 * function's share of the samples (self time), largest first.
 *
 * Run: npx tsx bench/profile.ts [--kind train|fgsm|inference] [--steps N] [--top N]
 */
import { Session } from 'node:inspector/promises';
import { CliError, parseFlags } from '../src/cli/args.ts';
import { createLeNet } from '../src/models/lenet.ts';
import { randn } from '../src/tensor/create.ts';
import { Rng } from '../src/tensor/rng.ts';
import { InProcessEngine } from '../src/train/engine.ts';
import { SGD } from '../src/train/sgd.ts';

const BATCH = 100;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

async function main(): Promise<void> {
  const { values, help } = parseFlags('bench/profile', process.argv.slice(2), {
    kind: { type: 'enum', choices: ['train', 'fgsm', 'inference'], default: 'train', help: 'what a step is' },
    steps: { type: 'int', min: 1, default: 40, help: 'steps to profile (after 5 of warm-up)' },
    top: { type: 'int', min: 1, default: 15, help: 'functions to list' },
  });
  if (help) {
    process.stdout.write('usage: npx tsx bench/profile.ts [--kind train|fgsm|inference] [--steps N] [--top N]\n');
    return;
  }
  const kind = values.kind as string;
  const rng = new Rng(1);
  const x = randn([BATCH, 1, 28, 28], { rng, std: 60 }); // [100, 1, 28, 28], MNIST-like scale
  const labels = Int32Array.from({ length: BATCH }, () => rng.int(10));
  const model = createLeNet({ seed: 0 });
  const optimizer = new SGD(model.parameters());
  const engine = new InProcessEngine(model);
  const step = async (): Promise<void> => {
    if (kind === 'inference') await engine.logits(x);
    else if (kind === 'fgsm') await engine.fgsm(x, labels, { eps: 0.25 });
    else {
      await engine.trainStep(x, labels, BATCH, { kind: 'standard' }, optimizer); // as train() does
    }
  };
  for (let i = 0; i < 5; i++) await step();

  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const t0 = performance.now();
  for (let i = 0; i < (values.steps as number); i++) await step();
  const seconds = (performance.now() - t0) / 1000;
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();

  // self time: every sample is charged to the function on top of the stack
  const nodes = new Map<number, ProfileNode>(profile.nodes.map((n: ProfileNode) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  (profile.samples ?? []).forEach((id: number, i: number) => {
    const frame = nodes.get(id)!.callFrame;
    const file = frame.url.split('/').slice(-2).join('/');
    const name = `${frame.functionName || '(anonymous)'}${file ? ` ${file}` : ''}`;
    const dt = profile.timeDeltas?.[i] ?? 0;
    self.set(name, (self.get(name) ?? 0) + dt);
    total += dt;
  });
  const imagesPerSecond = ((values.steps as number) * BATCH) / seconds;
  process.stdout.write(`${kind}: ${values.steps} steps of ${BATCH} images, ${imagesPerSecond.toFixed(0)} img/s while profiled; self time:\n`);
  for (const [name, t] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, values.top as number)) {
    process.stdout.write(`${((100 * t) / total).toFixed(1).padStart(6)}%  ${name}\n`);
  }
}

main().catch((e: Error) => {
  process.stderr.write(`advgrad ${e.message.startsWith('bench/profile: ') ? e.message : `bench/profile: ${e.message}`}\n`);
  process.exitCode = e instanceof CliError ? e.exitCode : 1;
});
