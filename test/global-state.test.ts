/**
 * Module-level mutable state in the "." entry's graph: every top-level `let` or `var`, and every
 * top-level `const` that holds a container (`new …`, an array or object literal, a typed array
 * made with `.from`/`.of`) not declared read-only, is listed here with the reason it may exist.
 * Such state is shared by every caller in a thread, so it must never change what a call computes:
 * the entries below are caches of values that depend only on their key, scratch memory whose
 * contents never outlive a call, the recycling pool, and the no-grad flag. A new entry fails this
 * test until it is added with its reason (or removed: the conv algorithm, for one, travels in
 * options, not in a module variable).
 */
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { parsedGraph, SRC } from './graph/source-graph.ts';

/** File (relative to src/) → the mutable bindings it may hold, and why. */
const ALLOWED: Record<string, { names: string[]; reason: string }> = {
  'autograd/variable.ts': { names: ['gradEnabled'], reason: 'the no-grad flag: noGrad(fn) sets it for the duration of fn and restores it' },
  'tensor/recycle.ts': {
    names: ['free', 'order', 'made', 'waiting', 'pooledBytes', 'scopes'],
    reason: 'the recycling pool of typed arrays (zeroed when handed out) and its open scopes',
  },
  'kernels/gemm/blocked.ts': {
    names: ['pack', 'tile', 'TILE_ROWS', 'IDENTITY', 'rowStarts', 'rowAddend'],
    reason: "the GEMM's packing buffer (grown on demand), scratch tile and row tables, written before read in every call; constant index tables",
  },
  'kernels/gemm/gemv.ts': { names: ['column', 'gemvAcc'], reason: 'scratch of the matrix–vector cases, grown on demand, written before read in every call' },
  'kernels/gemm/gemm.ts': { names: ['addendScratch', 'addendZeros'], reason: "float64 copies of a bias (written before read) and zeros for an absent one (never written)" },
  'kernels/winograd/workspace.ts': { names: ['buffers', 'holders'], reason: "Winograd's named intermediates, grown on demand; written before read in every call" },
  'kernels/winograd/matrices.ts': { names: ['matricesCache'], reason: 'cache: the matrices of F(m, r) depend on m and r only' },
  'kernels/winograd/geometry.ts': {
    names: ['offsetsCache', 'tileIndexCache', 'outputOffsetsCache', 'panelColumnsCache'],
    reason: 'caches: offset tables that depend on the geometry only',
  },
  'kernels/winograd/kernel-transform.ts': { names: ['kernelCache'], reason: "cache: a weight array's transform, reused only while its values are unchanged" },
  'kernels/winograd/panels.ts': { names: ['tablesCache', 'backwardTablesCache'], reason: 'caches: panel tables that depend on the geometry only' },
  'kernels/conv2d/lowering.ts': { names: ['im2colCache', 'nchwCache'], reason: 'caches: offset tables that depend on the geometry only' },
  'layers/max-pool2d.ts': { names: ['unusedArgmax'], reason: 'scratch for the argmax of noGrad calls, which nothing reads' },
  'io/checkpoint.ts': { names: ['BYTES_PER'], reason: 'a constant lookup table (bytes per dtype), never written' },
  'io/idx.ts': { names: ['ELEMENT_TYPES'], reason: 'a constant lookup table (IDX type codes), never written' },
};

/** Whether a declared type says the value is read-only (Readonly<…>, readonly T[]). */
function isReadonlyType(type: ts.TypeNode | undefined): boolean {
  if (type === undefined) return false;
  if (ts.isTypeOperatorNode(type) && type.operator === ts.SyntaxKind.ReadonlyKeyword) return true;
  return ts.isTypeReferenceNode(type) && /^Readonly/.test(type.typeName.getText());
}

/** Whether an initializer makes a container that code could mutate. */
function isContainer(init: ts.Expression): boolean {
  if (ts.isAsExpression(init) && ts.isTypeReferenceNode(init.type) && init.type.typeName.getText() === 'const') return false; // `as const`
  if (ts.isNewExpression(init) || ts.isArrayLiteralExpression(init) || ts.isObjectLiteralExpression(init)) return true;
  return ts.isCallExpression(init) && ts.isPropertyAccessExpression(init.expression) && ['from', 'of'].includes(init.expression.name.text) && /Array$/.test(init.expression.expression.getText());
}

/** Top-level mutable bindings of a module, and mutable static fields of its classes. */
function mutableBindings(source: ts.SourceFile): string[] {
  const names: string[] = [];
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) {
      const isConst = (statement.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const d of statement.declarationList.declarations) {
        const mutable = !isConst || (d.initializer !== undefined && isContainer(d.initializer) && !isReadonlyType(d.type));
        if (mutable && ts.isIdentifier(d.name)) names.push(d.name.text);
      }
    } else if (ts.isClassDeclaration(statement)) {
      for (const member of statement.members) {
        const modifiers = ts.canHaveModifiers(member) ? ts.getModifiers(member) ?? [] : [];
        const isStatic = modifiers.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
        const isReadonly = modifiers.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword);
        if (ts.isPropertyDeclaration(member) && isStatic && !isReadonly) names.push(`${statement.name?.text}.${member.name.getText()}`);
      }
    }
  }
  return names;
}

function parse(code: string): ts.SourceFile {
  return ts.createSourceFile(join(SRC, 'probe.ts'), code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

describe('module-level mutable state in the "." graph', () => {
  test('is exactly the allowlist', () => {
    const found: Record<string, string[]> = {};
    for (const [file, source] of parsedGraph(join(SRC, 'index.ts'))) {
      const names = mutableBindings(source);
      if (names.length > 0) found[file.slice(SRC.length + 1)] = names.sort();
    }
    const allowed = Object.fromEntries(Object.entries(ALLOWED).map(([file, { names }]) => [file, [...names].sort()]));
    expect(found).toEqual(allowed);
  });

  test('the scan finds let, var, containers and static fields; not constants, read-only or `as const` values', () => {
    const code = [
      'let a = 1;',
      'var b = 2;',
      'const c = new Map();',
      'const d = [1, 2];',
      'const e = { k: 1 };',
      'const f = Float64Array.from([1]);',
      'const g = 3;',
      'const h = [1, 2] as const;',
      'const i: readonly number[] = [1];',
      'const j: Readonly<Record<string, number>> = {};',
      'class K { static l = 0; static readonly m = 1; }',
      'function n() { let o = 1; return o; }',
    ].join('\n');
    expect(mutableBindings(parse(code))).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'K.l']);
  });
});
