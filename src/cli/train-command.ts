/**
 * `npm run train`: standard (or, with --adversarial, adversarial) training of the paper's LeNet (or
 * the variant of models/lenet-relu.ts) on MNIST, with the recipe levers as flags (--normalize,
 * --lr-schedule, --ema, --schedule trades), a checkpoint after every epoch (so --resume continues
 * a killed run exactly), then the five metrics on the clean test set.
 */
import { join } from 'node:path';
import { trainRun } from '../experiment/train-run.ts';
import { recipeConfig, resumeProblem, trainSetup, validationCountFor } from '../experiment/train-setup.ts';
import type { CheckpointContents } from '../io/checkpoint.ts';
import { NORMALIZATIONS, type Normalization } from '../data/dataset.ts';
import { loadCheckpoint } from '../io/checkpoint-file.ts';
import { defaultOutDir, ensureWritableDir } from '../io/out-dir.ts';
import { runFolder } from '../io/run-folder.ts';
import { LeNet } from '../models/lenet.ts';
import { architectureOfFlag, ARCH_FLAGS, createModel } from '../models/registry.ts';
import { describeRecipe, formatTrainStart, formatTrainSummary } from '../report/command-text.ts';
import { SCHEDULE_FLAG_HELP, VAL_COUNT_FLAG_HELP } from '../report/flag-help.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { OPTIMIZERS, type OptimizerName } from '../train/optimizer.ts';
import type { WeightAveragingOptions } from '../train/ema.ts';
import { LR_SCHEDULES, type LrScheduleName } from '../train/lr-schedule.ts';
import { DEFAULT_TRADES_BETA, DEFAULT_TRAINING_PGD_STEPS, SCHEDULES, type AdversarialTraining, type Schedule } from '../train/schedules.ts';
import { describeValidation } from '../train/validation.ts';
import { CliError, type FlagSpecs, type FlagValues } from './args.ts';
import { DATA_FLAGS, interruptSignal, openEngine, prepareData, RUN_FLAGS } from './common.ts';
import { Progress } from '../report/progress.ts';

export const TRAIN_FLAGS: FlagSpecs = {
  epochs: { type: 'int', min: 0, default: 3, help: 'epochs in all (with --resume: the total to reach)' },
  batch: { type: 'int', min: 1, default: 100, help: 'samples per step (the batch schedule counts clean and FGSM samples; pgd and fgsm-rs count images)' },
  optimizer: { type: 'enum', choices: OPTIMIZERS, default: 'sgd', help: "sgd: the paper's SGD with momentum 0.9 and weight decay 5e-4; adam: Adam (β 0.9, 0.999), no weight decay" },
  lr: { type: 'number', min: 0, default: 0.001, help: 'learning rate η (MatConvNet: v ← 0.9v − (g + 5e-4·w), w ← w + η·v)' },
  seed: { type: 'int', min: 0, default: 0, help: 'seeds the initialisation, the shuffles and the random starts' },
  adversarial: { type: 'bool', default: false, help: 'adversarial training (FGSM examples mixed in, see --schedule)' },
  eps: { type: 'number', min: 0, max: 1, default: 0.25, help: 'with --adversarial: ε of the training attack as a fraction of the pixel range (0.25 = 63.75 grey levels)' },
  clip: { type: 'bool', default: false, help: 'with --adversarial: clip training examples to the valid pixel range' },
  schedule: { type: 'enum', choices: SCHEDULES, help: SCHEDULE_FLAG_HELP },
  'adv-ratio': { type: 'number', min: 0, max: 1, help: 'share of adversarial examples in each step\'s loss (default 0.5 for batch and epoch, 1 for pgd and fgsm-rs)' },
  'train-label': { type: 'enum', choices: ['true', 'predicted'], default: 'true', help: 'label the training examples are made with: the true one, or the prediction (avoids label leaking)' },
  'eps-ramp': { type: 'int', min: 0, default: 0, help: 'ε grows linearly from 0 to --eps over the first N epochs, batch by batch', placeholder: 'EPOCHS' },
  steps: { type: 'int', min: 1, help: `attack steps of --schedule pgd and trades (default ${DEFAULT_TRAINING_PGD_STEPS}; step 2.5·ε/steps)` },
  beta: { type: 'number', min: 0, help: `with --schedule trades: β, the weight of the KL term (default ${DEFAULT_TRADES_BETA})` },
  arch: { type: 'enum', choices: ARCH_FLAGS, default: 'lenet', help: "the network: lenet = the paper's LeNet; lenet-relu = the same with a ReLU after conv1 and conv2 (same 431,080 parameters)" },
  normalize: { type: 'enum', choices: NORMALIZATIONS, default: 'image', help: "what is subtracted from the inputs: image = the mean training image (the paper's); scalar = the mean grey level, one number for every pixel" },
  'lr-schedule': { type: 'enum', choices: LR_SCHEDULES, default: 'constant', help: 'the learning rate over the run: constant; cosine = decay from --lr to 0; one-cycle = warm up from lr/25 over 30% of the steps, then cosine to 0' },
  ema: { type: 'number', min: 0, max: 1, help: 'weight averaging: validate, save and evaluate a moving average of the weights with this decay (e.g. 0.999) instead of the weights', placeholder: 'DECAY' },
  'val-count': { type: 'int', min: 0, help: VAL_COUNT_FLAG_HELP },
  out: { type: 'string', help: 'output folder (default: runs/train-<timestamp>)', placeholder: 'DIR' },
  resume: { type: 'string', help: "continue from this checkpoint (its seed, mean image, optimizer state and epoch)", placeholder: 'FILE' },
  ...DATA_FLAGS,
  ...RUN_FLAGS,
};

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
    for (const flag of ['adv-ratio', 'eps-ramp', 'steps', 'beta'] as const) {
      if (flags[flag] !== undefined && !(flag === 'eps-ramp' && flags[flag] === 0)) only(`--${flag}`, 'applies to adversarial training only (--adversarial or --schedule)');
    }
    return undefined;
  }
  const resolved = schedule ?? 'batch';
  if (flags.steps !== undefined && resolved !== 'pgd' && resolved !== 'trades') only('--steps', `applies to --schedule pgd and trades only, not ${resolved}`);
  if (flags.beta !== undefined && resolved !== 'trades') only('--beta', `applies to --schedule trades only, not ${resolved}`);
  if (flags['adv-ratio'] !== undefined && resolved === 'trades') only('--adv-ratio', 'does not apply to --schedule trades, whose loss is CE(x) + β·KL (set --beta)');
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
    ...(flags.beta === undefined ? {} : { beta: flags.beta as number }),
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
  const problem = resumed && resumeProblem(resumed, { from: resumeFrom!, epochs, optimizer: optimizerName });
  if (problem) throw new CliError(problem.message, problem.usage ? 2 : 1);
  const recipe = recipeFromFlags(flags, resumed);
  const adversarial = adversarialFromFlags(flags);
  const out = ensureWritableDir((flags.out as string | undefined) ?? defaultOutDir('train'));
  const prepared = prepareData(flags, resumed?.meanImage, recipe.normalization);
  if (adversarial) adversarial.fgsm.mean = prepared.mean;
  const valCount = validationCountFor(adversarial, flags['val-count'] as number | undefined);
  if (valCount >= prepared.train.labels.length) {
    throw new CliError(`train: --val-count ${valCount} leaves no training images (${prepared.train.labels.length} in all); use fewer`, 2);
  }
  const model = createModel(recipe.architecture, { seed }); // the registry's LeNets: the seed's or the variant
  if (!(model instanceof LeNet)) throw new CliError(`train: --arch ${String(flags.arch)} is not a LeNet, which the training run expects`);
  const batch = flags.batch as number;
  const { data, validation, optimizer, config } = trainSetup(model, prepared, {
    seed, epochs, batch, optimizer: optimizerName, lr: flags.lr as number, adversarial, validationCount: valCount, eps: flags.eps as number, clip: flags.clip as boolean, resumed, recipeConfig: recipe.config,
  });
  progress.note(formatTrainStart({
    recipe: recipe.describe, trainCount: data.train.labels.length, validation: validation && { count: valCount, attack: describeValidation(validation.attack) },
    epochs, resumedAfter: resumed?.epoch, optimizer: optimizerName, lr: String(flags.lr), workers: flags.workers, out,
  }));
  const output = runFolder(out, 'train');
  const interrupt = interruptSignal(progress);
  try {
    const options = { epochs, seed, batch, workers: flags.workers as number, startEpoch: resumed?.epoch ?? 0, adversarial, validation, config, lrSchedule: recipe.lrSchedule, ema: recipe.ema };
    const summary = await trainRun(model, optimizer, options, { data, openEngine, progress, signal: interrupt.signal, output });
    const checkpoint = join(out, summary.checkpoint);
    process.stdout.write(json ? `${JSON.stringify({ ...summary, checkpoint })}\n` : formatTrainSummary(summary, checkpoint));
  } finally {
    interrupt.dispose();
  }
}

