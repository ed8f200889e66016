/**
 * The drift between two `reproduce` runs, cell by cell, as a Markdown table (src/report/drift.ts):
 *
 *   npx tsx scripts/compare-results.ts A B [--names "3 + 3,30 + 30"]
 *
 * A and B are run folders (holding results.json) or results.json files; A is the baseline.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { driftMarkdown } from '../src/report/drift.ts';
import type { Results } from '../src/report/results.ts';

export function readResults(path: string): Results {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'results.json') : path;
  if (!existsSync(file)) throw new Error(`compare-results: expected a run folder or its results.json, got ${path} (no ${file})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`compare-results: ${file} is not JSON (${(e as Error).message})`);
  }
  const r = parsed as Partial<Results>;
  if (!r.standard?.clean || !r.adversarial?.clean || !r.config) {
    throw new Error(`compare-results: ${file} is not a reproduce results.json (expected config, standard and adversarial; it has ${Object.keys(parsed as object).join(', ') || 'nothing'})`);
  }
  return r as Results;
}

function main(argv: readonly string[]): number {
  const namesAt = argv.indexOf('--names');
  const names = namesAt >= 0 ? argv[namesAt + 1]?.split(',') : undefined;
  const paths = argv.filter((_, i) => namesAt < 0 || (i !== namesAt && i !== namesAt + 1));
  if (paths.length !== 2 || (names !== undefined && names.length !== 2)) {
    process.stderr.write('usage: npx tsx scripts/compare-results.ts A B [--names "A name,B name"]   (A, B: run folders or results.json files)\n');
    return 2;
  }
  try {
    const [a, b] = paths.map(readResults) as [Results, Results];
    const label = (r: Results): string => `${r.config.epochs.standard} + ${r.config.epochs.adversarial} epochs`;
    process.stdout.write(driftMarkdown(a, b, { a: names?.[0] ?? label(a), b: names?.[1] ?? label(b) }) + '\n');
    return 0;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main(process.argv.slice(2));
