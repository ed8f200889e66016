/**
 * `advgrad evaluate`: the standard evaluation of a checkpoint (robustness/standard-evaluation.ts):
 * APGD-CE, APGD-T and Square in sequence, each on the images every earlier one failed on, with the
 * accuracy after each and the worst case, every one an upper bound with its standard error.
 * --convergence adds APGD-CE against steps and restarts (a table; with --out, two SVG charts).
 */
import { join } from 'node:path';
import { PIXEL_RANGE } from '../attacks/attack.ts';
import { writeFileAtomic } from '../io/write-atomic.ts';
import { convergenceCharts, convergenceTable } from '../report/convergence-chart.ts';
import { convergence, CONVERGENCE_RESTARTS, CONVERGENCE_STEPS, type Convergence } from '../robustness/convergence.ts';
import { DEFAULT_EVALUATION_QUERIES, standardEvaluation, type StandardEvaluation } from '../robustness/standard-evaluation.ts';
import { formatWithError } from '../robustness/stats.ts';
import type { FlagSpecs, FlagValues } from './args.ts';
import { CHECKPOINT_FLAG, DATA_FLAGS, loadCheckpointModel, openEngine, prepareData, RUN_FLAGS } from './common.ts';
import { ensureWritableDir } from '../io/out-dir.ts';
import { Progress } from './progress.ts';

export const EVALUATE_FLAGS: FlagSpecs = {
  ...CHECKPOINT_FLAG,
  eps: { type: 'number', min: 0, max: 1, default: 0.25, help: 'ε as a fraction of the pixel range (0.25 = 63.75 grey levels)' },
  clip: { type: 'bool', default: false, help: 'keep adversarial images inside the valid pixels [0, 255]' },
  full: { type: 'bool', default: false, help: "APGD-CE with 5 restarts and Square with AutoAttack's 5,000 queries (about twice the time)" },
  queries: { type: 'int', min: 2, help: `Square's queries per image (default ${DEFAULT_EVALUATION_QUERIES}; 5000 with --full): fewer is faster and weaker` },
  steps: { type: 'int', min: 1, help: 'APGD steps per run (default 100)' },
  targets: { type: 'int', min: 1, default: 9, help: "APGD-T's target classes, the top ones after the true class" },
  convergence: { type: 'bool', default: false, help: 'also APGD-CE against steps (10, 40, 100, 200) and restarts (1, 2, 4)' },
  out: { type: 'string', help: 'with --convergence: write convergence-steps.svg and convergence-restarts.svg here', placeholder: 'DIR' },
  seed: { type: 'int', min: 0, default: 0, help: 'seeds the random starts and searches (per image, so any --workers gives the same result)' },
  ...DATA_FLAGS,
  'limit-test': { type: 'int', min: 1, default: 1000, help: 'evaluate the first N test images (every accuracy carries its standard error)' },
  ...RUN_FLAGS,
};

export const EVALUATE_HELP =
  'The standard robustness evaluation of a checkpoint (AutoAttack\'s way): APGD-CE, APGD-T and the gradient-free Square attack in sequence; the robust accuracy after each and the worst case, as upper bounds with standard errors.';

export async function evaluateCommand(flags: FlagValues): Promise<void> {
  const { model, path, checkpoint } = loadCheckpointModel('evaluate', flags);
  const data = prepareData(flags, checkpoint.meanImage);
  const outDir = flags.out === undefined ? null : ensureWritableDir(flags.out as string);
  const progress = new Progress(process.stderr);
  const engine = await openEngine(model, flags.workers as number);
  const { images, labels } = data.test;
  const base = { eps: flags.eps as number, clip: flags.clip as boolean, mean: data.mean, seed: flags.seed as number };
  try {
    let stage = 0;
    let last = '';
    const result = await standardEvaluation(engine, images, labels, {
      ...base, full: flags.full as boolean, steps: flags.steps as number | undefined, queries: flags.queries as number | undefined, targets: flags.targets as number,
      onProgress: (attack, done, total) => {
        if (attack !== last) [last, stage] = [attack, stage + 1];
        progress.task(`[${stage}/4] ${attack}`, done, total);
      },
    });
    let study: Convergence | null = null;
    if (flags.convergence) {
      study = await convergence(engine, images, labels, { ...base, steps: (flags.steps as number | undefined) ?? 100 }, {
        steps: CONVERGENCE_STEPS, restarts: CONVERGENCE_RESTARTS, onProgress: (s, done, total) => progress.task(s, done, total),
      });
      if (outDir !== null) {
        const charts = convergenceCharts(study);
        writeFileAtomic(join(outDir, 'convergence-steps.svg'), charts.steps);
        writeFileAtomic(join(outDir, 'convergence-restarts.svg'), charts.restarts);
      }
    }
    if (flags.json) {
      const { correct: _correct, ...rest } = result;
      const strip = (c: Convergence): object => ({ ...c, steps: c.steps.map(({ correct: _c, ...p }) => p), restarts: c.restarts.map(({ correct: _c, ...p }) => p) });
      process.stdout.write(`${JSON.stringify({ checkpoint: path, ...rest, convergence: study === null ? null : strip(study) })}\n`);
      return;
    }
    progress.note(`standard evaluation of ${path} on ${result.count} test images`);
    process.stdout.write(`${formatStandardEvaluation(result)}\n`);
    if (study !== null) process.stdout.write(`\n${convergenceTable(study)}\n${outDir === null ? '' : `charts: ${join(outDir, 'convergence-steps.svg')}, ${join(outDir, 'convergence-restarts.svg')}\n`}`);
  } finally {
    await engine.close();
  }
}

/** The evaluation as a table: clean, the accuracy after each attack, the worst case; every attacked figure an upper bound. */
export function formatStandardEvaluation(r: StandardEvaluation): string {
  const n = r.count;
  const names = ['clean', ...r.steps.map((s) => `after ${s.attack}`), 'worst case'];
  const width = Math.max(...names.map((s) => s.length)) + 2;
  const lines = [
    `ε = ${r.eps} (${(r.eps * PIXEL_RANGE).toFixed(2)} grey levels), ${n} images`,
    'Every attacked accuracy is an UPPER BOUND on the true robust accuracy (an attack that fails proves nothing).',
    '',
    `${''.padEnd(width)}accuracy ± se     fooled   seconds`,
    `${'clean'.padEnd(width)}${formatWithError(r.clean, n)}`,
  ];
  r.steps.forEach((s, i) => lines.push(`${`after ${s.attack}`.padEnd(width)}${formatWithError(s.accuracy, n)}   ${String(s.fooled).padStart(6)}   ${r.seconds[i].toFixed(1).padStart(7)}`));
  lines.push(`${'worst case'.padEnd(width)}${formatWithError(r.accuracy, n)}   (upper bound; the figure to quote)`);
  lines.push('', r.squareOnly > 0
    ? `Square, which never uses the gradient, fooled ${r.squareOnly} image${r.squareOnly === 1 ? '' : 's'} both gradient attacks had failed on; beyond noise that is a sign of gradient masking (check 9 of advgrad audit tests it).`
    : 'Square, which never uses the gradient, fooled no image the gradient attacks had failed on.');
  return lines.join('\n');
}
