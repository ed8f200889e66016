/**
 * The experiment in-process on a tiny MNIST subset (this thread, no worker): every configuration
 * value that results.json and report.md state is the value of the object that ran, the files it
 * hands its sink are the results it returns, and its settings resolve against the presets.
 */
import { describe, expect, test } from 'vitest';
import { PRESETS, resolveSettings, type SettingsRequest } from '../../src/experiment/config.ts';
import type { ExperimentContext } from '../../src/experiment/context.ts';
import { prepareData } from '../../src/experiment/data.ts';
import { runExperiment } from '../../src/experiment/run.ts';
import { describeTraining, experimentModel, INIT } from '../../src/experiment/training-phase.ts';
import type { CheckpointContents } from '../../src/io/checkpoint.ts';
import { formatValue } from '../../src/report/format.ts';
import { loadMnist } from '../../src/io/mnist.ts';
import { createLeNet } from '../../src/models/lenet.ts';
import { InProcessEngine } from '../../src/train/engine.ts';
import { SGD } from '../../src/train/sgd.ts';

const REQUEST: SettingsRequest = { preset: 'default', seed: 3, seeds: 1, eps: 0.25, clip: false, schedule: 'batch', workers: 0 };

describe('describeTraining reads the optimiser it is given', () => {
  test('another η, μ and λ are stated as they are, not as the defaults', () => {
    const model = createLeNet({ seed: 0 });
    const stated = describeTraining(new SGD(model.parameters(), { lr: 0.05, momentum: 0.5, weightDecay: 0 }), { kind: 'matconvnet', scale: 0.02 }, 64);
    expect(stated).toEqual({ batch: 64, lr: 0.05, momentum: 0.5, weightDecay: 0, init: 'f·N(0,1), f = 0.02' });
    const { optimizer } = experimentModel(0);
    expect(describeTraining(optimizer, INIT, 100)).toEqual({ batch: 100, lr: optimizer.lr, momentum: optimizer.momentum, weightDecay: optimizer.weightDecay, init: 'f·N(0,1), f = 0.01' });
  });
});

describe('runExperiment on 200 training and 40 test images, 1 + 1 epochs', async () => {
  const settings = resolveSettings({ ...REQUEST, epochs: 1, robustnessCount: 8, steps: 2, curveEps: [0.3] });
  const data = prepareData(loadMnist(), { train: 200, test: 40 });
  const files = new Map<string, string>();
  const checkpoints = new Map<string, CheckpointContents>();
  const log: object[] = [];
  const context: ExperimentContext = {
    data,
    openEngine: async (model) => new InProcessEngine(model),
    progress: { note: () => {}, batch: () => {}, epoch: () => {}, task: () => {} },
    output: {
      startEpochLog: () => log.splice(0),
      epoch: (entry) => log.push(entry),
      checkpoint: (name, contents) => checkpoints.set(name, contents),
      text: (name, text) => files.set(name, text),
      png: (name, image) => files.set(name, `${image.width}×${image.height}`),
    },
  };
  const results = await runExperiment(settings, 3, context);

  test('the optimiser values stated in results.json and report.md are those each checkpoint recorded from its SGD', () => {
    const report = files.get('report.md')!;
    // 200 images: 2 steps of 100, and 4 adversarial steps of 50 clean images and their FGSM examples
    for (const [name, steps] of [['standard.ckpt', 2], ['adversarial.ckpt', 4]] as const) {
      const sgd = checkpoints.get(name)!.optimizer!;
      expect(sgd.steps).toBe(steps); // the optimiser recorded is the one that ran
      expect([results.config.lr, results.config.momentum, results.config.weightDecay]).toEqual([sgd.lr, sgd.momentum, sgd.weightDecay]);
    }
    // the report's configuration table shows them with 4 decimals
    expect(report).toContain(`| lr | ${formatValue(results.config.lr!)} |`);
    expect(report).toContain(`| momentum | ${formatValue(results.config.momentum!)} |`);
    expect(report).toContain(`| weightDecay | ${formatValue(results.config.weightDecay!)} |`);
    expect(report).toContain('| batch | 100 |');
  });

  test('the attack and the data stated are those that ran', () => {
    expect(results.config).toMatchObject({ eps: 0.25, epsGreyLevels: 63.75, clip: false, seed: 3, trainCount: 200, testCount: 40, epochs: { standard: 1, adversarial: 1 }, preset: 'default' });
    expect(results.standard.adversarial.count).toBe(40);
    expect(results.robustness!.count).toBe(8);
    for (const key of ['standard', 'adversarial'] as const) {
      expect(results.robustness!.models[key].steps).toBe(2);
      expect(results.robustness!.models[key].eps).toBe(0.25);
    }
  });

  test('the bracket of every model: CROWN certified ≤ worst case of every attack ≤ the PGD suite alone ≤ PGD, on the same images, at the budget scaled from the PGD steps', () => {
    for (const key of ['standard', 'adversarial'] as const) {
      const m = results.robustness!.models[key];
      const b = m.bracket!;
      expect(b.count).toBe(m.count);
      expect(b.certified.count).toBe(m.count);
      expect(b.eps).toBe(0.25);
      const { certified, upperBound, worstCase, pgd, fgsm, clean } = m.accuracy;
      expect(certified).toBe(b.certified.accuracy);
      expect(upperBound).toBe(b.upper);
      for (const [low, high] of [[certified!, upperBound!], [upperBound!, worstCase], [worstCase, pgd], [worstCase, fgsm], [upperBound!, clean]]) expect(low).toBeLessThanOrEqual(high);
      expect(b.contradictions).toBe(0);
      // PGD-2: APGD 5 steps, 3 targets, Square 50 queries, each after the PGD suite
      expect(b.evaluation.suite.map((x) => [x.attack, 'steps' in x ? x.steps : undefined, 'targets' in x ? x.targets : undefined, 'queries' in x ? x.queries : undefined])).toEqual([
        ['apgd', 5, undefined, undefined], ['apgd', 5, 3, undefined], ['square', undefined, undefined, 50],
      ]);
      // the chain continues the suite: the first APGD step starts from the suite's survivors
      const fooledAfterSuite = b.evaluation.steps.reduce((a, st) => a + st.fooled, 0);
      expect(Math.round(m.count * (worstCase - upperBound!))).toBe(fooledAfterSuite);
    }
  });

  test('results.json is what it returns; the log holds one line per epoch; every file is handed over', () => {
    expect(JSON.parse(files.get('results.json')!)).toEqual(JSON.parse(JSON.stringify(results)));
    expect(log.map((e) => (e as { phase: string }).phase)).toEqual(['standard', 'adversarial']);
    expect(results.epochLog).toEqual(log);
    expect([...files.keys()].sort()).toEqual(['examples.png', 'report.md', 'results.json', 'robustness-curves.svg']);
    expect([...checkpoints.keys()]).toEqual(['standard.ckpt', 'adversarial.ckpt']);
  });
});

