/**
 * `npm run audit`: the checks that expose gradient masking (robustness/audit.ts) for a checkpoint,
 * printed after the bracket of its robust accuracy (the CROWN certificate, the lower bound, unless
 * --no-certify; the worst case over the audit's attacks, the upper bound; each attack alone) as a
 * checklist with the numbers measured and a verdict for each, and what each flag means.
 */
import { meanImageGap } from '../data/dataset.ts';
import { formatAudit } from '../report/audit-text.ts';
import { audit } from '../robustness/audit.ts';
import { certifiedTimed } from '../robustness/bracket.ts';
import { DEFAULT_EPSILONS } from '../robustness/curve.ts';
import type { Engine } from '../train/engine.ts';
import { CliError, type FlagSpecs, type FlagValues } from './args.ts';
import { CHECKPOINT_FLAG, DATA_FLAGS, loadCheckpointModel, openEngine, prepareData, RUN_FLAGS } from './common.ts';
import { Progress } from '../report/progress.ts';

export const AUDIT_FLAGS: FlagSpecs = {
  ...CHECKPOINT_FLAG,
  surrogate: { type: 'string', help: 'a second, independently trained checkpoint (best: adversarially trained), the source of the black-box check (4)', placeholder: 'FILE' },
  eps: { type: 'number', min: 0, max: 1, default: 0.25, help: 'the ε audited, as a fraction of the pixel range (0.25 = 63.75 grey levels)' },
  epsilons: { type: 'numbers', min: 0, max: 1, default: DEFAULT_EPSILONS, help: 'the ε grid of the FGSM and PGD curves (0, --eps and 0.5 are always added)', placeholder: 'E,E,…' },
  steps: { type: 'int', min: 1, default: 40, help: 'PGD steps' },
  clip: { type: 'bool', default: false, help: 'keep adversarial images inside the valid pixels [0, 255]' },
  seed: { type: 'int', min: 0, default: 0, help: 'seeds the random starts and the noise' },
  'noise-draws': { type: 'int', min: 1, default: 20, help: 'random ±ε sign patterns per image (check 5)' },
  'square-queries': { type: 'int', min: 0, help: 'Square queries per image for check 9 (default 25 × --steps; 0 skips it)' },
  'apgd-steps': { type: 'int', min: 1, help: 'APGD-CE steps for checks 9 and 10 (default 2.5 × --steps)' },
  certify: { type: 'bool', default: true, help: 'also the CROWN certified accuracy at --eps, the lower bound (--no-certify skips it)' },
  convergence: { type: 'bool', default: true, help: 'check 10: APGD-CE against steps (10, 40, 100, 200 for --steps 40: they scale with it) and restarts (1, 2, 4); --no-convergence skips it' },
  ...DATA_FLAGS,
  'limit-test': { type: 'int', min: 1, default: 1000, help: 'audit the first N test images (every accuracy carries its standard error)' },
  ...RUN_FLAGS,
};

export async function auditCommand(flags: FlagValues): Promise<void> {
  const { model, path, checkpoint } = loadCheckpointModel('audit', flags);
  const surrogate = flags.surrogate === undefined ? null : loadCheckpointModel('audit', flags, 'surrogate');
  if (surrogate !== null) {
    const worst = meanImageGap(checkpoint.meanImage, surrogate.checkpoint.meanImage); // the surrogate attacks the same mean-subtracted inputs
    if (worst > 1e-3) {
      throw new CliError(`--surrogate ${surrogate.path}: its mean image differs from that of --checkpoint ${path} (by up to ${worst.toFixed(3)} grey levels); train both on the same images so they see the same inputs`);
    }
  }
  const data = prepareData(flags, checkpoint.meanImage);
  const progress = new Progress(process.stderr);
  const workers = flags.workers as number;
  const engine = await openEngine(model, workers);
  let surrogateEngine: Engine | undefined;
  try {
    surrogateEngine = surrogate === null ? undefined : await openEngine(surrogate.model, workers);
    const result = await audit(model, data.test.images, data.test.labels, {
      eps: flags.eps as number, epsilons: flags.epsilons as number[], steps: flags.steps as number,
      clip: flags.clip as boolean, mean: data.mean, seed: flags.seed as number,
      noiseDraws: flags['noise-draws'] as number, squareQueries: flags['square-queries'] as number | undefined, apgdSteps: flags['apgd-steps'] as number | undefined, convergence: flags.convergence as boolean,
      engine, surrogate: surrogateEngine,
      onProgress: (stage, done, total) => progress.task(stage, done, total),
    });
    const certified = !flags.certify ? null : certifiedTimed(model, data.test.images, data.test.labels, {
      eps: flags.eps as number, clip: flags.clip as boolean, mean: data.mean, onProgress: (done, total) => progress.task('CROWN certificates', done, total),
    }).figure;
    if (flags.json) process.stdout.write(`${JSON.stringify({ checkpoint: path, surrogate: surrogate?.path ?? null, ...result, certified })}\n`);
    else {
      progress.note(`audit of ${path} on ${result.count} test images${surrogate ? `, surrogate ${surrogate.path}` : ''}`);
      process.stdout.write(`${formatAudit(result, certified)}\n`);
    }
  } finally {
    await engine.close();
    await surrogateEngine?.close();
  }
}
