/**
 * The Winograd workspace: roles that share an array are caught when one is read after another took
 * its slot over, so the sharing table (kernels/winograd/workspace.ts) cannot silently corrupt a
 * pipeline. (Every pipeline test also runs the pipelines' own checks, which pass only if the table
 * fits their stage order.)
 */
import { describe, expect, test } from 'vitest';
import { assertHeld, winogradBuffer } from '../../../src/kernels/winograd/workspace.ts';

describe('winograd workspace', () => {
  test('a role read after another role claimed its slot throws, naming both', () => {
    winogradBuffer('inputRows', 8);
    assertHeld('inputRows');
    winogradBuffer('products', 8); // the same slot: inputRows is dead from here on
    expect(() => assertHeld('inputRows')).toThrow(/'inputRows' is read after 'products' took its slot/);
  });

  test('roles on different slots stay held; a buffer grows and keeps its slot', () => {
    const a = winogradBuffer('dOutputTiles', 4);
    winogradBuffer('dOutputRows', 4);
    assertHeld('dOutputTiles');
    const b = winogradBuffer('dProducts', 16); // dOutputTiles' slot, larger
    expect(b.length).toBeGreaterThanOrEqual(16);
    expect(b).not.toBe(a);
    expect(winogradBuffer('dOutputTiles', 4)).toBe(b);
  });
});
