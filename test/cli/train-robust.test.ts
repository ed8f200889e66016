/**
 * `train` with the robust-training flags, as a user meets it: bad input is one clear line and
 * exit 2; a diverging run exits 1 naming the epoch and step and leaves the last checkpoint loadable;
 * a short 'pgd' run validates every epoch and keeps best.ckpt.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadCheckpoint } from '../../src/io/checkpoint-file.ts';

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
