/**
 * Ctrl-C: training stops after the current step, the checkpoints of finished epochs stay intact
 * and loadable, no temporary file is left, and the exit code is 130.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { loadCheckpoint } from '../../src/io/checkpoint-file.ts';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');

test('SIGINT during training leaves the last finished checkpoint intact and exits 130', async () => {
  const out = mkdtempSync(join(tmpdir(), 'advgrad-interrupt-'));
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'train', '--epochs', '1000', '--limit-train', '200', '--limit-test', '100', '--workers', '0', '--out', out], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const checkpoint = join(out, 'model.ckpt');
  try {
    const deadline = Date.now() + 60_000;
    while (!existsSync(checkpoint) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(checkpoint)).toBe(true);
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted by SIGINT: stopped after the current step; checkpoints of finished epochs are intact/);
    const c = loadCheckpoint(checkpoint); // verifies magic, sizes and checksum
    expect(c.epoch).toBeGreaterThanOrEqual(1);
    expect(c.optimizer).not.toBeNull();
    expect(readdirSync(out).filter((f) => f.includes('.tmp'))).toEqual([]);
  } finally {
    child.kill('SIGKILL'); // never leave a training process behind, whatever failed
  }
});
