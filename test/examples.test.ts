import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from 'vitest';

test('the README program (examples/experiment.ts) runs through the public API and prints both results', () => {
  const script = join(import.meta.dirname, '../examples/experiment.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, '300', '100', '1'], { encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^standard training: clean accuracy 0\.\d{4}, FGSM accuracy 0\.\d{4}/m);
  expect(r.stdout).toMatch(/^adversarial training: clean accuracy 0\.\d{4}, FGSM accuracy 0\.\d{4}/m);
});
