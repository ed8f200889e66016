/**
 * `train` with the recipe levers (--arch, --normalize, --lr-schedule, --ema, --schedule trades,
 * --beta), as a user meets them: bad input is one clear line and exit 2; a short run with all of
 * them writes checkpoints that name the network and the normalisation, and record the levers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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
