/**
 * `npm run reproduce`: the paper's experiment from one command. This file parses the flags and
 * wires the experiment (src/experiment/: its presets, phases and seeds) to the files of --out;
 * `--seeds N` runs it for seeds s, …, s+N−1 (s = --seed) in the sub-folders seed-<k>, then writes
 * the spread of every table cell (report/seeds.ts) at the top.
 */
import { join } from 'node:path';
import { CURVE_EPSILONS, PRESETS, resolveSettings, ROBUST_ONLY, ROBUST_RECIPE, type ExperimentSettings, type SettingsRequest } from '../experiment/config.ts';
import type { ExperimentContext } from '../experiment/context.ts';
import { runExperiment, runFiles } from '../experiment/run.ts';
import { runSeeds } from '../experiment/seeds.ts';
import { machine } from '../io/machine.ts';
import { defaultOutDir, ensureWritableDir } from '../io/out-dir.ts';
import { runFolder } from '../io/run-folder.ts';
import { formatDuration } from '../report/format.ts';
import { formatSeedsText } from '../report/seeds.ts';
import { formatRunText } from '../report/terminal.ts';
import { camelCase, CliError, type FlagSpecs, type FlagValues } from './args.ts';
import { DATA_FLAGS, interruptSignal, openEngine, prepareData, RUN_FLAGS } from './common.ts';
import { Progress } from '../report/progress.ts';

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const Q = PRESETS.quick;

export const REPRODUCE_FLAGS: FlagSpecs = {
  preset: {
    type: 'enum', choices: Object.keys(PRESETS), default: 'default',
    help: "'default': 3 + 3 epochs (matches the paper's tables); 'seed': 30 + 30 epochs as the paper states; 'robust': the default plus the PGD-trained variant with ReLUs (within an hour on 2 cores); 'robust-both': robust plus the seed's LeNet by the same recipe, side by side (about 1 h 30); " +
      `'quick': the paper's effect in about a minute (${Q.trainCount} training and ${Q.testCount} test images, ${Q.standardEpochs} + ${Q.adversarialEpochs} epochs, robustness on ${Q.robustness.count} at PGD-${Q.robustness.steps})`,
  },
  seeds: { type: 'int', min: 1, default: 1, help: 'run the experiment for seeds --seed, --seed+1, … (each in --out/seed-<k>/) and report every cell as mean ± sd' },
  epochs: { type: 'int', min: 0, help: 'epochs of both trainings (overrides the preset)' },
  'standard-epochs': { type: 'int', min: 0, help: 'epochs of standard training (overrides --epochs)' },
  'adversarial-epochs': { type: 'int', min: 0, help: 'epochs of adversarial training (overrides --epochs)' },
  eps: { type: 'number', min: 0, max: 1, default: 0.25, help: 'FGSM ε as a fraction of the pixel range (0.25 = 63.75 grey levels)' },
  clip: { type: 'bool', default: false, help: 'clip FGSM examples to the valid pixel range [0, 255] (the paper does not)' },
  schedule: { type: 'enum', choices: ['batch', 'epoch'], default: 'batch', help: "adversarial examples made every batch from the current model, or once per epoch (the paper's literal reading)" },
  seed: { type: 'int', min: 0, default: 0, help: 'seeds the initialisation (shared by both models) and the shuffles' },
  'robustness-count': { type: 'int', min: 1, help: `test images for "How robust, really?" (PGD, worst case, curves, audit), the first N (preset: ${PRESETS.default.robustness.count}; quick: ${Q.robustness.count})` },
  steps: { type: 'int', min: 1, help: `PGD steps of the robustness section (preset: ${PRESETS.default.robustness.steps}; quick: ${Q.robustness.steps}); they also set the standard evaluation's budget there (APGD 2.5 × steps, Square 25 × steps queries) and, with --preset robust, the validation PGD's steps` },
  'curve-eps': { type: 'numbers', min: 0, max: 1, help: `ε of the robustness curves; 0, --eps and 0.5 are always added (preset: ${CURVE_EPSILONS.join(',')}; quick: ${Q.robustness.epsilons.join(',')})`, placeholder: 'E[,E…]' },
  'robust-epochs': { type: 'int', min: 1, help: `--preset robust(-both): epochs of PGD training of each network it trains (preset: ${ROBUST_RECIPE.pgdReluEpochs})` },
  'lenet-epochs': { type: 'int', min: 0, help: `--preset robust(-both): epochs of PGD training of the seed's LeNet, 0 to skip it (overrides --robust-epochs; robust: 0, robust-both: ${PRESETS['robust-both'].robust!.pgdEpochs})` },
  'fgsm-rs-epochs': { type: 'int', min: 0, help: `--preset robust(-both): epochs of FGSM-RS training of the seed's LeNet (preset: ${ROBUST_RECIPE.fgsmRsEpochs}: not trained)` },
  'robust-steps': { type: 'int', min: 1, help: `--preset robust(-both): PGD steps inside training (preset: ${ROBUST_RECIPE.steps})` },
  'robust-images': { type: 'int', min: 1, help: `--preset robust(-both): training images of the robust models, the first N (preset: ${ROBUST_RECIPE.images})` },
  'eps-ramp': { type: 'int', min: 0, help: `--preset robust(-both): epochs over which ε grows from 0 (preset: ${ROBUST_RECIPE.epsRamp})` },
  'val-count': { type: 'int', min: 1, help: `--preset robust(-both): validation images, the last N of the training set (preset: ${ROBUST_RECIPE.validationCount})` },
  out: { type: 'string', help: 'output folder (default: runs/reproduce-<timestamp>)', placeholder: 'DIR' },
  ...DATA_FLAGS,
  ...RUN_FLAGS,
};

