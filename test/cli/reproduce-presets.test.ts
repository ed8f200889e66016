/**
 * `reproduce --preset robust-both`, `--preset robust` and `reproduce --seeds N` as a user meets them, on tiny subsets
 * (a child process; a few seconds each), and their bad input.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseFlags } from '../../src/cli/args.ts';
import { loadCheckpoint } from '../../src/io/checkpoint-file.ts';
import { REPRODUCE_FLAGS, reproduceSettings } from '../../src/cli/reproduce-command.ts';
import { formatSpread, spread } from '../../src/report/seeds.ts';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 600_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TINY = ['--epochs', '1', '--limit-train', '300', '--limit-test', '60', '--robustness-count', '16', '--steps', '2', '--workers', '0'];

describe('reproduce: bad input is exit 2, one line naming expected and got, before MNIST loads', () => {
  // A data folder that does not exist: reaching the loader would fail with another message and exit 1.
  const noData = ['--data-dir', join(tmpdir(), 'advgrad-no-such-mnist')];
  test.each([
    [['--seeds', '0'], "reproduce: --seeds must be a positive integer, got '0'"],
    [['--seeds', '1.5'], "reproduce: --seeds must be a positive integer, got '1.5'"],
    [['--preset', 'nope'], "reproduce: --preset must be one of default, seed, robust, robust-both, quick, got 'nope'"],
    [['--robust-epochs', '2'], 'reproduce: --robust-epochs shapes the robust models: it needs --preset robust or robust-both, got --preset default'],
    [['--preset', 'seed', '--val-count', '10'], 'reproduce: --val-count shapes the robust models: it needs --preset robust or robust-both, got --preset seed'],
  ])('%j', (args, message) => {
    const r = cli('reproduce', ...args, ...noData);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

const ROBUST_TINY = [...TINY, '--robust-epochs', '2', '--robust-images', '260', '--val-count', '40'];

describe('reproduce --preset robust-both and --preset robust on a tiny subset', () => {
  let out = '';
  test('robust-both adds the PGD-trained variant and seed LeNet: their rows, audits, validation curves, brackets and target verdicts judged on the worst case', () => {
    out = mkdtempSync(join(tmpdir(), 'advgrad-robust-'));
    const r = cli('reproduce', '--preset', 'robust-both', ...ROBUST_TINY, '--out', out);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const rt = saved.robustTraining;
    expect(rt.recipe).toMatchObject({ optimizer: 'adam', lr: 0.001, steps: 3, epsRamp: 1, epochs: { pgdRelu: 2, pgd: 2 }, images: 260, validationCount: 40, normalization: 'scalar', lrSchedule: 'cosine' });
    expect(Object.keys(rt.models)).toEqual(['pgdRelu', 'pgd']);
    expect(rt.models.pgdRelu.architecture).toBe('lenet-relu-mnist');
    expect(rt.models.pgd.architecture).toBeUndefined(); // the seed's LeNet, as in runs before the variant
    for (const key of ['pgdRelu', 'pgd'] as const) {
      expect(rt.models[key].validation.map((v: { epoch: number }) => v.epoch)).toEqual([1, 2]);
      // the model kept is the epoch of the best validation PGD figure
      const figures = rt.models[key].validation.map((v: { robust: number }) => v.robust);
      expect(figures[rt.models[key].bestEpoch - 1]).toBe(Math.max(...figures));
      expect(saved.robustness.models[key].audit.checks.map((c: { id: number }) => c.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(saved.robustness.models[key].count).toBe(16);
      // a robust-trained model's convergence check doubles the restarts once more than the default's
      expect(saved.robustness.models[key].audit.convergence.restarts.map((p: { budget: number }) => p.budget)).toEqual([1, 2, 4, 8]);
      // the black-box check ran: the standard model's examples, moved into the scalar centring
      expect(saved.robustness.surrogates[key]).toBe('standard');
      expect(saved.robustness.models[key].audit.accuracy.transfer).toEqual(expect.any(Number));
    }
    expect(saved.epochLog.map((e: { phase: string }) => e.phase)).toEqual(['standard', 'adversarial', 'pgd-relu', 'pgd-relu', 'pgd', 'pgd']);
    for (const file of ['pgd-relu.ckpt', 'pgd.ckpt']) {
      // the checkpoint records the centring, so evaluation, the playground and every attack prepare inputs as in training
      const saved = loadCheckpoint(join(out, file));
      expect(saved.normalization).toBe('scalar');
      expect(new Set(saved.meanImage!.data).size).toBe(1);
      expect(saved.config).toMatchObject({ epochs: 2, optimizer: 'adam', lr: 0.001, schedule: 'pgd', steps: 3, epsRamp: 1, lrSchedule: 'cosine', normalize: 'scalar' });
      expect(saved.config.momentum).toBeUndefined();
    }
    expect(existsSync(join(out, 'fgsm-rs.ckpt'))).toBe(false);
    const svg = readFileSync(join(out, 'validation-curves.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^]*<\/svg>\n$/);
    // the best epoch is picked by the test's own family: PGD with the test's steps (--steps 2), on the margin
    expect(rt.recipe.validationAttack).toBe('PGD-2 on the margin at ε = 0.25 (63.75 grey levels)');
    expect(svg).toContain('pgd-relu: PGD-2 on the margin at ε = 0.25');
    expect(svg).toContain('pgd: PGD-2 on the margin at ε = 0.25');

    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('|  | standard | adversarially trained (FGSM) | PGD-trained LeNet-ReLU | PGD-trained LeNet |');
    const pgd = saved.robustness.models.pgd.accuracy;
    const relu = saved.robustness.models.pgdRelu.accuracy;
    expect(report).toMatch(new RegExp(`\\| PGD-2, unclipped \\(as the paper\\) \\| .* \\| ${relu.pgd.toFixed(4)} ± \\d\\.\\d{4} \\| ${pgd.pgd.toFixed(4)} ± \\d\\.\\d{4} \\|$`, 'm'));
    expect(report).toContain('the standard model for PGD-trained LeNet-ReLU');
    expect(report).toContain('![validation accuracy per epoch, pgd-relu, pgd](validation-curves.svg)');
    expect(report).toContain('| inputs | one number, the mean grey level of the training images, subtracted from every pixel |');
    // PGD-2 is not the target's attack: the verdicts must not claim the target, whatever the figures
    expect(report.match(/\*\*The target is not met\.\*\*/g)).toHaveLength(2);
    // the verdicts and the robust section judge the worst case of every attack, not PGD alone
    expect(report).toContain("Target of the PGD-trained LeNet-ReLU model: the worst case over every attack (PGD-40 suite, APGD-CE, APGD-T, Square and the audit's attacks; an upper bound) ≥ 0.85");
    expect(report).toContain("Target of the PGD-trained LeNet model: the worst case over every attack (PGD-40 suite, APGD-CE, APGD-T, Square and the audit's attacks; an upper bound) ≥ 0.42");
    expect(report).toContain(`worst case of the PGD-2 suite, APGD-CE, APGD-T, Square and the audit's attacks (upper bound) ${pgd.upperBound.toFixed(4)} ±`);
    expect(report).toContain("; APGD-CE and Square are the audit's own runs of them (checks 9 and 10), reused, and the upper bound counts every attack the audit made at ε too.");
    expect(report).toContain('## Robust training (`--preset robust-both`)');
    expect(saved.robustness.models.standard.audit.convergence.restarts.map((p: { budget: number }) => p.budget)).toEqual([1, 2, 4]);
    for (const key of ['standard', 'adversarial', 'pgdRelu', 'pgd'] as const) {
      const a = saved.robustness.models[key].accuracy;
      expect(a.certified).toBeLessThanOrEqual(a.upperBound);
      expect(a.upperBound).toBeLessThanOrEqual(Math.min(a.worstCase, a.pgd, a.fgsm));
      expect(saved.robustness.models[key].bracket.contradictions).toBe(0);
      // the audit's attacks count in the upper bound, and its APGD-CE and Square stood in for the evaluation's
      expect(a.upperBound).toBeLessThanOrEqual(saved.robustness.models[key].audit.accuracy.worstCase);
      expect(saved.robustness.models[key].bracket.evaluation.reused).toEqual([true, false, true]);
    }
    expect(report).toMatch(/The bracket of each on the first 16 test images at ε = 0\.25[^]*\| certified by CROWN \(lower bound\) \|/);
    expect(report).toContain('a fall below 0.5 × the best so far (a relative drop of 50%) stops the run');
    expect(report).toContain("PGD-2 on the margin at ε = 0.25 (63.75 grey levels), an attack of the test's own family and no weaker");
    expect(r.stdout).toContain('audit of the PGD-trained LeNet-ReLU model (surrogate: standard)');

    // The preset's variant is `advgrad train`'s model of the same recipe: the same loss, epoch by epoch, to the last bit.
    const trained = mkdtempSync(join(tmpdir(), 'advgrad-robust-train-'));
    const t = cli(
      'train', '--arch', 'lenet-relu', '--normalize', 'scalar', '--lr-schedule', 'cosine', '--schedule', 'pgd', '--steps', '3', '--optimizer', 'adam', '--lr', '0.001',
      '--eps-ramp', '1', '--epochs', '2', '--limit-train', '300', '--limit-test', '60', '--val-count', '40', '--workers', '0', '--out', trained,
    );
    expect(t.status, t.stderr.slice(-2000)).toBe(0);
    const lossesOf = (file: string, phase: string): number[] =>
      readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((e) => e.phase === phase).map((e) => e.loss);
    const preset = lossesOf(join(out, 'epochs.jsonl'), 'pgd-relu');
    expect(preset).toHaveLength(2);
    expect(lossesOf(join(trained, 'epochs.jsonl'), 'adversarial (pgd)')).toEqual(preset);
  }, 600_000);

  test("robust trains the variant alone, and every figure of it equals robust-both's variant (the seed's LeNet changes nothing of it)", () => {
    const alone = mkdtempSync(join(tmpdir(), 'advgrad-robust-alone-'));
    const r = cli('reproduce', '--preset', 'robust', ...ROBUST_TINY, '--out', alone);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const [one, both] = [alone, out].map((dir) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')));
    expect(Object.keys(one.robustTraining.models)).toEqual(['pgdRelu']);
    expect(one.robustTraining.recipe.epochs).toEqual({ pgdRelu: 2 }); // only the networks trained
    expect(Object.keys(one.robustness.models)).toEqual(['standard', 'adversarial', 'pgdRelu']);
    expect(existsSync(join(alone, 'pgd.ckpt'))).toBe(false);
    expect(one.robustTraining.models.pgdRelu.validation).toEqual(both.robustTraining.models.pgdRelu.validation);
    const { seconds: _a, ...oneBracket } = one.robustness.models.pgdRelu.bracket.evaluation;
    const { seconds: _b, ...bothBracket } = both.robustness.models.pgdRelu.bracket.evaluation;
    expect(oneBracket).toEqual(bothBracket);
    expect(one.robustness.models.pgdRelu.accuracy).toEqual(both.robustness.models.pgdRelu.accuracy);
    expect(one.robustness.models.pgdRelu.audit.checks).toEqual(both.robustness.models.pgdRelu.audit.checks);
    const weights = (dir: string) => loadCheckpoint(join(dir, 'pgd-relu.ckpt')).params.map(([name, p]) => [name, Array.from(p.data)]);
    expect(weights(alone)).toEqual(weights(out));
    const report = readFileSync(join(alone, 'report.md'), 'utf8');
    expect(report).toContain('|  | standard | adversarially trained (FGSM) | PGD-trained LeNet-ReLU |\n');
    expect(report).toContain('## Robust training (`--preset robust`)');
  }, 600_000);
});

