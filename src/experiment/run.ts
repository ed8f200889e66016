/**
 * One run of the experiment for one seed, as phases that each read alone:
 *
 *   1. standard     a LeNet trained normally, evaluated clean and under FGSM (training-phase.ts)
 *   2. adversarial  a LeNet from the same initialisation trained on clean + FGSM examples
 *   3. robust       with the robust preset: the PGD-trained variant and seed's LeNet (robust-phase.ts)
 *   4. robustness   "How robust, really?" for every model (robustness-phase.ts)
 *   5. files        results.json, report.md, examples.png and the charts, through the output sink
 *
 * Everything results.json and report.md state about the configuration is read from the objects
 * that ran: the optimiser's η, μ and λ, the initialisation, the FGSM options, the data's counts.
 */
import { PIXEL_RANGE, type FgsmOptions } from '../attacks/fgsm.ts';
import { renderExamples, type ExampleRow } from '../report/examples.ts';
import { renderReport } from '../report/report.ts';
import {
  MODELS, ROBUST_KEYS, ROBUST_PHASE, ROBUSTNESS_CHART, VALIDATION_CHART, type EpochLogEntry, type Results, type ResultsConfig, type RobustKey, type RobustRecipe, type RobustRun,
} from '../report/results.ts';
import { robustnessChartSvg } from '../report/robustness-evaluation-section.ts';
import { ROBUST_ADAM, robustRuns, validationChartSvg } from '../report/robust-training-section.ts';
import type { LeNet } from '../models/lenet.ts';
import type { ExperimentSettings } from './config.ts';
import type { ExperimentContext, ExperimentData } from './context.ts';
import { robustData, robustPhase } from './robust-phase.ts';
import { centredData } from './data.ts';
import { robustnessPhase, type RobustnessModels } from './robustness-phase.ts';
import { describeTraining, experimentModel, INIT, trainingPhase } from './training-phase.ts';

/** Trains, evaluates and writes one run of the experiment for `seed`; returns its results.json. */
export async function runExperiment(settings: ExperimentSettings, seed: number, given: ExperimentContext, started = performance.now()): Promise<Results> {
  const epochLog: EpochLogEntry[] = [];
  const context = loggingEpochs(given, epochLog);
  const { data, progress, output } = context;
  const attack: FgsmOptions = { eps: settings.eps, clip: settings.clip, mean: data.mean };
  const standardRun = experimentModel(seed);
  const config = runConfig(settings, seed, data, attack, describeTraining(standardRun.optimizer, INIT, settings.batch));
  const recipe = robustRecipe(settings, config);
  output.startEpochLog();
  progress.note(startLine(settings, config, recipe, data));

  const phase = { seed, batch: settings.batch, workers: settings.workers, attack, config };
  const standard = await trainingPhase('standard', standardRun, { ...phase, epochs: config.epochs.standard }, context);
  const adversarialRun = experimentModel(seed);
  sameTraining(config, describeTraining(adversarialRun.optimizer, INIT, settings.batch));
  const adversarial = await trainingPhase('adversarial', adversarialRun, { ...phase, epochs: config.epochs.adversarial, adversarial: { fgsm: attack, schedule: settings.schedule } }, context);

  const robust = recipe ? await robustModels(settings, recipe, { ...phase, validationSteps: settings.robustness.steps }, context) : null;

  const robustnessStart = performance.now();
  const models: RobustnessModels = { standard: { model: standard.model, data }, adversarial: { model: adversarial.model, data } };
  for (const [key, r] of Object.entries(robust?.trained ?? {})) models[key as RobustKey] = { model: r.model, data: robust!.data };
  const robustness = await robustnessPhase(models, { ...settings.robustness, count: Math.min(settings.robustness.count, data.test.labels.length), eps: attack.eps, clip: settings.clip, seed, workers: settings.workers }, context);
  const robustnessSeconds = (performance.now() - robustnessStart) / 1000;

  const results: Results = {
    config,
    standard: standard.metrics,
    adversarial: adversarial.metrics,
    seconds: {
      standard: standard.seconds, adversarial: adversarial.seconds,
      ...Object.fromEntries(Object.entries(robust?.trained ?? {}).map(([key, r]) => [key, r.run.seconds])),
      robustness: robustnessSeconds, total: (performance.now() - started) / 1000,
    },
    epochLog,
    robustness: {
      count: robustness.summaries.standard!.count, chart: ROBUSTNESS_CHART, models: robustness.summaries as NonNullable<Results['robustness']>['models'],
      ...(robust ? { surrogates: robustness.surrogates } : {}),
    },
    ...(context.machine ? { machine: context.machine() } : {}),
  };
  if (robust && recipe) {
    const runs = Object.fromEntries(Object.entries(robust.trained).map(([key, r]) => [key, r.run]));
    results.robustTraining = { recipe, chart: VALIDATION_CHART, models: runs };
  }
  writeFiles(results, [...standard.examples, ...adversarial.examples, ...robustness.examples], context);
  return results;
}

/**
 * Trains the robust preset's models (robust-phase.ts), each with the epochs the recipe gives it (a
 * model with 0 is skipped), on the images centred as the recipe says; fills the recipe's images,
 * η and validation attack from what ran, and checks the Adam constants the report states.
 */
