/**
 * `npm run train`: standard (or, with --adversarial, adversarial) training of the seed's LeNet on
 * MNIST, a checkpoint after every epoch (so --resume continues a killed run exactly), then the
 * five metrics on the clean test set.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLeNet } from '../models/lenet.ts';
import { checkpointFromModel, restoreModel, restoreOptimizer } from '../io/checkpoint.ts';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint-file.ts';
import { evaluate } from '../train/evaluate.ts';
import { SGD } from '../train/sgd.ts';
import { train } from '../train/train.ts';
import { CliError, type FlagSpecs, type FlagValues } from './args.ts';
import { DATA_FLAGS, defaultOutDir, ensureWritableDir, interruptSignal, openEngine, prepareData, round4, RUN_FLAGS } from './common.ts';
import { plural, Progress } from './progress.ts';

export const TRAIN_FLAGS: FlagSpecs = {
  epochs: { type: 'int', min: 0, default: 3, help: 'epochs in all (with --resume: the total to reach)' },
  batch: { type: 'int', min: 1, default: 100, help: 'samples per SGD step' },
  lr: { type: 'number', min: 0, default: 0.001, help: 'learning rate η (MatConvNet: v ← 0.9v − (g + 5e-4·w), w ← w + η·v)' },
  seed: { type: 'int', min: 0, default: 0, help: 'seeds the initialisation and the shuffles' },
  adversarial: { type: 'bool', default: false, help: 'adversarial training (FGSM examples mixed in, see --schedule)' },
  eps: { type: 'number', min: 0, max: 1, default: 0.25, help: 'with --adversarial: FGSM ε as a fraction of the pixel range (0.25 = 63.75 grey levels)' },
  clip: { type: 'bool', default: false, help: 'with --adversarial: clip FGSM examples to the valid pixel range' },
  schedule: { type: 'enum', choices: ['batch', 'epoch'], default: 'batch', help: "with --adversarial: FGSM examples made every batch, or once per epoch" },
  out: { type: 'string', help: 'output folder (default: runs/train-<timestamp>)', placeholder: 'DIR' },
  resume: { type: 'string', help: "continue from this checkpoint (its seed, mean image, optimizer state and epoch)", placeholder: 'FILE' },
  ...DATA_FLAGS,
  ...RUN_FLAGS,
};

export const TRAIN_HELP = 'Train the seed\'s LeNet on MNIST (SGD, batch 100, lr 0.001, momentum 0.9, weight decay 5e-4), checkpoint every epoch, and report the five metrics on the test set.';

export async function trainCommand(flags: FlagValues): Promise<void> {
  const json = flags.json as boolean;
  const progress = new Progress(process.stderr);
  const resumeFrom = flags.resume as string | undefined;
  const resumed = resumeFrom === undefined ? null : loadCheckpoint(resumeFrom);
  const seed = resumed ? Number(resumed.config.seed ?? flags.seed) : (flags.seed as number);
  const epochs = flags.epochs as number;
  if (resumed && resumed.epoch > epochs) {
    throw new CliError(`--resume ${resumeFrom}: the checkpoint has already trained ${resumed.epoch} epochs, more than --epochs ${epochs}`);
  }
  if (resumed && resumed.optimizer === null) throw new CliError(`--resume ${resumeFrom}: the checkpoint holds no optimizer state, so training cannot continue exactly`);
  const out = ensureWritableDir((flags.out as string | undefined) ?? defaultOutDir('train'));
  const data = prepareData(flags, resumed?.meanImage);
  const model = createLeNet({ seed });
  const optimizer = new SGD(model.parameters(), { lr: flags.lr as number });
  if (resumed) {
    restoreModel(model, resumed);
    restoreOptimizer(optimizer, resumed);
  }
  const adversarial = flags.adversarial
    ? { fgsm: { eps: flags.eps as number, clip: flags.clip as boolean, mean: data.mean }, schedule: flags.schedule as 'batch' | 'epoch' }
    : undefined;
  const config = {
    command: 'train', seed, epochs, batch: flags.batch, lr: flags.lr, adversarial: Boolean(adversarial),
    eps: adversarial ? flags.eps : undefined, clip: adversarial ? flags.clip : undefined, schedule: adversarial ? flags.schedule : undefined,
    trainCount: data.train.labels.length, testCount: data.test.labels.length,
  };
  const checkpointPath = join(out, 'model.ckpt');
  const logPath = join(out, 'epochs.jsonl');
  const phase = adversarial ? 'adversarial' : 'standard';
  progress.note(`advgrad train: ${data.train.labels.length} training images, ${plural(epochs, 'epoch')}${resumed ? ` (resuming after epoch ${resumed.epoch})` : ''}, workers ${flags.workers}, output ${out}`);

  const engine = await openEngine(model, flags.workers as number);
  const interrupt = interruptSignal(() => progress.note('stopping after the current step (Ctrl-C again to quit at once)…'));
  const secondsPerEpoch: number[] = [];
  try {
    await train(model, data.train, {
      optimizer, epochs, seed, batchSize: flags.batch as number, startEpoch: resumed?.epoch ?? 0, adversarial, engine,
      signal: interrupt.signal,
      onBatch: (info) => progress.batch(phase, epochs, info),
      onEpoch: (info) => {
        secondsPerEpoch.push(info.seconds);
        progress.epoch(phase, epochs, info);
        saveCheckpoint(checkpointPath, checkpointFromModel(model, { meanImage: data.mean, config, epoch: info.epoch, optimizer }));
        appendFileSync(logPath, `${JSON.stringify({ phase, ...info })}\n`);
      },
    });
    const test = await evaluate(model, data.test.images, data.test.labels, { engine });
    saveCheckpoint(checkpointPath, checkpointFromModel(model, { meanImage: data.mean, config, epoch: epochs, optimizer, metrics: { test } }));
    const summary = { test, secondsPerEpoch, checkpoint: checkpointPath, config };
    if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(
        `test (${test.count} images): accuracy ${round4(test.accuracy)}, error ${round4(test.error)}, confidence ${round4(test.confidence)}, ` +
          `confidence correct ${round4(test.confidenceCorrect)}, confidence error ${round4(test.confidenceError)}\n` +
          `seconds per epoch: ${secondsPerEpoch.map((s) => s.toFixed(1)).join(', ')}\ncheckpoint: ${checkpointPath}\n`,
      );
    }
  } finally {
    interrupt.dispose();
    await engine.close();
  }
}
