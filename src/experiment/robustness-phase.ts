/**
 * "How robust, really?": each model's robustness summary (PGD, worst case over the attack suite,
 * curves and the audit) on the first `count` test images, each audited with its surrogate from
 * the roster (report/results.ts, MODELS), and its bracket on the same images: the standard
 * evaluation on the suite's survivors (the upper bound) and the CROWN certificate (the lower
 * bound), at the budget robustness/bracket.ts derives from the PGD steps (for PGD-40: APGD-CE 100
 * steps, APGD-T 100 steps on the top 3 targets, Square 1,000 queries, each on the survivors only,
 * so that models the PGD suite already breaks cost almost nothing and a robust one pays for its
 * survivors only; the quick preset's PGD-10 scales it to 25 steps and 250 queries). The
 * full standard evaluation stays in `advgrad evaluate`. Also the PGD rows of examples.png.
 */
import type { AttackSpec } from '../attacks/spec.ts';
import type { LeNet } from '../models/lenet.ts';
import type { ExampleRow } from '../report/examples.ts';
import { MODELS, type ModelKey } from '../report/results.ts';
import { bracketBudget } from '../robustness/bracket.ts';
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
      const budget = bracketBudget(options.steps);
      progress.note(
        `${m.key}: PGD-${options.steps}, worst case, curves and audit on ${options.count} test images, then APGD-CE ${budget.steps} steps, ` +
          `APGD-T (top ${budget.targets} targets) and Square ${budget.queries} queries on the survivors, and CROWN certificates…`,
      );
      summaries[m.key] = await robustnessSummary(models[m.key]!, engines[m.key]!, images, labels, {
        eps: options.eps, clip: options.clip, mean: data.mean, steps: options.steps, seed: options.seed, epsilons: options.epsilons, surrogate: engines[m.surrogate], bracket: budget,
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
