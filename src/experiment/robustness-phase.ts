/**
 * "How robust, really?": each model's robustness summary (PGD, worst case over the attack suite,
 * curves and the audit) on the first `count` test images, each audited with its surrogate from
 * the roster (report/results.ts, MODELS); and the PGD rows of examples.png.
 */
import type { AttackSpec } from '../attacks/spec.ts';
import type { LeNet } from '../models/lenet.ts';
import type { ExampleRow } from '../report/examples.ts';
import { MODELS, type ModelKey } from '../report/results.ts';
import { robustnessSummary, type RobustnessSummary } from '../robustness/summary.ts';
import { sliceBatch, type Engine } from '../train/engine.ts';
import type { ExperimentContext } from './context.ts';
import { exampleRows } from './examples.ts';

export interface RobustnessOptions {
  count: number;
  eps: number;
  clip: boolean;
  steps: number;
  seed: number;
  workers: number;
  epsilons: readonly number[];
}

export async function robustnessPhase(
  models: Partial<Record<ModelKey, LeNet>> & { standard: LeNet; adversarial: LeNet },
  options: RobustnessOptions,
  context: ExperimentContext,
): Promise<{ summaries: Partial<Record<ModelKey, RobustnessSummary>>; examples: ExampleRow[] }> {
  const { data, progress } = context;
  const images = sliceBatch(data.test.images, 0, options.count); // [count, 1, 28, 28]
  const labels = data.test.labels.slice(0, options.count);
  const present = MODELS.filter((m) => models[m.key]);
  const engines: Partial<Record<ModelKey, Engine>> = {};
  try {
    for (const m of present) engines[m.key] = await context.openEngine(models[m.key]!, options.workers);
    const summaries: Partial<Record<ModelKey, RobustnessSummary>> = {};
    for (const m of present) {
      progress.note(`${m.key}: PGD-${options.steps}, worst case, curves and audit on ${options.count} test images…`);
      summaries[m.key] = await robustnessSummary(models[m.key]!, engines[m.key]!, images, labels, {
        eps: options.eps, clip: options.clip, mean: data.mean, steps: options.steps, seed: options.seed, epsilons: options.epsilons, surrogate: engines[m.surrogate],
        onProgress: (stage, done, total) => progress.task(`${m.key}: ${stage}`, done, total),
      });
    }
    // What FGSM's success on the adversarially trained model hides: its PGD examples, beside its FGSM ones.
    const pgd: AttackSpec = { attack: 'pgd', eps: options.eps, clip: options.clip, mean: data.mean, steps: options.steps, seed: options.seed };
    const examples = await exampleRows(`adversarially trained, PGD-${options.steps}`, engines.adversarial!, data, pgd);
    if (engines.pgd) examples.push(...(await exampleRows(`PGD-trained, PGD-${options.steps}`, engines.pgd, data, pgd)));
    return { summaries, examples };
  } finally {
    for (const engine of Object.values(engines)) await engine.close();
  }
}
