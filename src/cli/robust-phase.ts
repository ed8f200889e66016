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
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FgsmOptions } from '../attacks/fgsm.ts';
import { splitValidation, take, type Dataset } from '../data/dataset.ts';
import { checkpointFromModel } from '../io/checkpoint.ts';
import { saveCheckpoint } from '../io/checkpoint-file.ts';
import { createLeNet, type LeNet } from '../models/lenet.ts';
import { Adam } from '../train/adam.ts';
import { evaluate } from '../train/evaluate.ts';
import { train } from '../train/train.ts';
import { describeValidation, validationAttack } from '../train/validation.ts';
import type { Results, RobustRecipe, RobustRun } from '../report/report.ts';
import { openEngine, type PreparedData } from './common.ts';
import type { Progress } from './progress.ts';

export type RobustSchedule = 'pgd' | 'fgsm-rs';

/** The training images and the validation subset of the robust models (the same for both). */
export function robustData(train: Dataset, recipe: Pick<RobustRecipe, 'images' | 'validationCount'>): { train: Dataset; validation: Dataset } {
  const split = splitValidation(train, recipe.validationCount);
  const n = split.train.labels.length;
  return { train: take(split.train, Math.min(recipe.images, n)), validation: split.validation };
}

/** The validation attack of the recipe, described for the report ("PGD-10 at ε = 0.25 (63.75 grey levels)"). */
export function describeRecipeValidation(eps: number): string {
  return describeValidation(validationAttack(eps));
}

/**
 * Trains one robust LeNet (from the same initialisation as the other models) and evaluates its
 * best epoch on the clean test images and their FGSM examples.
 */
export async function robustPhase(
  schedule: RobustSchedule,
  epochs: number,
  recipe: RobustRecipe,
  data: PreparedData,
  split: { train: Dataset; validation: Dataset },
  options: { attack: FgsmOptions; seed: number; workers: number; out: string; logPath: string; epochLog: NonNullable<Results['epochLog']>; progress: Progress; signal: AbortSignal; config: object },
): Promise<{ model: LeNet; run: RobustRun }> {
  const { attack, seed, progress } = options;
  const model = createLeNet({ seed });
  const optimizer = new Adam(model.parameters(), { lr: recipe.lr });
  const engine = await openEngine(model, options.workers);
  const validation = { data: split.validation, attack: validationAttack(attack.eps, { clip: attack.clip, mean: data.mean, seed }) };
  const t0 = performance.now();
  try {
    const log = await train(model, split.train, {
      optimizer, epochs, seed, engine, signal: options.signal, validation,
      adversarial: { fgsm: attack, schedule, steps: schedule === 'pgd' ? recipe.steps : undefined, epsRamp: recipe.epsRamp },
      onBatch: (info) => progress.batch(schedule, epochs, info),
      onEpoch: (info) => {
        progress.epoch(schedule, epochs, info);
        const v = info.validation!;
        progress.note(`  validation (${v.count} images): clean ${v.clean.toFixed(4)}, ${describeValidation(validation.attack)} ${v.robust.toFixed(4)}${v.best ? '  (best so far)' : ''}`);
        if (info.collapse) progress.note(`  ${info.collapse}`);
        const entry = { phase: schedule, ...info };
        options.epochLog.push(entry);
        appendFileSync(options.logPath, `${JSON.stringify(entry)}\n`);
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    // train() left the model at its best epoch by validation PGD: that is the model evaluated.
    const bestEpoch = log.filter((e) => e.validation?.best).pop()?.epoch ?? log.length;
    progress.note(`${schedule}: evaluating epoch ${bestEpoch} (best by validation) on ${data.test.labels.length} clean test images and their FGSM examples…`);
    const clean = await evaluate(model, data.test.images, data.test.labels, { engine });
    const adversarial = await evaluate(model, data.test.images, data.test.labels, { engine, attack });
    const metrics = { clean, adversarial };
    saveCheckpoint(join(options.out, `${schedule}.ckpt`), checkpointFromModel(model, { meanImage: data.mean, config: { ...options.config, phase: schedule }, epoch: bestEpoch, metrics }));
    const collapse = log.find((e) => e.collapse)?.collapse;
    return {
      model,
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
