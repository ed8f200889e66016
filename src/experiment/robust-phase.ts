/**
 * The robust half of `reproduce --preset robust`: LeNets trained against an iterative attack
 * (schedule 'pgd', Madry et al. 2018) and against FGSM with a random start (schedule 'fgsm-rs',
 * Wong et al. 2020), each with Adam, an ε warm-up and a robust validation after every epoch on
 * images carved from the training set (never the test set); the best epoch by validation PGD is
 * the model kept, saved and evaluated.
 *
 * Images: the validation subset is the LAST `validationCount` training images; each model trains
 * on the first `images` of the rest (fewer images per epoch = more validation points per hour).
 */
import type { FgsmOptions } from '../attacks/fgsm.ts';
import { splitValidation, take, type Dataset } from '../data/dataset.ts';
import { checkpointFromModel } from '../io/checkpoint.ts';
import { createLeNet, type LeNet } from '../models/lenet.ts';
import type { ResultsConfig, RobustRecipe, RobustRun } from '../report/results.ts';
import { Adam } from '../train/adam.ts';
import { evaluate } from '../train/evaluate.ts';
import { train } from '../train/train.ts';
import { describeValidation, validationAttack } from '../train/validation.ts';
import type { ExperimentContext } from './context.ts';
import { INIT } from './training-phase.ts';

export type RobustSchedule = 'pgd' | 'fgsm-rs';

/** The training images and the validation subset of the robust models (the same for both). */
export function robustData(train: Dataset, recipe: Pick<RobustRecipe, 'images' | 'validationCount'>): { train: Dataset; validation: Dataset } {
  const split = splitValidation(train, recipe.validationCount);
  const n = split.train.labels.length;
  return { train: take(split.train, Math.min(recipe.images, n)), validation: split.validation };
}

/**
 * Trains one robust LeNet (from the same initialisation as the other models) and evaluates its
 * best epoch on the clean test images and their FGSM examples.
 */
export async function robustPhase(
  schedule: RobustSchedule,
  epochs: number,
  recipe: Pick<RobustRecipe, 'lr' | 'batch' | 'steps' | 'epsRamp'>,
  split: { train: Dataset; validation: Dataset },
  options: { attack: FgsmOptions; seed: number; workers: number; config: ResultsConfig },
  context: ExperimentContext,
): Promise<{ model: LeNet; run: RobustRun; optimizer: Adam; validationAttack: string }> {
  const { attack, seed } = options;
  const { data, progress } = context;
  const model = createLeNet({ seed, init: INIT });
  const optimizer = new Adam(model.parameters(), { lr: recipe.lr });
  const engine = await context.openEngine(model, options.workers);
  const validation = { data: split.validation, attack: validationAttack(attack.eps, { clip: attack.clip, mean: data.mean, seed }) };
  const t0 = performance.now();
  try {
    const log = await train(model, split.train, {
      optimizer, epochs, seed, batchSize: recipe.batch, engine, signal: context.signal, validation,
      adversarial: { fgsm: attack, schedule, steps: schedule === 'pgd' ? recipe.steps : undefined, epsRamp: recipe.epsRamp },
      onBatch: (info) => progress.batch(schedule, epochs, info),
      onEpoch: (info) => {
        progress.epoch(schedule, epochs, info);
        const v = info.validation!;
        progress.note(`  validation (${v.count} images): clean ${v.clean.toFixed(4)}, ${describeValidation(validation.attack)} ${v.robust.toFixed(4)}${v.best ? '  (best so far)' : ''}`);
        if (info.collapse) progress.note(`  ${info.collapse}`);
        context.output.epoch({ phase: schedule, ...info });
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    // train() left the model at its best epoch by validation PGD: that is the model evaluated.
    const bestEpoch = log.filter((e) => e.validation?.best).pop()?.epoch ?? log.length;
    progress.note(`${schedule}: evaluating epoch ${bestEpoch} (best by validation) on ${data.test.labels.length} clean test images and their FGSM examples…`);
    const clean = await evaluate(model, data.test.images, data.test.labels, { engine });
    const adversarial = await evaluate(model, data.test.images, data.test.labels, { engine, attack });
    const metrics = { clean, adversarial };
    context.output.checkpoint(`${schedule}.ckpt`, checkpointFromModel(model, { meanImage: data.mean, config: { ...options.config, phase: schedule }, epoch: bestEpoch, metrics }));
    const collapse = log.find((e) => e.collapse)?.collapse;
    return {
      model,
      optimizer,
      validationAttack: describeValidation(validation.attack),
      run: {
        schedule, epochs: log.length, bestEpoch, seconds, metrics,
        validation: log.map((e) => ({ epoch: e.epoch, clean: e.validation!.clean, robust: e.validation!.robust })),
        ...(collapse ? { collapse } : {}),
      },
    };
  } finally {
    await engine.close();
  }
}