async function robustModels(
  settings: ExperimentSettings, recipe: RobustRecipe, options: Parameters<typeof robustPhase>[5], context: ExperimentContext,
): Promise<{ data: ExperimentData; trained: Partial<Record<RobustKey, { model: LeNet; run: RobustRun }>> }> {
  const data = centredData(context.data, recipe.normalization ?? 'image');
  const split = robustData(data.train, recipe);
  recipe.images = split.train.labels.length;
  const trained: Partial<Record<RobustKey, { model: LeNet; run: RobustRun }>> = {};
  for (const key of ROBUST_KEYS) {
    const epochs = settings.robust!.epochs[key];
    if (epochs === 0) continue;
    const r = await robustPhase(key, epochs, recipe, data, split, options, context);
    recipe.lr = r.optimizer.lr; // the optimiser's own η, as it ran
    for (const [name, value] of Object.entries(ROBUST_ADAM)) {
      if (r.optimizer[name as keyof typeof ROBUST_ADAM] !== value) throw new Error(`experiment: the robust models' Adam has ${name} ${r.optimizer[name as keyof typeof ROBUST_ADAM]} but the report states ${value}`);
    }
    recipe.validationAttack = r.validationAttack;
    trained[key] = r;
  }
  return { data, trained };
}

/** The context with every epoch's log entry also kept in `log` (results.json's epochLog). */
function loggingEpochs(context: ExperimentContext, log: EpochLogEntry[]): ExperimentContext {
  const sink = context.output;
  return {
    ...context,
    output: {
      startEpochLog: () => sink.startEpochLog(),
      epoch: (entry) => {
        log.push(entry);
        sink.epoch(entry);
      },
      checkpoint: (name, contents) => sink.checkpoint(name, contents),
      text: (name, text) => sink.text(name, text),
      png: (name, image) => sink.png(name, image),
    },
  };
}

/** results.json's config: the settings as they ran, the data's counts, the optimiser's own values. */
function runConfig(settings: ExperimentSettings, seed: number, data: ExperimentData, attack: FgsmOptions, training: ReturnType<typeof describeTraining>): ResultsConfig {
  return {
    eps: attack.eps, epsGreyLevels: attack.eps * PIXEL_RANGE, clip: attack.clip ?? false, schedule: settings.schedule, seed, epochs: { ...settings.epochs },
    trainCount: data.train.labels.length, testCount: data.test.labels.length, preset: settings.preset, workers: settings.workers,
    ...training,
  };
}

/** Both SGD models are stated by one set of values: a difference would make the report wrong. */
function sameTraining(config: ResultsConfig, other: ReturnType<typeof describeTraining>): void {
  for (const [key, value] of Object.entries(other)) {
    if (config[key] !== value) throw new Error(`experiment: the adversarial model's ${key} is ${String(value)} but the report states ${String(config[key])}`);
  }
}

/** The robust models' recipe, or null without the robust preset. */
function robustRecipe(settings: ExperimentSettings, config: ResultsConfig): RobustRecipe | null {
  const r = settings.robust;
  if (r === null) return null;
  if (r.validationCount >= config.trainCount) {
    throw new RangeError(`experiment: ${r.validationCount} validation images leave no training images for the robust models (${config.trainCount} in all); use fewer`);
  }
  const epochs = Object.fromEntries(ROBUST_KEYS.filter((key) => r.epochs[key] > 0).map((key) => [key, r.epochs[key]]));
  return {
    optimizer: 'adam', lr: r.lr, batch: settings.batch, steps: r.steps, epsRamp: r.epsRamp, epochs, images: r.images,
    validationCount: r.validationCount, validationAttack: '', normalization: r.normalization, lrSchedule: r.lrSchedule,
  };
}

function startLine(settings: ExperimentSettings, config: ResultsConfig, recipe: RobustRecipe | null, data: ExperimentData): string {
  const { epochs } = config;
  const robust = recipe
    ? ` + ${ROBUST_KEYS.filter((key) => recipe.epochs[key]).map((key) => `${recipe.epochs[key]} ${ROBUST_PHASE[key]}`).join(', ')} epochs of ${Math.min(recipe.images, config.trainCount - recipe.validationCount)} images`
    : '';
  return (
    `advgrad reproduce${settings.preset === 'quick' ? ' (quick run)' : ''}: ${config.trainCount} training / ${data.test.labels.length} test images; ` +
    `${epochs.standard} standard + ${epochs.adversarial} adversarial epochs (schedule ${config.schedule})${robust}; ` +
    `ε = ${config.eps} (${(config.eps * PIXEL_RANGE).toFixed(2)} grey levels)${config.clip ? ', clipped' : ''}; seed ${config.seed}; workers ${settings.workers}`
  );
}

/** The run's files beside report.md, in the order they were always written. */
function writeFiles(results: Results, examples: ExampleRow[], context: ExperimentContext): void {
  const { output } = context;
  const r = results.robustness!;
  output.text(ROBUSTNESS_CHART, robustnessChartSvg(MODELS.filter((m) => r.models[m.key]).map((m) => ({ name: m.name, summary: r.models[m.key]! }))));
  const rt = results.robustTraining;
  if (rt) output.text(VALIDATION_CHART, validationChartSvg(robustRuns(rt), rt.recipe.validationAttack, rt.recipe.validationCount));
  output.png('examples.png', renderExamples(examples));
  output.text('results.json', `${JSON.stringify(results, null, 2)}\n`);
  output.text('report.md', renderReport(results));
}

/** The files a run writes beside report.md, for the summary line. */
export function runFiles(results: Results): string[] {
  const rt = results.robustTraining !== undefined;
  const robust = ROBUST_KEYS.filter((key) => results.robustTraining?.models[key]).map((key) => `${ROBUST_PHASE[key]}.ckpt`);
  return ['report.md', 'results.json', 'examples.png', ROBUSTNESS_CHART, ...(rt ? [VALIDATION_CHART] : []), 'standard.ckpt', 'adversarial.ckpt', ...robust, 'epochs.jsonl'];
}
