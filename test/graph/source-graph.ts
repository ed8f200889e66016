/**
 * The "." entry's module graph as the TypeScript compiler sees it, for tests that check what the
 * core may contain: the files reachable from src/index.ts through relative imports, each parsed.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

export const SRC = resolve(import.meta.dirname, '../../src');

/** Every file reachable from `entry` through relative imports (static, re-export or dynamic), parsed. */
export function parsedGraph(entry: string): Map<string, ts.SourceFile> {
  const seen = new Map<string, ts.SourceFile>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    seen.set(file, ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS));
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (fileName.startsWith('.')) stack.push(resolve(dirname(file), fileName));
    }
  }
  return seen;
}

/** Calls `visit` on every node of `source`, depth first. */
export function forEachNode(source: ts.Node, visit: (node: ts.Node) => void): void {
  const walk = (node: ts.Node): void => {
    visit(node);
    ts.forEachChild(node, walk);
  };
  walk(source);
}

/** "file:line" of a node, the file relative to src/. */
export function where(node: ts.Node): string {
  const source = node.getSourceFile();
  const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
  return `${source.fileName.slice(SRC.length + 1)}:${line + 1}`;
}
