/**
 * `npm run eval`: load a checkpoint and report the five metrics on the clean test set.
 */
<<<<<<< HEAD
=======
import { createModel } from '../models/registry.ts';
import { restoreModel } from '../io/checkpoint.ts';
import { loadCheckpoint } from '../io/checkpoint-file.ts';
>>>>>>> package
import { evaluate } from '../train/evaluate.ts';
import type { FlagSpecs, FlagValues } from './args.ts';
import { CHECKPOINT_FLAG, DATA_FLAGS, loadCheckpointModel, openEngine, prepareData, round4, RUN_FLAGS } from './common.ts';

export const EVAL_FLAGS: FlagSpecs = { ...CHECKPOINT_FLAG, ...DATA_FLAGS, ...RUN_FLAGS };
export const EVAL_HELP = 'The five metrics of a checkpoint on the clean MNIST test set (the mean image comes from the checkpoint).';

<<<<<<< HEAD
export async function evalCommand(flags: FlagValues): Promise<void> {
  const { model, path, checkpoint } = loadCheckpointModel('eval', flags);
=======
export const ATTACK_FLAGS: FlagSpecs = {
  ...CHECKPOINT_FLAG,
  eps: { type: 'number', min: 0, max: 1, default: 0.25, help: 'FGSM ε as a fraction of the pixel range (0.25 = 63.75 grey levels)' },
  clip: { type: 'bool', default: false, help: 'clip the adversarial images to the valid pixel range [0, 255]' },
  ...DATA_FLAGS,
  ...RUN_FLAGS,
};
export const ATTACK_HELP = 'FGSM on a checkpoint: x_adv = x + ε·255·sign(∇x J), made from that model, then the five metrics on x_adv.';

export async function evalCommand(flags: FlagValues, attack: boolean): Promise<void> {
  const path = flags.checkpoint as string | undefined;
  if (path === undefined) throw new CliError(`${attack ? 'attack' : 'eval'}: --checkpoint FILE is required`, 2);
  const checkpoint = loadCheckpoint(path);
  if (checkpoint.meanImage === null) throw new CliError(`--checkpoint ${path}: the checkpoint holds no mean image, so its inputs cannot be prepared`);
  const model = createModel(checkpoint.architecture); // the model the checkpoint names
  restoreModel(model, checkpoint);
>>>>>>> package
  const data = prepareData(flags, checkpoint.meanImage);
  const engine = await openEngine(model, flags.workers as number);
  try {
    const test = await evaluate(model, data.test.images, data.test.labels, { engine });
    if (flags.json) process.stdout.write(`${JSON.stringify({ test, checkpoint: path })}\n`);
    else {
      process.stdout.write(
        `clean, ${test.count} test images: accuracy ${round4(test.accuracy)}, error ${round4(test.error)}, confidence ${round4(test.confidence)}, ` +
          `confidence correct ${round4(test.confidenceCorrect)}, confidence error ${round4(test.confidenceError)}\n`,
      );
    }
  } finally {
    await engine.close();
  }
}
