/**
 * `advgrad evaluate` as a user meets it: a child process on a shipped checkpoint with a tiny
 * budget; its JSON has the clean accuracy, three attacks and the worst case marked as an upper
 * bound; the text says so; a bad budget is one clear line and exit code 2.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');
const CHECKPOINT = join(import.meta.dirname, '../../web/models/standard.ckpt');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('advgrad evaluate', () => {
  const tiny = ['--checkpoint', CHECKPOINT, '--limit-test', '12', '--steps', '5', '--queries', '20', '--targets', '2', '--eps', '0.1', '--workers', '0'];

  test('--json: clean, APGD-CE, APGD-T, Square, the worst case as an upper bound', () => {
    const r = cli('evaluate', ...tiny, '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.bound).toBe('upper');
    expect(out.count).toBe(12);
    expect(out.steps.map((s: { attack: string }) => s.attack)).toEqual(['APGD-CE (5 steps)', 'APGD-T (5 steps, 2 target classes)', 'Square (20 queries)']);
    expect(out.accuracy).toBe(out.steps[2].accuracy);
    expect(out.accuracy).toBeLessThanOrEqual(out.clean);
    expect(out.suite[0]).not.toHaveProperty('mean');
  });

  test('the text labels every attacked figure an upper bound', () => {
    const r = cli('evaluate', ...tiny);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Every attacked accuracy is an UPPER BOUND');
    expect(r.stdout).toMatch(/worst case\s+0\.\d{4} ± 0\.\d{4}\s+\(upper bound; the figure to quote\)/);
  });

  test('a budget below the clean check and the stripes is refused', () => {
    const r = cli('evaluate', '--checkpoint', CHECKPOINT, '--queries', '1');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('advgrad evaluate: --queries');
  });
});
