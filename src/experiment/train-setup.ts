/**
 * What `npm run train` assembles before it runs: the validation subset carved from the training
 * images, the optimizer (with a resumed run's state restored, and its weights), and the config
 * every checkpoint stores, which holds only what differs from the paper's recipe besides the values
 * read from the objects that run, so a default run's checkpoints keep their bytes.
 */
import type { CheckpointContents } from '../io/checkpoint.ts';
import { restoreModel, restoreOptimizer } from '../io/checkpoint.ts';
import type { LeNet } from '../models/lenet.ts';
import type { Adam } from '../train/adam.ts';
import type { LrScheduleName } from '../train/lr-schedule.ts';
import { createOptimizer, type OptimizerName } from '../train/optimizer.ts';
import { DEFAULT_TRADES_BETA, DEFAULT_TRAINING_PGD_STEPS, isPerImageSchedule, type AdversarialTraining } from '../train/schedules.ts';
import type { SGD } from '../train/sgd.ts';
import type { Validation } from '../train/validation.ts';
import type { Normalization } from '../data/dataset.ts';
import type { ExperimentData } from './context.ts';
import { trainConfig, withValidation } from './train-run.ts';

/** Validation images carved from the training set by default for pgd, fgsm-rs and trades. */
export const DEFAULT_VAL_COUNT = 1000;

/** The validation images asked for, or by default DEFAULT_VAL_COUNT for the per-image schedules and 0 otherwise. */
export function validationCountFor(adversarial: AdversarialTraining | undefined, given: number | undefined): number {
  return given ?? (adversarial && isPerImageSchedule(adversarial.schedule!) ? DEFAULT_VAL_COUNT : 0);
}

/**
 * Why the checkpoint `resumed` (the file `from`) cannot continue a run of `epochs` epochs with
 * `optimizer` exactly, or null; `usage` when the flags, not the file, are at fault.
 */
export function resumeProblem(resumed: CheckpointContents, run: { from: string; epochs: number; optimizer: OptimizerName }): { message: string; usage: boolean } | null {
  if (resumed.epoch > run.epochs) return { message: `--resume ${run.from}: the checkpoint has already trained ${resumed.epoch} epochs, more than --epochs ${run.epochs}`, usage: false };
  if (run.optimizer !== 'sgd') return { message: `--resume: checkpoints store SGD's state only, so --optimizer ${run.optimizer} cannot continue a run exactly`, usage: true };
  if (resumed.optimizer === null) return { message: `--resume ${run.from}: the checkpoint holds no optimizer state, so training cannot continue exactly`, usage: false };
  return null;
}

/** The recipe's part of the config: only what differs from the paper's (image mean, constant lr, no averaging, no TRADES). */
export function recipeConfig(r: { normalization: Normalization; lrSchedule: LrScheduleName; emaDecay?: number; beta?: number; schedule?: string; steps?: number }): Record<string, unknown> {
  return {
    ...(r.normalization === 'image' ? {} : { normalize: r.normalization }),
    ...(r.lrSchedule === 'constant' ? {} : { lrSchedule: r.lrSchedule }),
    ...(r.emaDecay === undefined ? {} : { ema: r.emaDecay }),
    ...(r.beta === undefined && r.schedule !== 'trades' ? {} : { beta: r.beta ?? DEFAULT_TRADES_BETA }),
    ...(r.schedule === 'trades' ? { steps: r.steps ?? DEFAULT_TRAINING_PGD_STEPS } : {}),
  };
}

/**
 * The data (without the validation images), the validation, the optimizer over `model`'s
 * parameters and the config of a training run; a resumed run's weights and optimizer state are
 * restored into `model` and the optimizer.
 */
export function trainSetup(model: LeNet, prepared: ExperimentData, run: {
  seed: number; epochs: number; batch: number; optimizer: OptimizerName; lr: number; adversarial?: AdversarialTraining; validationCount: number;
  eps: number; clip: boolean; resumed: CheckpointContents | null; recipeConfig: Record<string, unknown>;
}): { data: ExperimentData; validation?: Validation; optimizer: SGD | Adam; config: Record<string, unknown> } {
  const { seed, adversarial, validationCount } = run;
  const { data, validation } = withValidation(prepared, validationCount, { eps: adversarial?.fgsm.eps ?? run.eps, clip: run.clip, seed });
  const optimizer = createOptimizer(run.optimizer, model.parameters(), run.lr);
  if (run.resumed) {
    restoreModel(model, run.resumed);
    restoreOptimizer(optimizer as SGD, run.resumed);
  }
  const config = { ...trainConfig({ seed, epochs: run.epochs, batch: run.batch, optimizer, adversarial, data, validationCount }), ...run.recipeConfig };
  return { data, validation, optimizer, config };
}
