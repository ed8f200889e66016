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
import { OPTIMIZERS, createOptimizer, type OptimizerName } from '../train/optimizer.ts';
import { DEFAULT_TRAINING_PGD_STEPS, defaultAdvRatio, isPerImageSchedule, SCHEDULES, type AdversarialTraining, type Schedule } from '../train/schedules.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { SGD } from '../train/sgd.ts';
import { train } from '../train/train.ts';
import { describeValidation, validationAttack, VALIDATION_PGD_STEPS, type Validation } from '../train/validation.ts';
import { splitValidation } from '../data/dataset.ts';
import { CliError, type FlagSpecs, type FlagValues } from './args.ts';
import { DATA_FLAGS, defaultOutDir, ensureWritableDir, interruptSignal, openEngine, prepareData, round4, RUN_FLAGS } from './common.ts';
import { plural } from '../report/format.ts';
import { Progress } from './progress.ts';

export const TRAIN_FLAGS: FlagSpecs = {
  epochs: { type: 'int', min: 0, default: 3, help: 'epochs in all (with --resume: the total to reach)' },
  batch: { type: 'int', min: 1, default: 100, help: 'samples per step (the batch schedule counts clean and FGSM samples; pgd and fgsm-rs count images)' },
  optimizer: { type: 'enum', choices: OPTIMIZERS, default: 'sgd', help: "sgd: the seed's SGD with momentum 0.9 and weight decay 5e-4; adam: Adam (β 0.9, 0.999), no weight decay" },
  lr: { type: 'number', min: 0, default: 0.001, help: 'learning rate η (MatConvNet: v ← 0.9v − (g + 5e-4·w), w ← w + η·v)' },
  seed: { type: 'int', min: 0, default: 0, help: 'seeds the initialisation, the shuffles and the random starts' },
  adversarial: { type: 'bool', default: false, help: 'adversarial training (FGSM examples mixed in, see --schedule)' },
  eps: { type: 'number', min: 0, max: 1, default: 0.25, help: 'with --adversarial: ε of the training attack as a fraction of the pixel range (0.25 = 63.75 grey levels)' },
  clip: { type: 'bool', default: false, help: 'with --adversarial: clip training examples to the valid pixel range' },
  schedule: {
    type: 'enum', choices: SCHEDULES,
    help: "adversarial examples: batch = FGSM every batch, ½ clean + ½ FGSM (default with --adversarial); epoch = FGSM once per epoch; pgd = PGD-k with random start every batch (Madry); fgsm-rs = one step of 1.25·ε from a random start (Wong). Implies --adversarial",
  },
  'adv-ratio': { type: 'number', min: 0, max: 1, help: 'share of adversarial examples in each step\'s loss (default 0.5 for batch and epoch, 1 for pgd and fgsm-rs)' },
  'train-label': { type: 'enum', choices: ['true', 'predicted'], default: 'true', help: 'label the training examples are made with: the true one, or the prediction (avoids label leaking)' },
  'eps-ramp': { type: 'int', min: 0, default: 0, help: 'ε grows linearly from 0 to --eps over the first N epochs, batch by batch', placeholder: 'EPOCHS' },
  steps: { type: 'int', min: 1, help: `PGD steps of --schedule pgd (default ${DEFAULT_TRAINING_PGD_STEPS}; step 2.5·ε/steps)` },
  'val-count': {
    type: 'int', min: 0,
    help: `validate on the last N training images (taken out of training): PGD-${VALIDATION_PGD_STEPS} accuracy every epoch, best epoch kept in best.ckpt, stop on a collapse (default 1000 for pgd and fgsm-rs, 0 otherwise)`,
  },
  out: { type: 'string', help: 'output folder (default: runs/train-<timestamp>)', placeholder: 'DIR' },
  resume: { type: 'string', help: "continue from this checkpoint (its seed, mean image, optimizer state and epoch)", placeholder: 'FILE' },
  ...DATA_FLAGS,
  ...RUN_FLAGS,
};

export const TRAIN_HELP =
  "Train the seed's LeNet on MNIST (SGD, batch 100, lr 0.001, momentum 0.9, weight decay 5e-4), standard or adversarial (--schedule), checkpoint every epoch, and report the five metrics on the test set.";

/**
 * The adversarial training the flags ask for, or undefined; throws a usage error (exit 2) for flags
 * that do not go together. --schedule implies --adversarial. `mean` (needed with --clip) may be
 * filled in later, so that bad flags fail before MNIST is loaded.
 */
