/**
 * The "." entry runs where there is no Node: its modules, loaded into a node:vm context that holds
 * only what a browser offers (test/browser/run-in-context.mjs: no process, setImmediate, Buffer,
 * require), train a LeNet (standard and adversarial 'batch'), evaluate it, attack it with FGSM and
 * PGD and measure its robustness (robustnessCurve, worstCase). The same scenario run in Node gives
 * the same numbers bit for bit, so the context ran the real code paths, not a shortcut.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, test } from 'vitest';
import * as ag from '../src/index.ts';
import { SCENARIO } from './browser/scenario.ts';

const RUNNER = resolve(import.meta.dirname, 'browser/run-in-context.mjs');

/** The scenario's result in a browser-like context (a child node process with vm modules). */
function runInContext(scenario: string): { result: unknown; modules: number } {
  const r = spawnSync(process.execPath, ['--experimental-vm-modules', '--no-warnings', RUNNER, scenario], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) expect.fail(`run-in-context exited with ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

test('train, evaluate, fgsm, pgd, robustnessCurve and worstCase run without Node globals, with the numbers they give in Node', async () => {
  const inContext = runInContext(SCENARIO);
  expect(inContext.modules).toBeGreaterThan(30); // the whole graph was loaded there
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (arg: string, body: string) => (a: typeof ag) => Promise<unknown>;
  const inNode = await new AsyncFunction('ag', SCENARIO)(ag);
  expect(inContext.result).toEqual(inNode);
  const { losses, curve } = inNode as { losses: number[]; curve: number[] };
  expect(losses).toHaveLength(2);
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(curve).toHaveLength(3);
}, 120_000);

test('the context really lacks Node: a scenario that reaches for setImmediate fails there', () => {
  const r = spawnSync(process.execPath, ['--experimental-vm-modules', '--no-warnings', RUNNER, 'return setImmediate(() => {});'], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/setImmediate is not defined/);
});