describe('reproduce --preset quick', () => {
  test('resolves to its subset and budget; a flag overrides it; a robust-only flag is refused', () => {
    const settings = (...args: string[]) => reproduceSettings(parseFlags('reproduce', args, REPRODUCE_FLAGS).values);
    const quick = settings('--preset', 'quick');
    expect(quick).toMatchObject({ preset: 'quick', limitTrain: 6000, limitTest: 1000, epochs: { standard: 2, adversarial: 2 }, eps: 0.25, schedule: 'batch', robust: null });
    expect(quick.robustness).toEqual({ count: 100, steps: 10, epsilons: [0.1, 0.3] });
    expect(settings('--preset', 'quick', '--limit-train', '9000', '--steps', '20')).toMatchObject({ limitTrain: 9000, robustness: { steps: 20 } });
    expect(settings()).toMatchObject({ preset: 'default', limitTrain: undefined, epochs: { standard: 3, adversarial: 3 }, robustness: { count: 1000, steps: 40 } });
    expect(() => settings('--preset', 'quick', '--eps-ramp', '1')).toThrow('reproduce: --eps-ramp shapes the robust models: it needs --preset robust or robust-both, got --preset quick');
  });

  test('on a tiny subset: the same report layout, labelled as a quick run in report.md and on stdout', () => {
    const out = mkdtempSync(join(tmpdir(), 'advgrad-quick-'));
    const r = cli('reproduce', '--preset', 'quick', ...TINY, '--out', out);
    expect(r.status).toBe(0);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(saved.config).toMatchObject({ preset: 'quick', trainCount: 300, testCount: 60 });
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report.split('\n')[0]).toBe('# Adversarial examples and adversarial training on MNIST: reproduction report (quick run)');
    for (const heading of ['## Configuration', '### Standard training', '### Adversarial training', '## How robust, really?', '## Timing', '## Per-epoch log', '## Examples']) expect(report).toContain(heading);
    expect(report).toContain('This is a quick run (`--preset quick`): 300 training and 60 test images');
    // the standard evaluation's budget scales with the PGD steps (here 2): APGD 5 steps, Square 50 queries
    expect(report).toContain('APGD-CE 5 steps, APGD-T 5 steps towards the top 3 other classes, Square 50 queries');
    expect(saved.robustness.models.adversarial.bracket.evaluation.suite.map((x: { attack: string }) => x.attack)).toEqual(['apgd', 'apgd', 'square']);
    expect(r.stdout).toContain('certified (lower bound)');
    expect(r.stdout.split('\n')[0]).toMatch(/^This is a quick run/);
    expect(r.stderr).toContain('advgrad reproduce (quick run)');
  });
});

