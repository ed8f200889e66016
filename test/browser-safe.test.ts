/**
 * The "." entry (src/index.ts) touches no Node global. The import-graph test (imports.test.ts)
 * sees `import` statements only; a global such as `setImmediate` or `process` needs no import, so
 * this test reads every module of the graph with the TypeScript parser and fails on any reference
 * to a name that Node has and a browser lacks. Comments and strings are not identifiers, so they
 * may still mention these names.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { forEachNode, parsedGraph, SRC, where } from './graph/source-graph.ts';

/** Globals of Node that a browser does not have. */
const NODE_GLOBALS = new Set(['process', 'setImmediate', 'clearImmediate', 'Buffer', 'global', 'require', 'module', '__dirname', '__filename']);
/** Objects through which a global may be reached as a property: globalThis.process, self['Buffer']. */
const GLOBAL_OBJECTS = new Set(['globalThis', 'self', 'window']);

/** Whether `expression`, without parentheses and type assertions, is globalThis, self or window. */
function isGlobalObject(expression: ts.Expression): boolean {
  let e = expression;
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isTypeAssertionExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  return ts.isIdentifier(e) && GLOBAL_OBJECTS.has(e.text);
}

/** Whether an identifier named like a Node global refers to a binding (not a property of some object, not a member's name). */
function isReference(id: ts.Identifier): boolean {
  const parent = id.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === id) return isGlobalObject(parent.expression);
  if ((ts.isPropertyAssignment(parent) || ts.isPropertySignature(parent) || ts.isPropertyDeclaration(parent) || ts.isMethodDeclaration(parent) || ts.isMethodSignature(parent)) && parent.name === id) return false;
  if (ts.isQualifiedName(parent) && parent.right === id) return false;
  return true;
}

/** Every reference to a Node global in `source`, as "file:line name". */
function nodeGlobalReferences(source: ts.SourceFile): string[] {
  const found: string[] = [];
  forEachNode(source, (node) => {
    if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text) && isReference(node)) found.push(`${where(node)} ${node.text}`);
    // globalThis['process'] and the like
    if (ts.isElementAccessExpression(node) && isGlobalObject(node.expression) && ts.isStringLiteralLike(node.argumentExpression) && NODE_GLOBALS.has(node.argumentExpression.text)) {
      found.push(`${where(node)} ${node.argumentExpression.text}`);
    }
  });
  return found;
}

function parse(code: string): ts.SourceFile {
  return ts.createSourceFile(join(SRC, 'probe.ts'), code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

describe('no Node global is referenced from the "." entry', () => {
  test('no module reachable from src/index.ts names process, setImmediate, Buffer, global, require, __dirname …', () => {
    const core = parsedGraph(join(SRC, 'index.ts'));
    expect(core.size).toBeGreaterThan(30); // the walk did follow the graph
    expect([...core.values()].flatMap(nodeGlobalReferences)).toEqual([]);
  });

  test('the check finds a global call, a typeof test, a property of globalThis and a string index; not comments, strings or member names', () => {
    const code = [
      '// setImmediate in a comment, and process.env in one',
      "const s = 'process.env.X';",
      'const o = { process: 1, Buffer: 2 };',
      'interface I { require: number }',
      'o.process;',
      'setImmediate(() => {});',
      "if (typeof process !== 'undefined') {}",
      'const b = (globalThis as any).Buffer;',
      "const d = globalThis['__dirname'];",
    ].join('\n');
    expect(nodeGlobalReferences(parse(code))).toEqual(['probe.ts:6 setImmediate', 'probe.ts:7 process', 'probe.ts:8 Buffer', 'probe.ts:9 __dirname']);
  });

  test('the "./node" entry does reach Node globals (the check would see them)', () => {
    const node = parsedGraph(join(SRC, 'node.ts'));
    expect([...node.values()].flatMap(nodeGlobalReferences).some((r) => r.endsWith(' process'))).toBe(true);
  });
});
