/**
 * The first two phases of the experiment: a LeNet trained normally ('standard') or adversarially
 * on FGSM examples ('adversarial'), from the same initialisation, then evaluated on the clean test
 * images and on their FGSM examples; its checkpoint and its rows of examples.png.
 *
 * The optimiser and the initialisation are made here and nowhere else; describeTraining reads
 * what the report states about them from the objects themselves, so the report cannot state a
 * value that did not run.
 */
import type { FgsmOptions } from '../attacks/fgsm.ts';
import { checkpointFromModel } from '../io/checkpoint.ts';
import type { Init } from '../layers/init.ts';
import { createLeNet, type LeNet } from '../models/lenet.ts';
import type { ExampleRow } from '../report/examples.ts';
import type { MetricsPair, ResultsConfig } from '../report/results.ts';
import { evaluate } from '../train/evaluate.ts';
import { SGD } from '../train/sgd.ts';
import { train, type AdversarialTraining } from '../train/train.ts';
import type { ExperimentContext } from './context.ts';
import { exampleRows } from './examples.ts';

/** The paper's initialisation: weights f·N(0, 1) with f = 0.01, biases 0 (MatConvNet's). */
export const INIT: { kind: 'matconvnet'; scale: number } = { kind: 'matconvnet', scale: 0.01 };

/** A LeNet of the experiment and its optimiser (SGD with its own defaults, the paper's recipe). */
export function experimentModel(seed: number): { model: LeNet; optimizer: SGD } {
  const model = createLeNet({ seed, init: INIT }); // the same initialisation for every model of a run
  return { model, optimizer: new SGD(model.parameters()) };
}

/** What the report states about the training: read from the optimiser and the initialisation used. */
export function describeTraining(optimizer: SGD, init: typeof INIT, batch: number): Pick<ResultsConfig, 'batch' | 'lr' | 'momentum' | 'weightDecay' | 'init'> {
  return { batch, lr: optimizer.lr, momentum: optimizer.momentum, weightDecay: optimizer.weightDecay, init: `f·N(0,1), f = ${init.scale}` };
}

export interface TrainingPhaseResult {
  model: LeNet;
  metrics: MetricsPair;
  seconds: number;
  examples: ExampleRow[];
}

/**
 * Trains `model` with `optimizer` for `epochs`, adversarially when `adversarial` is given, logs
 * every epoch, evaluates it clean and under `attack`, and saves `<name>.ckpt`.
 */
export async function trainingPhase(
  name: 'standard' | 'adversarial',
  run: { model: LeNet; optimizer: SGD },
  options: { epochs: number; seed: number; batch: number; workers: number; attack: FgsmOptions; adversarial?: AdversarialTraining; config: ResultsConfig },
  context: ExperimentContext,
): Promise<TrainingPhaseResult> {
  const { model, optimizer } = run;
  const { data, progress, output } = context;
  const engine = await context.openEngine(model, options.workers);
  const t0 = performance.now();
  try {
    await train(model, data.train, {
      optimizer, epochs: options.epochs, seed: options.seed, batchSize: options.batch, adversarial: options.adversarial, engine, signal: context.signal,
      onBatch: (info) => progress.batch(name, options.epochs, info),
      onEpoch: (info) => {
        progress.epoch(name, options.epochs, info);
        output.epoch({ phase: name, ...info });
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    progress.note(`${name}: evaluating on ${data.test.labels.length} clean test images and their FGSM examples…`);
    const clean = await evaluate(model, data.test.images, data.test.labels, { engine });
    const adversarial = await evaluate(model, data.test.images, data.test.labels, { engine, attack: options.attack });
    const metrics = { clean, adversarial };
    output.checkpoint(`${name}.ckpt`, checkpointFromModel(model, { meanImage: data.mean, config: { ...options.config, phase: name }, epoch: options.epochs, optimizer, metrics }));
    const title = name === 'standard' ? 'standard model, FGSM' : 'adversarially trained, FGSM';
    const examples = await exampleRows(title, engine, data, { attack: 'fgsm', ...options.attack });
    return { model, metrics, seconds, examples };
  } finally {
    await engine.close();
  }
}