describe('reproduce --seeds 2 on a tiny subset', () => {
  test('every cell is the mean ± sample sd of the per-seed results.json values, in results.json, report.md and stdout', () => {
    const out = mkdtempSync(join(tmpdir(), 'advgrad-seeds-'));
    const r = cli('reproduce', '--seeds', '2', '--seed', '5', ...TINY, '--out', out);
    expect(r.status).toBe(0);
    const top = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(top.seeds).toEqual([5, 6]);
    expect(top.runs).toEqual(['seed-5', 'seed-6']);
    const runs = top.runs.map((f: string) => JSON.parse(readFileSync(join(out, f, 'results.json'), 'utf8')));
    expect(runs.map((x: { config: { seed: number } }) => x.config.seed)).toEqual([5, 6]);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    const meanSd = (values: number[]) => {
      const mean = (values[0] + values[1]) / 2;
      return { mean, sd: Math.abs(values[0] - values[1]) / Math.SQRT2 }; // sample sd of two values
    };
    const cells: Array<[number[], { mean: number; sd: number }]> = [];
    for (const model of ['standard', 'adversarial'] as const) {
      for (const column of ['clean', 'adversarial'] as const) {
        for (const field of ['accuracy', 'error', 'confidence']) {
          cells.push([runs.map((x: any) => x[model][column][field]), top.spread[model][column][field]]);
        }
      }
    }
    for (const model of ['standard', 'adversarial'] as const) {
      for (const field of ['clean', 'certified', 'upperBound', 'fgsm', 'pgd', 'pgdClipped', 'worstCase']) {
        cells.push([runs.map((x: any) => x.robustness.models[model].accuracy[field]), top.spread.robustness.models[model][field]]);
      }
    }
    for (const [values, saved] of cells) {
      const expected = meanSd(values);
      expect(saved.mean).toBeCloseTo(expected.mean, 12);
      expect(saved.sd).toBeCloseTo(expected.sd, 12);
      const text = `${expected.mean.toFixed(4)} ± ${expected.sd.toFixed(4)}`;
      expect(report).toContain(text);
      expect(r.stdout).toContain(text);
    }
    // beside the paper's value: the standard model's clean accuracy row carries the paper's 0.9858
    const acc = meanSd(runs.map((x: any) => x.standard.clean.accuracy));
    expect(report).toContain(`| correctly predicted | ${acc.mean.toFixed(4)} ± ${acc.sd.toFixed(4)} | 0.9858 |`);
    for (const f of top.runs) expect(existsSync(join(out, f, 'standard.ckpt'))).toBe(true);
  });
});

describe('spread', () => {
  test('mean and sample standard deviation; NaN without a spread or with a missing value', () => {
    const s = spread([1, 2, 4]);
    expect(s.mean).toBeCloseTo(7 / 3, 14);
    expect(s.sd).toBeCloseTo(Math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2), 14);
    expect(spread([0.5]).sd).toBeNaN();
    expect(spread([0.5, NaN]).mean).toBeNaN();
    expect(formatSpread(spread([0.5, NaN]))).toBe('n/a');
  });
});
