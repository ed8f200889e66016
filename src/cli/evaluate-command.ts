/**
 * `advgrad evaluate`: the standard evaluation of a checkpoint (robustness/standard-evaluation.ts):
 * APGD-CE, APGD-T and Square in sequence, each on the images every earlier one failed on, with the
 * accuracy after each and the worst case, every one an upper bound with its standard error; and
 * the CROWN certified accuracy at the same ε, the lower bound (--no-certify skips it), so the
 * table states the bracket certified ≤ true robust accuracy ≤ worst case.
 * --convergence adds APGD-CE against steps and restarts (a table; with --out, two SVG charts).
 */
import { evaluateRun } from '../experiment/evaluate.ts';
import { writeConvergenceCharts } from '../io/chart-files.ts';
import { convergenceTable } from '../report/convergence-chart.ts';
import { formatStandardEvaluation, standardEvaluationJson } from '../report/standard-evaluation-text.ts';
import { DEFAULT_EVALUATION_QUERIES } from '../robustness/standard-evaluation.ts';
import type { FlagSpecs, FlagValues } from './args.ts';
import { CHECKPOINT_FLAG, DATA_FLAGS, loadCheckpointModel, openEngine, prepareData, RUN_FLAGS } from './common.ts';
import { ensureWritableDir } from '../io/out-dir.ts';
import { Progress } from '../report/progress.ts';

export const EVALUATE_FLAGS: FlagSpecs = {
  ...CHECKPOINT_FLAG,
  eps: { type: 'number', min: 0, max: 1, default: 0.25, help: 'ε as a fraction of the pixel range (0.25 = 63.75 grey levels)' },
  clip: { type: 'bool', default: false, help: 'keep adversarial images inside the valid pixels [0, 255]' },
  full: { type: 'bool', default: false, help: "APGD-CE with 5 restarts and Square with AutoAttack's 5,000 queries (about twice the time)" },
  queries: { type: 'int', min: 2, help: `Square's queries per image (default ${DEFAULT_EVALUATION_QUERIES}; 5000 with --full): fewer is faster and weaker` },
  steps: { type: 'int', min: 1, help: 'APGD steps per run (default 100)' },
  targets: { type: 'int', min: 1, default: 9, help: "APGD-T's target classes, the top ones after the true class" },
  certify: { type: 'bool', default: true, help: 'also the CROWN certified accuracy at --eps, the lower bound (--no-certify skips it)' },
  convergence: { type: 'bool', default: false, help: 'also APGD-CE against steps (10, 40, 100, 200) and restarts (1, 2, 4)' },
  out: { type: 'string', help: 'with --convergence: write convergence-steps.svg and convergence-restarts.svg here', placeholder: 'DIR' },
  seed: { type: 'int', min: 0, default: 0, help: 'seeds the random starts and searches (per image, so any --workers gives the same result)' },
  ...DATA_FLAGS,
  'limit-test': { type: 'int', min: 1, default: 1000, help: 'evaluate the first N test images (every accuracy carries its standard error)' },
  ...RUN_FLAGS,
};

export async function evaluateCommand(flags: FlagValues): Promise<void> {
  const { model, path, checkpoint } = loadCheckpointModel('evaluate', flags);
  const data = prepareData(flags, checkpoint.meanImage);
  const outDir = flags.out === undefined ? null : ensureWritableDir(flags.out as string);
  const progress = new Progress(process.stderr);
  const engine = await openEngine(model, flags.workers as number);
  try {
    const options = {
      eps: flags.eps as number, clip: flags.clip as boolean, mean: data.mean, seed: flags.seed as number, full: flags.full as boolean, steps: flags.steps as number | undefined,
      queries: flags.queries as number | undefined, targets: flags.targets as number, certify: flags.certify as boolean, convergence: flags.convergence as boolean,
    };
    const { result, certified, study } = await evaluateRun(model, engine, data.test.images, data.test.labels, options, progress);
    const charts = study !== null && outDir !== null ? writeConvergenceCharts(outDir, study) : null;
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(standardEvaluationJson(path, result, certified, study))}\n`);
      return;
    }
    progress.note(`standard evaluation of ${path} on ${result.count} test images`);
    process.stdout.write(`${formatStandardEvaluation(result, certified)}\n`);
    if (study !== null) process.stdout.write(`\n${convergenceTable(study)}\n${charts === null ? '' : `charts: ${charts.join(', ')}\n`}`);
  } finally {
    await engine.close();
  }
}