/**
 * The network, the normalisation, the lr schedule and the weight averaging the flags ask for; its
 * `config` holds only what differs from the paper's recipe, so a default run's checkpoints keep
 * their bytes. A resumed run keeps the checkpoint's network and normalisation (a flag that says
 * otherwise is a usage error), and weight averaging cannot resume exactly, so it is refused.
 */
export function recipeFromFlags(flags: FlagValues, resumed: CheckpointContents | null): {
  architecture: string; normalization: Normalization; lrSchedule: LrScheduleName; ema?: WeightAveragingOptions; config: Record<string, unknown>; describe: string;
} {
  const architecture = architectureOfFlag(flags.arch as string);
  const normalization = flags.normalize as Normalization;
  const lrSchedule = flags['lr-schedule'] as LrScheduleName;
  const decay = flags.ema as number | undefined;
  if (decay !== undefined && !(decay > 0 && decay < 1)) throw new CliError(`train: --ema must be a decay in (0, 1), e.g. 0.999, got ${decay}`, 2);
  if (resumed) {
    if (resumed.architecture !== architecture) throw new CliError(`--resume: the checkpoint is a '${resumed.architecture}' but --arch ${String(flags.arch)} is '${architecture}'`, 2);
    const stored = resumed.normalization ?? 'image';
    if (stored !== normalization) throw new CliError(`--resume: the checkpoint's inputs were centred by --normalize ${stored}, not ${normalization}`, 2);
    if (decay !== undefined || resumed.config.ema !== undefined) {
      throw new CliError('--resume: weight averaging (--ema) cannot continue a run exactly (checkpoints hold the average, not the raw weights)', 2);
    }
  }
  const config = recipeConfig({ normalization, lrSchedule, emaDecay: decay, beta: flags.beta as number | undefined, schedule: flags.schedule as string | undefined, steps: flags.steps as number | undefined });
  const describe = describeRecipe({ arch: flags.arch as string, normalization, lrSchedule, emaDecay: decay });
  return { architecture, normalization, lrSchedule, ...(decay === undefined ? {} : { ema: { decay } }), config, describe };
}
