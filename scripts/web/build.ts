/**
 * Builds what the browser page (web/) needs and does not commit, all derived from the repository:
 *
 *   web/lib/advgrad/…          the compiled "." entry (dist/src/index.js) and every module it imports,
 *                              copied as they are: tsc already wrote `.js` extensions into the
 *                              relative imports (rewriteRelativeImportExtensions), so a browser loads
 *                              them as native ES modules without a bundler
 *   web/data/test-images.idx   the first SUBSET_SIZE MNIST test images, an IDX file (idx3-ubyte)
 *   web/data/test-labels.idx   their labels (idx1-ubyte); the page parses both with advgrad's parseIdx
 *   web/data/train-images.idx.gz  the first TRAIN_SUBSET_SIZE MNIST training images, gzip-compressed
 *   web/data/train-labels.idx.gz  IDX (the train panel's worker inflates them with the browser's
 *                              DecompressionStream, then parseIdx)
 *   web/data/curves.json       accuracy against ε per model, cut from the project's results.json files
 *
 * The models themselves (web/models/*.ckpt and index.json) are committed: they come from training
 * runs that take minutes to hours, and weights-only.ts makes them from a training checkpoint.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { defaultMnistDir, readIdx, writeIdx } from '../../src/node.ts';
import { writeFileAtomic } from '../../src/io/write-atomic.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const WEB = join(ROOT, 'web');

/** How many test images the page offers: the first ones of the MNIST test set, in order. */
export const SUBSET_SIZE = 500;

/** How many training images the train panel can train on: the first ones of the MNIST training set, in order. */
export const TRAIN_SUBSET_SIZE = 10_000;

/**
 * Where the robustness curves come from: the results.json of `npm run reproduce` (every model in
 * its `robustness.models`, by the name it has there), or the `--json` output of `npm run audit`
 * on one checkpoint (named by `model`). Both hold the audit's FGSM and PGD-40 curves.
 */
export const CURVE_SOURCES: ReadonlyArray<{ file: string; model?: string }> = [
  { file: 'docs/results/default/results.json' },
  { file: 'docs/results/robust/results.json' }, // npm run reproduce -- --preset robust: adds pgdRelu
];

export interface BuildOptions {
  /** Run `tsc -p tsconfig.build.json` first (default true); false reuses the build as it is. */
  compile?: boolean;
  /** The build's folder (default dist/; the browser test builds into a folder of its own). */
  dist?: string;
  /** Where lib/ and data/ go (default web/; the test serves them from elsewhere by mounts). */
  out?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** Everything above; returns the files written. */
export function buildWeb(options: BuildOptions = {}): string[] {
  const log = options.log ?? (() => {});
  const dist = resolve(options.dist ?? join(ROOT, 'dist'));
  const out = resolve(options.out ?? WEB);
  if (options.compile ?? true) {
    log(`compiling the package (tsc -p tsconfig.build.json) into ${relative(ROOT, dist) || dist}…`);
    compilePackage(dist);
  }
  const written = [...copyLibrary(dist, out), ...writeSubset(out), writeCurves(out)];
  log(`wrote ${written.length} files under ${relative(ROOT, out)}/ (lib/advgrad, data/)`);
  return written;
}

/** `tsc -p tsconfig.build.json --outDir dist` (the package's own build, into `dist`). */
export function compilePackage(dist: string): void {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', dist], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`web build: tsc -p tsconfig.build.json failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}

/**
 * Copies dist/src/index.js and the modules reachable from it into web/lib/advgrad/, keeping their
 * relative paths. Only that import graph is copied, so the page cannot load a Node-only module
 * by mistake (test/imports.test.ts keeps the graph free of them).
 */
function copyLibrary(dist: string, out: string): string[] {
  const from = join(dist, 'src');
  const to = join(out, 'lib/advgrad');
  const entry = join(from, 'index.js');
  if (!exists(entry)) throw new Error(`web build: ${entry} is missing; run npm run build`);
  rmSync(to, { recursive: true, force: true });
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const specifier of importsOf(code)) {
      if (!specifier.startsWith('.')) throw new Error(`web build: ${relative(ROOT, file)} imports '${specifier}', which a browser cannot resolve`);
      if (!specifier.endsWith('.js')) throw new Error(`web build: ${relative(ROOT, file)} imports '${specifier}' without the .js extension a browser needs`);
      stack.push(resolve(dirname(file), specifier));
    }
  }
  const written: string[] = [];
  for (const file of [...seen].sort()) {
    const target = join(to, relative(from, file));
    mkdirSync(dirname(target), { recursive: true });
    writeFileAtomic(target, readFileSync(file), 'web build');
    written.push(target);
  }
  return written;
}

