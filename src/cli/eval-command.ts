/**
 * `npm run eval`: load a checkpoint and report the five metrics on the clean test set.
 */
import { evaluate } from '../train/evaluate.ts';
import type { FlagSpecs, FlagValues } from './args.ts';
import { CHECKPOINT_FLAG, DATA_FLAGS, loadCheckpointModel, openEngine, prepareData, RUN_FLAGS } from './common.ts';
import { formatMetricsLine } from '../report/command-text.ts';

export const EVAL_FLAGS: FlagSpecs = { ...CHECKPOINT_FLAG, ...DATA_FLAGS, ...RUN_FLAGS };

export async function evalCommand(flags: FlagValues): Promise<void> {
  const { model, path, checkpoint } = loadCheckpointModel('eval', flags);
  const data = prepareData(flags, checkpoint.meanImage);
  const engine = await openEngine(model, flags.workers as number);
  try {
    const test = await evaluate(model, data.test.images, data.test.labels, { engine });
    if (flags.json) process.stdout.write(`${JSON.stringify({ test, checkpoint: path })}\n`);
    else {
      process.stdout.write(`clean, ${test.count} test images: ${formatMetricsLine(test)}\n`);
    }
  } finally {
    await engine.close();
  }
}
