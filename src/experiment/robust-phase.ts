/**
 * The robust half of `reproduce --preset robust`: networks trained against an iterative attack
 * (schedule 'pgd', Madry et al. 2018), each with Adam, an ε warm-up, the recipe's learning-rate
 * schedule and input centring, and a robust validation after every epoch on images carved from the
 * training set (never the test set); the best epoch by validation PGD is the model kept, saved and
 * evaluated. The models, by results.json key:
 *
 *   pgdRelu  the variant (models/lenet-relu.ts): the seed's LeNet with a ReLU after conv1 and conv2
 *   pgd      the seed's LeNet, with the same recipe: how far the recipe takes the seed's network
 *   fgsmRs   the seed's LeNet against FGSM from a random start (Wong et al. 2020), when asked for
 *
 * The validation attack is of the test attack's family and no weaker: PGD with the test's steps
 * (40 in the full presets), on the logit margin (the loss of the PGD suite's strongest runs), so
 * that the epoch kept is the one the test's attacks find most robust; the collapse guard is
 * relative (train/guards.ts).
 *
 * Images: the validation subset is the LAST `validationCount` training images; each model trains
 * on the first `images` of the rest. With the scalar centring, every image has one number μ, the
 * mean grey level of the experiment's training images, subtracted (data/dataset.ts): the very
 * inputs `advgrad train --normalize scalar` trains on, so a model here and one of `advgrad train`
 * with the same recipe and seed are the same model, bit for bit.
 */
import type { FgsmOptions } from '../attacks/fgsm.ts';
import { splitValidation, take, type Dataset } from '../data/dataset.ts';
import { checkpointFromModel } from '../io/checkpoint.ts';
import { LENET_ARCHITECTURE, type LeNet } from '../models/lenet.ts';
import { LENET_RELU_ARCHITECTURE } from '../models/lenet-relu.ts';
import { createModel } from '../models/registry.ts';
import { ROBUST_PHASE, type ResultsConfig, type RobustKey, type RobustRecipe, type RobustRun } from '../report/results.ts';
import { Adam } from '../train/adam.ts';
import { evaluate } from '../train/evaluate.ts';
import { train } from '../train/train.ts';
import { describeValidation, validationAttack } from '../train/validation.ts';
import type { ExperimentContext, ExperimentData } from './context.ts';
import { INIT } from './training-phase.ts';

/** Each robust model's network and training schedule. */
export const ROBUST_MODELS: Record<RobustKey, { architecture: string; schedule: RobustRun['schedule'] }> = {
  pgdRelu: { architecture: LENET_RELU_ARCHITECTURE, schedule: 'pgd' },
  pgd: { architecture: LENET_ARCHITECTURE, schedule: 'pgd' },
  fgsmRs: { architecture: LENET_ARCHITECTURE, schedule: 'fgsm-rs' },
};

/** The training images and the validation subset of the robust models (the same for all). */
export function robustData(train: Dataset, recipe: Pick<RobustRecipe, 'images' | 'validationCount'>): { train: Dataset; validation: Dataset } {
  const split = splitValidation(train, recipe.validationCount);
  const n = split.train.labels.length;
  return { train: take(split.train, Math.min(recipe.images, n)), validation: split.validation };
}

/**
 * Trains the robust model `key` (from the same initialisation as the other models: the registry's
 * networks share their weights for a seed) on `data` (centred as the recipe says) and evaluates its
 * best epoch on the clean test images and their FGSM examples.
 */
export async function robustPhase(
  key: RobustKey,
  epochs: number,
  recipe: Pick<RobustRecipe, 'lr' | 'batch' | 'steps' | 'epsRamp' | 'lrSchedule' | 'normalization'>,
  data: ExperimentData,
  split: { train: Dataset; validation: Dataset },
  options: { attack: FgsmOptions; seed: number; workers: number; config: ResultsConfig; validationSteps: number },
  context: ExperimentContext,
): Promise<{ model: LeNet; run: RobustRun; optimizer: Adam; validationAttack: string }> {
  const { seed } = options;
  const attack = { ...options.attack, mean: data.mean }; // the attacks' clipping works in this model's centring
  const { progress } = context;
  const { architecture, schedule } = ROBUST_MODELS[key];
  const phase = ROBUST_PHASE[key];
  const model = createModel(architecture, { seed, init: INIT }) as LeNet;
  const optimizer = new Adam(model.parameters(), { lr: recipe.lr });
  const engine = await context.openEngine(model, options.workers);
  const validation = { data: split.validation, attack: validationAttack(attack.eps, { clip: attack.clip, mean: data.mean, seed, steps: options.validationSteps, loss: 'margin' }) };
  const t0 = performance.now();
  try {
    const log = await train(model, split.train, {
      optimizer, epochs, seed, batchSize: recipe.batch, engine, signal: context.signal, validation, lrSchedule: recipe.lrSchedule,
      adversarial: { fgsm: attack, schedule, steps: schedule === 'pgd' ? recipe.steps : undefined, epsRamp: recipe.epsRamp },
      onBatch: (info) => progress.batch(phase, epochs, info),
      onEpoch: (info) => {
        progress.epoch(phase, epochs, info);
        const v = info.validation!;
        progress.note(`  validation (${v.count} images): clean ${v.clean.toFixed(4)}, ${describeValidation(validation.attack)} ${v.robust.toFixed(4)}${v.best ? '  (best so far)' : ''}`);
        if (info.collapse) progress.note(`  ${info.collapse}`);
        context.output.epoch({ phase, ...info });
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    // train() left the model at its best epoch by validation PGD: that is the model evaluated.
    const bestEpoch = log.filter((e) => e.validation?.best).pop()?.epoch ?? log.length;
    progress.note(`${phase}: evaluating epoch ${bestEpoch} (best by validation) on ${data.test.labels.length} clean test images and their FGSM examples…`);
    const clean = await evaluate(model, data.test.images, data.test.labels, { engine });
    const adversarial = await evaluate(model, data.test.images, data.test.labels, { engine, attack });
    const metrics = { clean, adversarial };
    const normalization = recipe.normalization ?? 'image';
    // The run's own recipe over the experiment's (whose epochs, SGD constants and schedule are the paper models')
    const config = {
      ...options.config, phase, epochs, optimizer: 'adam', lr: optimizer.lr, momentum: undefined, weightDecay: undefined,
      schedule, steps: recipe.steps, epsRamp: recipe.epsRamp, lrSchedule: recipe.lrSchedule ?? 'constant', normalize: normalization,
    };
    context.output.checkpoint(`${phase}.ckpt`, checkpointFromModel(model, { meanImage: data.mean, normalization, config, epoch: bestEpoch, metrics }));
    const collapse = log.find((e) => e.collapse)?.collapse;
    return {
      model,
      optimizer,
      validationAttack: describeValidation(validation.attack),
      run: {
        schedule, ...(architecture === LENET_ARCHITECTURE ? {} : { architecture }), epochs: log.length, bestEpoch, seconds, metrics,
        validation: log.map((e) => ({ epoch: e.epoch, clean: e.validation!.clean, robust: e.validation!.robust })),
        ...(collapse ? { collapse } : {}),
      },
    };
  } finally {
    await engine.close();
  }
}