/** Every module specifier that compiled JavaScript imports or re-exports, static or dynamic (TypeScript's own scanner, not a regular expression, so comments cannot fool it). */
export function importsOf(code: string): string[] {
  return ts.preProcessFile(code, true, true).importedFiles.map((f) => f.fileName);
}

/**
 * The first SUBSET_SIZE test images and the first TRAIN_SUBSET_SIZE training images, with their
 * labels, written as IDX files (the format MNIST ships in); the training set gzip-compressed.
 */
function writeSubset(out: string): string[] {
  const outDir = join(out, 'data');
  mkdirSync(outDir, { recursive: true });
  return [...writePair(outDir, 't10k', 'test', SUBSET_SIZE, ''), ...writePair(outDir, 'train', 'train', TRAIN_SUBSET_SIZE, '.gz')];
}

/** data/<name>-images.idx<ext> and data/<name>-labels.idx<ext>: the first `count` of MNIST's <prefix> files. */
function writePair(outDir: string, prefix: string, name: string, count: number, ext: string): string[] {
  const dir = defaultMnistDir();
  const images = readIdx(join(dir, `${prefix}-images-idx3-ubyte`), { rank: 3 });
  const labels = readIdx(join(dir, `${prefix}-labels-idx1-ubyte`), { rank: 1 });
  const [, H, W] = images.dims;
  const imageFile = join(outDir, `${name}-images.idx${ext}`);
  const labelFile = join(outDir, `${name}-labels.idx${ext}`);
  writeIdx(imageFile, [count, H, W], images.data.subarray(0, count * H * W));
  writeIdx(labelFile, [count], labels.data.subarray(0, count));
  return [imageFile, labelFile];
}

/** One curve as the page draws it: accuracy (with its standard error) at each ε. */
export interface CurvePoint {
  eps: number;
  accuracy: number;
  standardError: number;
}

/** The audit's curves as the page draws them (see CurvePoint). */
interface AuditCurves {
  count: number;
  curves?: Record<string, { description: string; points: CurvePoint[] }>;
}

/**
 * web/data/curves.json: { sources, models: { <name>: { source, count, fgsm: CurvePoint[], pgd:
 * CurvePoint[], pgdName } } }. web/models/index.json names, per model, which of these are its own.
 */
function writeCurves(out: string): string {
  const models: Record<string, unknown> = {};
  for (const { file, model } of CURVE_SOURCES) {
    const json = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as AuditCurves & { robustness?: { models?: Record<string, { audit?: AuditCurves }> } };
    const audits: Array<[string, AuditCurves | undefined]> = model === undefined
      ? Object.entries(json.robustness?.models ?? {}).map(([name, m]) => [name, m.audit])
      : [[model, json]];
    if (audits.length === 0) throw new Error(`web build: ${file} has no robustness.models (a results.json of npm run reproduce has)`);
    for (const [name, audit] of audits) {
      const curves = audit?.curves;
      if (curves?.fgsm === undefined || curves.pgd === undefined) throw new Error(`web build: ${file}: the audit of ${name} has no fgsm and pgd curves`);
      const points = (c: { points: CurvePoint[] }): CurvePoint[] => c.points.map(({ eps, accuracy, standardError }) => ({ eps, accuracy, standardError }));
      models[name] = { source: file, count: audit!.count, fgsm: points(curves.fgsm), pgd: points(curves.pgd), pgdName: curves.pgd.description };
    }
  }
  const target = join(out, 'data/curves.json');
  writeFileAtomic(target, `${JSON.stringify({ sources: CURVE_SOURCES.map((s) => s.file), models }, null, 1)}\n`, 'web build');
  return target;
}

function exists(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