export function adversarialFromFlags(flags: FlagValues, mean?: Tensor): AdversarialTraining | undefined {
  const schedule = flags.schedule as Schedule | undefined;
  const adversarial = Boolean(flags.adversarial) || schedule !== undefined;
  const only = (flag: string, what: string): never => {
    throw new CliError(`train: ${flag} ${what}`, 2);
  };
  if (!adversarial) {
    for (const flag of ['adv-ratio', 'eps-ramp', 'steps'] as const) {
      if (flags[flag] !== undefined && !(flag === 'eps-ramp' && flags[flag] === 0)) only(`--${flag}`, 'applies to adversarial training only (--adversarial or --schedule)');
    }
    return undefined;
  }
  const resolved = schedule ?? 'batch';
  if (flags.steps !== undefined && resolved !== 'pgd') only('--steps', `applies to --schedule pgd only, not ${resolved}`);
  if (resolved === 'epoch' && (flags['eps-ramp'] as number) > 0) only('--eps-ramp', 'needs examples made every batch; --schedule epoch makes them once per epoch');
  if (resolved === 'epoch' && flags['adv-ratio'] !== undefined && flags['adv-ratio'] !== 0.5) {
    only('--adv-ratio', 'must be 0.5 with --schedule epoch (it trains on N clean and N adversarial samples)');
  }
  if (resolved === 'batch' && (flags.batch as number) % 2 !== 0) only('--batch', `must be even with --schedule batch (half clean, half FGSM), got ${String(flags.batch)}`);
  return {
    fgsm: { eps: flags.eps as number, clip: flags.clip as boolean, mean, labelMode: flags['train-label'] as 'true' | 'predicted' },
    schedule: resolved,
    advRatio: flags['adv-ratio'] as number | undefined,
    steps: flags.steps as number | undefined,
    epsRamp: flags['eps-ramp'] as number,
  };
}

