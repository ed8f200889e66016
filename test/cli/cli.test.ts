/**
 * The command line as a user meets it: a child process, its exit code, stdout and stderr.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint-file.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bad input: one clear line and a non-zero exit', () => {
  test('an unknown flag', () => {
    const r = cli('train', '--bogus');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^advgrad train: unknown flag --bogus \(known flags: .*--epochs/m);
  });
  test('--epochs -1', () => {
    const r = cli('train', '--epochs', '-1');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("advgrad train: --epochs must be a non-negative integer, got '-1'");
  });
  test('--limit-train abc', () => {
    const r = cli('train', '--limit-train', 'abc');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("advgrad train: --limit-train must be a positive integer, got 'abc'");
  });
  test('--eps 1.5 for attack, and a missing --checkpoint', () => {
    expect(cli('attack', '--eps', '1.5').stderr).toContain("--eps must be a comma-separated list of numbers in [0, 1], got '1.5' in '1.5'");
    const r = cli('attack');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('attack: --checkpoint FILE is required');
  });
  test('a missing data directory is named', () => {
    const r = cli('train', '--data-dir', '/nonexistent/mnist', '--out', mkdtempSync(join(tmpdir(), 'advgrad-cli-')));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('/nonexistent/mnist');
  });
  test('an output directory that cannot be written', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'advgrad-cli-')), 'a-file');
    writeFileSync(file, 'x');
    const r = cli('reproduce', '--out', file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`--out ${file}: exists and is not a directory`);
  });
  test('a checkpoint of an architecture no model is registered as', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'advgrad-cli-')), 'other.ckpt');
    const meanImage = new Tensor(new Float32Array(784), [1, 1, 28, 28]);
    saveCheckpoint(file, { architecture: 'resnet-50', params: [], meanImage, config: {}, metrics: null, epoch: 0, optimizer: null });
    const r = cli('eval', '--checkpoint', file, '--workers', '0');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`advgrad eval: --checkpoint ${file}: no model is registered as 'resnet-50' (known: lenet-mnist-matconvnet, lenet-relu-mnist)\n`);
  });
  test('a checkpoint with a flipped byte, and one that is not a checkpoint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'advgrad-cli-'));
    const r1 = cli('train', '--epochs', '1', '--limit-train', '100', '--limit-test', '100', '--workers', '0', '--out', dir, '--json');
    expect(r1.status).toBe(0);
    const bytes = readFileSync(join(dir, 'model.ckpt'));
    bytes[bytes.length - 100] ^= 0x10;
    writeFileSync(join(dir, 'bad.ckpt'), bytes);
    const r2 = cli('eval', '--checkpoint', join(dir, 'bad.ckpt'), '--workers', '0');
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/checksum mismatch/);
    writeFileSync(join(dir, 'text.ckpt'), 'hello, this is not a checkpoint at all, just some text');
    expect(cli('eval', '--checkpoint', join(dir, 'text.ckpt'), '--workers', '0').stderr).toMatch(/not an advgrad checkpoint/);
  });
  test('an unknown command', () => {
    const r = cli('fly');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("advgrad: unknown command 'fly'");
  });
});

describe('working commands', () => {
  test('--help on every command', () => {
    for (const command of ['train', 'eval', 'attack', 'audit', 'evaluate', 'reproduce']) {
      const r = cli(command, '--help');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: advgrad ${command} \\[flags\\] +\\(in a clone: npm run ${command} -- \\[flags\\]\\)`));
    }
  });

  test('reproduce on a small subset writes report.md, results.json, examples.png, both checkpoints and the epoch log', () => {
    const out = mkdtempSync(join(tmpdir(), 'advgrad-cli-'));
    const r = cli('reproduce', '--epochs', '1', '--limit-train', '300', '--limit-test', '200', '--robustness-count', '60', '--steps', '3', '--workers', '0', '--out', out, '--json');
    expect(r.status).toBe(0);
    const printed = JSON.parse(r.stdout);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(saved.standard.clean.accuracy).toBe(printed.standard.clean.accuracy);
    expect(saved.config).toMatchObject({ eps: 0.25, clip: false, schedule: 'batch', seed: 0, epochs: { standard: 1, adversarial: 1 } });
    for (const key of ['accuracy', 'error', 'confidence', 'confidenceCorrect', 'confidenceError', 'count']) expect(saved.adversarial.adversarial).toHaveProperty(key);
    expect(saved.standard.clean.count).toBe(200);
    expect(readdirSync(out).sort()).toEqual(['adversarial.ckpt', 'epochs.jsonl', 'examples.png', 'report.md', 'results.json', 'robustness-curves.svg', 'standard.ckpt']);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('0.9858'); // the paper's number beside ours
    expect(report).toContain('## How robust, really?');
    expect(report).toContain('![accuracy against ε for FGSM and PGD, every model](robustness-curves.svg)');
    expect(saved.robustness.count).toBe(60);
    expect(saved.robustness.models.adversarial.audit.checks.map((c: { id: number }) => c.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(saved.robustness.models.standard.accuracy.worstCase).toBeLessThanOrEqual(saved.robustness.models.standard.accuracy.pgd);
    // the default curve grid, with 0, --eps and 0.5 added
    expect(saved.robustness.models.standard.audit.curves.pgd.points.map((p: { eps: number }) => p.eps)).toEqual([0, 0.1, 0.2, 0.25, 0.3, 0.5]);
    expect(readFileSync(join(out, 'robustness-curves.svg'), 'utf8')).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^]*<\/svg>\n$/);
    expect(readFileSync(join(out, 'examples.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(readFileSync(join(out, 'epochs.jsonl'), 'utf8').trim().split('\n').length).toBe(2);
    expect(existsSync(join(out, 'results.json.tmp'))).toBe(false);

    // audit and attack on what reproduce wrote
    const audit = cli('audit', '--checkpoint', join(out, 'adversarial.ckpt'), '--surrogate', join(out, 'standard.ckpt'), '--limit-test', '40', '--steps', '2', '--epsilons', '0.1', '--workers', '0', '--json');
    expect(audit.status).toBe(0);
    const audited = JSON.parse(audit.stdout);
    expect(audited.count).toBe(40);
    expect(audited.checks.find((c: { id: number }) => c.id === 4).verdict).not.toBe('skipped');
    const curve = cli('attack', '--checkpoint', join(out, 'standard.ckpt'), '--attack', 'pgd', '--steps', '2', '--eps', '0,0.1', '--limit-test', '20', '--workers', '0');
    expect(curve.status).toBe(0);
    expect(curve.stdout).toMatch(/ε\s+grey levels\s+accuracy ± se\n\s+0\.000\s+0\.00\s+0\.\d{4} ± 0\.\d{4}\n\s+0\.100\s+25\.50/);

    // a surrogate of an architecture advgrad cannot build is refused, naming the file and the architecture
    const foreign = loadCheckpoint(join(out, 'standard.ckpt'));
    saveCheckpoint(join(out, 'foreign.ckpt'), { ...foreign, architecture: 'resnet-18' });
    const refused = cli('audit', '--checkpoint', join(out, 'adversarial.ckpt'), '--surrogate', join(out, 'foreign.ckpt'), '--workers', '0');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/--surrogate .*foreign\.ckpt: no model is registered as 'resnet-18' \(known: lenet-mnist-matconvnet, lenet-relu-mnist\)/);
  });
});