/** The experiment's settings from the flags; a robust-only flag without --preset robust is a usage error. */
export function reproduceSettings(flags: FlagValues): ExperimentSettings {
  const request = camelCase(flags) as unknown as SettingsRequest;
  if (PRESETS[request.preset].robust === null) {
    const given = ROBUST_ONLY.filter((name) => request[name] !== undefined);
    if (given.length > 0) throw new CliError(`reproduce: --${kebab(given[0])} shapes the robust models: it needs --preset robust or robust-both, got --preset ${request.preset}`, 2);
  }
  const settings = resolveSettings(request);
  if (settings.robust && settings.limitTrain !== undefined && settings.robust.validationCount >= settings.limitTrain) {
    throw new CliError(`reproduce: --val-count ${settings.robust.validationCount} leaves no training images for the robust models (${settings.limitTrain} in all); use fewer`, 2);
  }
  return settings;
}

export async function reproduceCommand(flags: FlagValues): Promise<void> {
  const started = performance.now();
  const settings = reproduceSettings(flags); // before MNIST loads: bad flags fail at once
  const progress = new Progress(process.stderr);
  const out = ensureWritableDir((flags.out as string | undefined) ?? defaultOutDir('reproduce'));
  const data = prepareData({ ...flags, 'limit-train': settings.limitTrain, 'limit-test': settings.limitTest });
  const interrupt = interruptSignal(progress);
  const context = (dir: string): ExperimentContext => ({ data, openEngine, progress, output: runFolder(dir, 'reproduce'), signal: interrupt.signal, machine });
  try {
    if (settings.seeds === 1) {
      progress.note(`advgrad reproduce: output ${out}`);
      const results = await runExperiment(settings, settings.seed, context(out), started);
      const [report, ...rest] = runFiles(results);
      process.stdout.write(flags.json ? `${JSON.stringify(results)}\n` : `${formatRunText(results)}\nwrote ${join(out, report)}, ${rest.join(', ')}\n`);
      return;
    }
    const { spread, folders } = await runSeeds(settings, (seed, folder, i) => {
      progress.note(`advgrad reproduce: seed ${seed} (${i + 1} of ${settings.seeds}), output ${join(out, folder)}`);
      return context(ensureWritableDir(join(out, folder)));
    }, started, runFolder(out, 'reproduce'));
    const text = `${formatSeedsText(spread)}wall time ${formatDuration(spread.seconds.total)}\nwrote ${join(out, 'report.md')}, results.json; each seed's run in ${folders.join(', ')}\n`;
    process.stdout.write(flags.json ? `${JSON.stringify(spread)}\n` : text);
  } finally {
    interrupt.dispose();
  }
}
