/**
 * "How robust, really?": each model's robustness summary (PGD, worst case over the attack suite,
 * curves and the audit) on the first `count` test images, each audited with its surrogate from
 * the roster (report/results.ts, MODELS), and its bracket on the same images: the standard
 * evaluation on the suite's survivors (the upper bound) and the CROWN certificate (the lower
 * bound), at the budget robustness/bracket.ts derives from the PGD steps (for PGD-40: APGD-CE 100
 * steps, APGD-T 100 steps on the top 3 targets, Square 1,000 queries, each on the survivors only,
 * so that models the PGD suite already breaks cost almost nothing and a robust one pays for its
 * survivors only; the quick preset's PGD-10 scales it to 25 steps and 250 queries). The
 * full standard evaluation stays in `advgrad evaluate`. Also the PGD rows of examples.png. Each
 * model sees the test images centred as it was trained (the robust preset's models subtract a
 * scalar mean); a surrogate of another centring is moved into the target's (shifted-surrogate.ts).
 */
import type { AttackSpec } from '../attacks/spec.ts';
import type { LeNet } from '../models/lenet.ts';
import type { ExampleRow } from '../report/examples.ts';
import { MODELS, modelName, ROBUST_KEYS, type ModelKey } from '../report/results.ts';
import { bracketBudget } from '../robustness/bracket.ts';
import { shiftedSurrogate } from '../robustness/shifted-surrogate.ts';
import { robustnessSummary, type RobustnessSummary } from '../robustness/summary.ts';
import { sliceBatch, type Engine } from '../train/engine.ts';
import type { ExperimentContext, ExperimentData } from './context.ts';
import { exampleRows } from './examples.ts';

/**
 * Check 10's restart grid for the robust-trained models: one doubling more than the default (1, 2,
 * 4), since their images survive and the restarts are what can still find examples; the 8th
 * restart's catches count in the upper bound. The models the suite breaks at once keep the default
 * (their restarts run on no image), so the default experiment's numbers stay as they are.
 */
export const ROBUST_RESTARTS: readonly number[] = [1, 2, 4, 8];

export interface RobustnessOptions {
  count: number;
  eps: number;
  clip: boolean;
  steps: number;
  seed: number;
  workers: number;
  epsilons: readonly number[];
}

/** The models to summarise, each with the data it is centred for (its mean subtracted). */
export type RobustnessModels = Partial<Record<ModelKey, { model: LeNet; data: ExperimentData }>> & {
  standard: { model: LeNet; data: ExperimentData };
  adversarial: { model: LeNet; data: ExperimentData };
};

export async function robustnessPhase(
  models: RobustnessModels,
  options: RobustnessOptions,
  context: ExperimentContext,
): Promise<{ summaries: Partial<Record<ModelKey, RobustnessSummary>>; surrogates: Partial<Record<ModelKey, ModelKey | null>>; examples: ExampleRow[] }> {
  const { progress } = context;
  const present = MODELS.filter((m) => models[m.key]);
  const engines: Partial<Record<ModelKey, Engine>> = {};
  try {
    for (const m of present) engines[m.key] = await context.openEngine(models[m.key]!.model, options.workers);
    const summaries: Partial<Record<ModelKey, RobustnessSummary>> = {};
    const surrogates: Partial<Record<ModelKey, ModelKey | null>> = {};
    for (const m of present) {
      const { model, data } = models[m.key]!;
      const images = sliceBatch(data.test.images, 0, options.count); // [count, 1, 28, 28], centred for this model
      const labels = data.test.labels.slice(0, options.count);
      const budget = bracketBudget(options.steps);
      const source = models[m.surrogate];
      surrogates[m.key] = source ? m.surrogate : null;
      progress.note(
        `${m.key}: PGD-${options.steps}, worst case, curves and audit on ${options.count} test images, then APGD-CE ${budget.steps} steps, ` +
          `APGD-T (top ${budget.targets} targets) and Square ${budget.queries} queries on the survivors, and CROWN certificates…`,
      );
      summaries[m.key] = await robustnessSummary(model, engines[m.key]!, images, labels, {
        eps: options.eps, clip: options.clip, mean: data.mean, steps: options.steps, seed: options.seed, epsilons: options.epsilons, bracket: budget,
        surrogate: source && shiftedSurrogate(engines[m.surrogate]!, source.data.mean, data.mean),
        convergenceRestarts: (ROBUST_KEYS as readonly ModelKey[]).includes(m.key) ? ROBUST_RESTARTS : undefined,
        onProgress: (stage, done, total) => progress.task(`${m.key}: ${stage}`, done, total),
      });
    }
    // What FGSM's success on the adversarially trained model hides: its PGD examples, beside its FGSM ones.
    const pgd = (data: ExperimentData): AttackSpec => ({ attack: 'pgd', eps: options.eps, clip: options.clip, mean: data.mean, steps: options.steps, seed: options.seed });
    const examples = await exampleRows(`adversarially trained, PGD-${options.steps}`, engines.adversarial!, models.adversarial.data, pgd(models.adversarial.data));
    for (const key of ['pgdRelu', 'pgd'] as const) {
      const m = models[key];
      if (m) examples.push(...(await exampleRows(`${modelName(key)}, PGD-${options.steps}`, engines[key]!, m.data, pgd(m.data))));
    }
    return { summaries, surrogates, examples };
  } finally {
    for (const engine of Object.values(engines)) await engine.close();
  }
}