export async function trainCommand(flags: FlagValues): Promise<void> {
  const json = flags.json as boolean;
  const progress = new Progress(process.stderr);
  const resumeFrom = flags.resume as string | undefined;
  const resumed = resumeFrom === undefined ? null : loadCheckpoint(resumeFrom);
  const seed = resumed ? Number(resumed.config.seed ?? flags.seed) : (flags.seed as number);
  const epochs = flags.epochs as number;
  const optimizerName = flags.optimizer as OptimizerName;
  if (resumed && resumed.epoch > epochs) {
    throw new CliError(`--resume ${resumeFrom}: the checkpoint has already trained ${resumed.epoch} epochs, more than --epochs ${epochs}`);
  }
  if (resumed && optimizerName !== 'sgd') throw new CliError(`--resume: checkpoints store SGD's state only, so --optimizer ${optimizerName} cannot continue a run exactly`, 2);
  if (resumed && resumed.optimizer === null) throw new CliError(`--resume ${resumeFrom}: the checkpoint holds no optimizer state, so training cannot continue exactly`);
  const adversarial = adversarialFromFlags(flags);
  const out = ensureWritableDir((flags.out as string | undefined) ?? defaultOutDir('train'));
  const prepared = prepareData(flags, resumed?.meanImage);
  if (adversarial) adversarial.fgsm.mean = prepared.mean;
  const valCount = (flags['val-count'] as number | undefined) ?? (adversarial && isPerImageSchedule(adversarial.schedule!) ? DEFAULT_VAL_COUNT : 0);
  if (valCount >= prepared.train.labels.length) {
    throw new CliError(`train: --val-count ${valCount} leaves no training images (${prepared.train.labels.length} in all); use fewer`, 2);
  }
  const split = splitValidation(prepared.train, valCount);
  const data = { ...prepared, train: split.train };
  const validation: Validation | undefined =
    valCount > 0 ? { data: split.validation, attack: validationAttack(adversarial?.fgsm.eps ?? (flags.eps as number), { clip: flags.clip as boolean, mean: data.mean, seed }) } : undefined;
  const model = createLeNet({ seed });
  const optimizer = createOptimizer(optimizerName, model.parameters(), flags.lr as number);
  if (resumed) {
    restoreModel(model, resumed);
    restoreOptimizer(optimizer as SGD, resumed);
  }
  const config = {
    command: 'train', seed, epochs, batch: flags.batch, optimizer: optimizerName, lr: flags.lr, adversarial: Boolean(adversarial),
    eps: adversarial ? flags.eps : undefined, clip: adversarial ? flags.clip : undefined, schedule: adversarial?.schedule,
    advRatio: adversarial ? (adversarial.advRatio ?? defaultAdvRatio(adversarial.schedule!)) : undefined,
    trainLabel: adversarial ? flags['train-label'] : undefined, epsRamp: adversarial?.epsRamp,
    steps: adversarial?.schedule === 'pgd' ? (adversarial.steps ?? DEFAULT_TRAINING_PGD_STEPS) : undefined,
    trainCount: data.train.labels.length, validationCount: valCount, testCount: data.test.labels.length,
  };
  const checkpointPath = join(out, 'model.ckpt');
  const bestPath = join(out, 'best.ckpt');
  const logPath = join(out, 'epochs.jsonl');
  const phase = adversarial ? `adversarial (${adversarial.schedule})` : 'standard';
  const sgd = optimizer instanceof SGD ? optimizer : null; // checkpoints hold SGD's state only
  progress.note(
    `advgrad train: ${data.train.labels.length} training images${validation ? ` + ${valCount} validation (${describeValidation(validation.attack)})` : ''}, ` +
      `${plural(epochs, 'epoch')}${resumed ? ` (resuming after epoch ${resumed.epoch})` : ''}, ${optimizerName} lr ${String(flags.lr)}, workers ${flags.workers}, output ${out}`,
  );

  const engine = await openEngine(model, flags.workers as number);
  const interrupt = interruptSignal(() => progress.note('stopping after the current step (Ctrl-C again to quit at once)…'));
  const secondsPerEpoch: number[] = [];
  try {
    const log = await train(model, data.train, {
      optimizer, epochs, seed, batchSize: flags.batch as number, startEpoch: resumed?.epoch ?? 0, adversarial, validation, engine,
      signal: interrupt.signal,
      onBatch: (info) => progress.batch(phase, epochs, info),
      onEpoch: (info) => {
        secondsPerEpoch.push(info.seconds);
        progress.epoch(phase, epochs, info);
        const v = info.validation;
        if (v) progress.note(`  validation (${v.count} images): clean ${round4(v.clean)}, ${describeValidation(validation!.attack)} ${round4(v.robust)}${v.best ? '  (best so far)' : ''}`);
        saveCheckpoint(checkpointPath, checkpointFromModel(model, { meanImage: data.mean, config, epoch: info.epoch, optimizer: sgd }));
        if (v?.best) {
          saveCheckpoint(bestPath, checkpointFromModel(model, { meanImage: data.mean, config, epoch: info.epoch, metrics: { validation: v } }));
        }
        if (info.collapse) progress.note(`stopped: ${info.collapse} (${bestPath})`);
        appendFileSync(logPath, `${JSON.stringify({ phase, ...info })}\n`);
      },
    });
    // With validation, train() left the model at its best epoch: that one is evaluated and kept.
    const test = await evaluate(model, data.test.images, data.test.labels, { engine });
    const best = log.filter((info) => info.validation?.best).pop();
    const bestEpoch = best?.epoch;
    const finalPath = best ? bestPath : checkpointPath;
    const metrics = best ? { test, validation: best.validation } : { test };
    saveCheckpoint(finalPath, checkpointFromModel(model, { meanImage: data.mean, config, epoch: bestEpoch ?? epochs, optimizer: finalPath === checkpointPath ? sgd : null, metrics }));
    const summary = { test, secondsPerEpoch, checkpoint: finalPath, bestEpoch, config };
    if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(
        `${bestEpoch !== undefined ? `best epoch by validation: ${bestEpoch}; ` : ''}test (${test.count} images): accuracy ${round4(test.accuracy)}, error ${round4(test.error)}, confidence ${round4(test.confidence)}, ` +
          `confidence correct ${round4(test.confidenceCorrect)}, confidence error ${round4(test.confidenceError)}\n` +
          `seconds per epoch: ${secondsPerEpoch.map((s) => s.toFixed(1)).join(', ')}\ncheckpoint: ${finalPath}\n`,
      );
    }
  } finally {
    interrupt.dispose();
    await engine.close();
  }
}

/** Validation images carved from the training set by default for pgd and fgsm-rs. */
export const DEFAULT_VAL_COUNT = 1000;
