/**
 * Output folders of the commands: a fresh name per run, and a folder made and checked writable
 * before any work starts, so that a run never trains for an hour and then fails to save.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** runs/<kind>-<timestamp>: a fresh folder name for this run. */
export function defaultOutDir(kind: string): string {
  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
  return join('runs', `${kind}-${stamp}`);
}

/** Creates `dir` (and parents) and checks that it can be written; a clear error otherwise. @returns its absolute path */
export function ensureWritableDir(dir: string): string {
  const abs = resolve(dir);
  if (existsSync(abs) && !statSync(abs).isDirectory()) throw new Error(`--out ${dir}: exists and is not a directory`);
  try {
    mkdirSync(abs, { recursive: true });
    accessSync(abs, constants.W_OK);
  } catch (e) {
    throw new Error(`--out ${dir}: cannot create or write this directory (${(e as Error).message})`);
  }
  return abs;
}
