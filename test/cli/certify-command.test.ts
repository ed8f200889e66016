/**
 * `advgrad certify` as a user runs it: a child process on the shipped PGD-trained checkpoint and a
 * few test images. Checks the JSON against itself: certified accuracy falls as ε grows (IBP is
 * monotone), CROWN certifies at least what IBP does, the radii agree with the accuracies (an image
 * is certified at ε exactly when ε is at most its radius, to the bisection's tolerance), and the
 * chart is written; bad input gives one clear line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');
const CHECKPOINT = join(import.meta.dirname, '../../web/models/pgd-trained.ckpt');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Output {
  count: number;
  method: string;
  results: Array<{ eps: number; accuracy: number; certified: number; standardError: number }>;
  radius: { perImage: number[]; tolerance: number } | null;
}

describe('advgrad certify', () => {
  test('IBP and CROWN on 20 test images: curves, radii and the chart agree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'advgrad-certify-'));
    const eps = [0, 0.002, 0.004, 0.008];
    const run = (method: string): Output => {
      const r = cli('certify', '--checkpoint', CHECKPOINT, '--eps', eps.join(','), '--method', method, '--limit-test', '20', '--radius', '--max-eps', '0.05', '--tolerance', '0.0005', '--json', '--svg', join(dir, `${method}.svg`));
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Output;
    };
    const ibp = run('ibp');
    const crown = run('crown');
    for (const out of [ibp, crown]) {
      expect(out.count).toBe(20);
      expect(out.results.map((p) => p.eps)).toEqual(eps);
      expect(out.results[0].certified).toBeGreaterThanOrEqual(18); // ε = 0: the correctly classified images
      expect(out.radius!.perImage).toHaveLength(20);
      expect(readFileSync(join(dir, `${out.method}.svg`), 'utf8')).toMatch(/^<svg[\s\S]*Certified accuracy[\s\S]*<\/svg>\s*$/);
    }
    for (let i = 0; i < eps.length; i++) {
      expect(crown.results[i].certified).toBeGreaterThanOrEqual(ibp.results[i].certified);
      if (i > 0) expect(ibp.results[i].certified).toBeLessThanOrEqual(ibp.results[i - 1].certified);
      // IBP is monotone in ε: certified at ε ⇔ ε ≤ the radius, which bisection brackets as [r, r + tolerance)
      const radii = ibp.radius!.perImage;
      const tolerance = ibp.radius!.tolerance;
      if (eps[i] > 0) {
        expect(ibp.results[i].certified).toBeGreaterThanOrEqual(radii.filter((r) => r >= eps[i]).length);
        expect(ibp.results[i].certified).toBeLessThanOrEqual(radii.filter((r) => r + tolerance > eps[i]).length);
      }
    }
    expect(crown.results[2].certified).toBeGreaterThan(ibp.results[2].certified); // CROWN is much tighter on this LeNet
  });

  test('bad input: one clear line', () => {
    const missing = cli('certify', '--eps', '0.1');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('certify: --checkpoint FILE is required');
    const method = cli('certify', '--checkpoint', CHECKPOINT, '--method', 'lp');
    expect(method.status).toBe(2);
    expect(method.stderr).toMatch(/--method must be one of ibp, crown/);
    expect(cli('certify', '--checkpoint', CHECKPOINT, '--eps', '2').stderr).toContain("--eps must be a comma-separated list of numbers in [0, 1], got '2'");
  });
});