describe('resolveSettings', () => {
  test('the quick preset: 6,000 training and 1,000 test images, 2 + 2 epochs, robustness on 100 at PGD-10', () => {
    const s = resolveSettings({ ...REQUEST, preset: 'quick' });
    expect(s).toMatchObject({ preset: 'quick', limitTrain: 6000, limitTest: 1000, epochs: { standard: 2, adversarial: 2 }, robust: null, batch: 100 });
    expect(s.robustness).toEqual({ count: 100, steps: 10, epsilons: [0.1, 0.3] });
  });

  test('the default preset is the experiment of docs/results/default: all images, 3 + 3 epochs, PGD-40 on 1,000', () => {
    const s = resolveSettings(REQUEST);
    expect(s).toMatchObject({ limitTrain: undefined, limitTest: undefined, epochs: { standard: 3, adversarial: 3 }, robust: null });
    expect(s.robustness).toEqual({ count: 1000, steps: 40, epsilons: [0.1, 0.2, 0.3, 0.5] });
    expect(resolveSettings({ ...REQUEST, preset: 'seed' }).epochs).toEqual({ standard: 30, adversarial: 30 });
  });

  test('a value given overrides the preset; a robust-only value without a robust preset is refused', () => {
    const s = resolveSettings({ ...REQUEST, preset: 'quick', limitTrain: 300, epochs: 1, adversarialEpochs: 4, steps: 3 });
    expect(s).toMatchObject({ limitTrain: 300, limitTest: 1000, epochs: { standard: 1, adversarial: 4 } });
    expect(s.robustness.steps).toBe(3);
    expect(() => resolveSettings({ ...REQUEST, robustEpochs: 2 })).toThrow("robustEpochs shapes the robust models: it needs the robust preset, got 'default'");
    const robust = resolveSettings({ ...REQUEST, preset: 'robust', valCount: 40 });
    expect(robust.robust).toMatchObject({ lr: PRESETS.robust.robust!.lr, validationCount: 40, steps: 3, epochs: { pgdRelu: 4, pgd: 0, fgsmRs: 0 }, normalization: 'scalar', lrSchedule: 'cosine' });
    // robust trains the variant alone; robust-both adds the seed's LeNet by the same recipe; --robust-epochs sets only what the preset trains
    expect(resolveSettings({ ...REQUEST, preset: 'robust', robustEpochs: 2 }).robust!.epochs).toEqual({ pgdRelu: 2, pgd: 0, fgsmRs: 0 });
    expect(resolveSettings({ ...REQUEST, preset: 'robust', lenetEpochs: 3 }).robust!.epochs).toEqual({ pgdRelu: 4, pgd: 3, fgsmRs: 0 });
    const both = resolveSettings({ ...REQUEST, preset: 'robust-both' }).robust!;
    expect(both).toEqual({ ...robust.robust, validationCount: 1000, epochs: { pgdRelu: 4, pgd: 4, fgsmRs: 0 } });
    expect(resolveSettings({ ...REQUEST, preset: 'robust-both', robustEpochs: 2 }).robust!.epochs).toEqual({ pgdRelu: 2, pgd: 2, fgsmRs: 0 });
  });
});
