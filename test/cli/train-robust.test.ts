/**
 * `train` with the robust-training flags, as a user meets it: bad input is one clear line and
 * exit 2; a diverging run exits 1 naming the epoch and step and leaves the last checkpoint loadable;
 * a short 'pgd' run validates every epoch and keeps best.ckpt; a short run with every recipe lever
 * (--arch, --normalize, --lr-schedule, --ema, --schedule trades, --beta) writes checkpoints that
 * name the network and the normalisation and record the levers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isScalarMean } from '../../src/data/dataset.ts';
import { loadCheckpoint } from '../../src/io/checkpoint-file.ts';
import { LENET_RELU_ARCHITECTURE } from '../../src/models/lenet-relu.ts';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bad input: one clear line and exit 2', () => {
  test.each([
    [['--eps-ramp', '-1'], "advgrad train: --eps-ramp must be a non-negative integer, got '-1'"],
    [['--adv-ratio', '1.5'], "advgrad train: --adv-ratio must be a number in [0, 1], got '1.5'"],
    [['--schedule', 'pgd', '--steps', '0'], "advgrad train: --steps must be a positive integer, got '0'"],
    [['--schedule', 'madry'], "advgrad train: --schedule must be one of batch, epoch, pgd, fgsm-rs, trades, got 'madry'"],
    [['--train-label', 'guess'], "advgrad train: --train-label must be one of true, predicted, got 'guess'"],
    [['--optimizer', 'rmsprop'], "advgrad train: --optimizer must be one of sgd, adam, got 'rmsprop'"],
    [['--schedule', 'batch', '--steps', '3', '--limit-train', '10'], 'advgrad train: --steps applies to --schedule pgd and trades only, not batch'],
    [['--adv-ratio', '1', '--limit-train', '10'], 'advgrad train: --adv-ratio applies to adversarial training only (--adversarial or --schedule)'],
    [['--schedule', 'epoch', '--eps-ramp', '2', '--limit-train', '10'], 'advgrad train: --eps-ramp needs examples made every batch; --schedule epoch makes them once per epoch'],
    [['--schedule', 'pgd', '--limit-train', '500'], 'advgrad train: --val-count 1000 leaves no training images (500 in all); use fewer'],
  ])('train %j', (args, message) => {
    const r = cli('train', ...args, '--out', mkdtempSync(join(tmpdir(), 'advgrad-robust-')));
    expect(r.stderr.trim()).toBe(message);
    expect(r.status).toBe(2);
  });
});

test('a diverging run (--lr 1000) exits 1 at its first NaN, naming epoch and step; the last checkpoint stays loadable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'advgrad-diverge-'));
  const common = ['--limit-train', '300', '--limit-test', '100', '--batch', '50', '--workers', '0', '--out', dir];
  expect(cli('train', '--epochs', '1', ...common).status).toBe(0);
  const before = readFileSync(join(dir, 'model.ckpt'));
  const r = cli('train', '--epochs', '2', '--resume', join(dir, 'model.ckpt'), '--lr', '1000', ...common);
  expect(r.stderr).toMatch(/advgrad train: training diverged: the loss became (NaN|-?Infinity) at epoch 2, step \d of 6\. Try a lower learning rate \(now 1000\)/);
  expect(r.status).toBe(1);
  expect(readFileSync(join(dir, 'model.ckpt')).equals(before)).toBe(true);
  expect(loadCheckpoint(join(dir, 'model.ckpt')).epoch).toBe(1);
});

test("a short 'pgd' run: validation every epoch in the log, the best epoch in best.ckpt", () => {
  const dir = mkdtempSync(join(tmpdir(), 'advgrad-pgd-'));
  const r = cli('train', '--schedule', 'pgd', '--steps', '2', '--eps-ramp', '1', '--optimizer', 'adam', '--epochs', '2', '--limit-train', '260', '--val-count', '60',
    '--limit-test', '100', '--workers', '2', '--out', dir, '--json');
  expect(r.status).toBe(0);
  const summary = JSON.parse(r.stdout);
  expect(summary.config).toMatchObject({ schedule: 'pgd', steps: 2, epsRamp: 1, advRatio: 1, optimizer: 'adam', trainLabel: 'true', trainCount: 200, validationCount: 60 });
  const log = readFileSync(join(dir, 'epochs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(log.map((e) => e.epoch)).toEqual([1, 2]);
  for (const e of log) expect(e.validation).toMatchObject({ count: 60 });
  expect(summary.checkpoint).toBe(join(dir, 'best.ckpt'));
  const best = loadCheckpoint(join(dir, 'best.ckpt'));
  expect(best.epoch).toBe(summary.bestEpoch);
  expect(r.stderr).toMatch(/validation \(60 images\): clean [\d.]+, PGD-10 at ε = 0\.25/);
});

describe('the recipe levers (--arch, --normalize, --lr-schedule, --ema, --schedule trades, --beta): bad input is one clear line and exit 2', () => {
  test.each([
    [['--arch', 'resnet'], "advgrad train: --arch must be one of lenet, lenet-relu, got 'resnet'"],
    [['--normalize', 'pixel'], "advgrad train: --normalize must be one of image, scalar, got 'pixel'"],
    [['--lr-schedule', 'step'], "advgrad train: --lr-schedule must be one of constant, cosine, one-cycle, got 'step'"],
    [['--ema', '1', '--limit-train', '10'], 'advgrad train: --ema must be a decay in (0, 1), e.g. 0.999, got 1'],
    [['--beta', '3', '--limit-train', '10'], 'advgrad train: --beta applies to adversarial training only (--adversarial or --schedule)'],
    [['--schedule', 'pgd', '--beta', '3', '--limit-train', '10'], 'advgrad train: --beta applies to --schedule trades only, not pgd'],
    [['--schedule', 'trades', '--adv-ratio', '0.5', '--limit-train', '10'], 'advgrad train: --adv-ratio does not apply to --schedule trades, whose loss is CE(x) + β·KL (set --beta)'],
  ])('train %j', (args, message) => {
    const r = cli('train', ...args, '--out', mkdtempSync(join(tmpdir(), 'advgrad-levers-')));
    expect(r.stderr.trim()).toBe(message);
    expect(r.status).toBe(2);
  });
});

test('a short run with every lever: the checkpoints name lenet-relu and the scalar mean and record the levers; --resume refuses another --arch, --normalize or --ema', () => {
  const dir = mkdtempSync(join(tmpdir(), 'advgrad-levers-'));
  const common = ['--limit-train', '160', '--limit-test', '50', '--batch', '40', '--workers', '2'];
  const r = cli('train', '--arch', 'lenet-relu', '--normalize', 'scalar', '--schedule', 'trades', '--steps', '2', '--beta', '3', '--lr-schedule', 'cosine',
    '--ema', '0.9', '--optimizer', 'sgd', '--epochs', '1', '--val-count', '40', ...common, '--out', dir, '--json');
  expect(r.stderr).toContain('advgrad train: lenet-relu, scalar mean, cosine lr, EMA 0.9, 120 training images');
  expect(r.status).toBe(0);
  const summary = JSON.parse(r.stdout);
  expect(summary.config).toMatchObject({ schedule: 'trades', steps: 2, beta: 3, normalize: 'scalar', lrSchedule: 'cosine', ema: 0.9, lr: 0.001 });
  for (const name of ['model.ckpt', 'best.ckpt']) {
    const c = loadCheckpoint(join(dir, name));
    expect([c.architecture, c.normalization, isScalarMean(c.meanImage!)]).toEqual([LENET_RELU_ARCHITECTURE, 'scalar', true]);
  }
  expect(loadCheckpoint(join(dir, 'model.ckpt')).optimizer?.lr).toBe(0.001); // the base rate, not the last step's
  const resume = ['--resume', join(dir, 'model.ckpt'), '--epochs', '2', ...common, '--out', dir];
  expect(cli('train', ...resume, '--normalize', 'scalar').stderr.trim()).toBe(`advgrad train: --resume: the checkpoint is a '${LENET_RELU_ARCHITECTURE}' but --arch lenet is 'lenet-mnist-matconvnet'`);
  expect(cli('train', ...resume, '--arch', 'lenet-relu').stderr.trim()).toBe("advgrad train: --resume: the checkpoint's inputs were centred by --normalize scalar, not image");
  // the checkpoint was trained with --ema: it holds the average, so it cannot resume, with --ema or without
  expect(cli('train', ...resume, '--arch', 'lenet-relu', '--normalize', 'scalar').stderr.trim()).toBe(
    'advgrad train: --resume: weight averaging (--ema) cannot continue a run exactly (checkpoints hold the average, not the raw weights)',
  );
});
