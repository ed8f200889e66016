/**
 * The course (docs/learn/) is tested: every chapter's shown output is what its script prints, and
 * every line range it sends the reader to exists.
 *
 * Format (docs/learn/README.md states it for authors):
 *   - a marker line `<!-- output: examples/learn/NN-name.ts -->`, then a ```text fence holding the
 *     script's exact stdout, then the closing fence; a chapter may show several scripts;
 *   - code to read named as `path:first-last`, in a line starting with `Read:` or in a list under
 *     a heading that starts with "Read".
 * Each marked script runs with tsx in a child process from the repository root, at most two at a
 * time; the files the scripts write under docs/learn/ (pictures) must come out byte for byte as
 * committed.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const LEARN = join(ROOT, 'docs/learn');
const PARALLEL = 2; // two cores
const MARKER = /^<!-- output: (\S+) -->$/;
const RANGE = /([\w./-]+\.[A-Za-z]+):(\d+)-(\d+)/g;

/** A script's output as a chapter shows it. */
interface Shown {
  chapter: string;
  line: number; // 1-based line of the marker
  script: string;
  expected: string;
}

/** A line range a chapter sends the reader to. */
interface Range {
  chapter: string;
  line: number;
  path: string;
  first: number;
  last: number;
}

/** The marked outputs of a chapter; throws where a marker is not followed by a ```text block. */
function shownOutputs(chapter: string, markdown: string): Shown[] {
  const lines = markdown.split('\n');
  const shown: Shown[] = [];
  lines.forEach((l, i) => {
    const m = MARKER.exec(l.trim());
    if (m === null) return;
    if (lines[i + 1] !== '```text') throw new Error(`${chapter}:${i + 1}: the output marker must be followed by a line \`\`\`text, found ${JSON.stringify(lines[i + 1])}`);
    const end = lines.indexOf('```', i + 2);
    if (end < 0) throw new Error(`${chapter}:${i + 1}: the output block of ${m[1]} is never closed`);
    shown.push({ chapter, line: i + 1, script: m[1], expected: lines.slice(i + 2, end).map((x) => `${x}\n`).join('') });
  });
  return shown;
}

/**
 * The `path:first-last` ranges of a chapter's `Read:` lines (with the list right after one, if
 * any) and of the lists under "Read" headings.
 */
function readRanges(chapter: string, markdown: string): Range[] {
  const ranges: Range[] = [];
  let underHeading = false; // inside a section whose heading starts with "Read"
  let afterLine = false; // in the list that follows a `Read:` line
  markdown.split('\n').forEach((l, i) => {
    if (/^#+\s/.test(l)) underHeading = /^#+\s+Read\b/i.test(l);
    const isList = /^\s*([-*+]|\d+\.)\s/.test(l);
    const isReadLine = /^Read:/.test(l);
    if (isReadLine) afterLine = true;
    else if (l.trim() !== '' && !isList && !/^\s/.test(l)) afterLine = false; // the list (and its wrapped lines) ended
    const inList = isList || (/^\s/.test(l) && l.trim() !== ''); // an item or its wrapped line
    if (!isReadLine && !(inList && (underHeading || afterLine))) return;
    for (const m of l.matchAll(RANGE)) ranges.push({ chapter, line: i + 1, path: m[1], first: Number(m[2]), last: Number(m[3]) });
  });
  return ranges;
}

/** Why a range does not exist in the repository, or null when it does. */
function checkRange(r: Range): string | null {
  const where = `${r.chapter}:${r.line}: ${r.path}:${r.first}-${r.last}`;
  const file = join(ROOT, r.path);
  if (!existsSync(file)) return `${where}: no such file`;
  const text = readFileSync(file, 'utf8');
  const count = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
  if (!(r.first >= 1 && r.first <= r.last && r.last <= count)) return `${where}: the file has ${count} lines`;
  return null;
}

/**
 * A line diff of two texts (longest common subsequence): the chapter's lines missing from the
 * output as "- ", the output's lines missing from the chapter as "+ ", two lines of context.
 */
function lineDiff(expected: string, actual: string): string {
  const a = expected.replace(/\n$/, '').split('\n');
  const b = actual.replace(/\n$/, '').split('\n');
  const lcs = Array.from({ length: a.length + 1 }, () => new Int32Array(b.length + 1)); // [A+1, B+1]
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const ops: Array<[' ' | '-' | '+', string]> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push([' ', a[i++]]), j++;
    else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push(['-', a[i++]]);
    else ops.push(['+', b[j++]]);
  }
  const near = ops.map((_, k) => ops.slice(Math.max(0, k - 2), k + 3).some(([op]) => op !== ' '));
  const out: string[] = [];
  ops.forEach(([op, text], k) => {
    if (near[k]) out.push(`${op} ${text}`);
    else if (k === 0 || near[k - 1]) out.push('  …');
  });
  return out.join('\n');
}

/** What a script did. */
interface Run {
  stdout: string;
  stderr: string;
  status: number | null;
}

function runScript(script: string): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script)], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      done({ stdout, stderr, status });
    });
  });
}

/** Runs every script, at most `limit` at a time. */
async function runAll(scripts: string[], limit: number): Promise<Map<string, Run>> {
  const runs = new Map<string, Run>();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < scripts.length) {
      const script = scripts[next++];
      runs.set(script, await runScript(script));
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return runs;
}

/** Every file under docs/learn/ that is not a chapter, with its bytes. */
function writtenFiles(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (!e.name.endsWith('.md')) files.set(relative(ROOT, path), readFileSync(path));
    }
  };
  walk(LEARN);
  return files;
}

const chapters = existsSync(LEARN) ? readdirSync(LEARN).filter((f) => f.endsWith('.md')).sort() : [];
const texts = new Map(chapters.map((c) => [c, readFileSync(join(LEARN, c), 'utf8')]));
const shown = chapters.flatMap((c) => shownOutputs(`docs/learn/${c}`, texts.get(c)!));
const scripts = [...new Set(shown.map((s) => s.script))];

describe('the course harness can fail', () => {
  test('a marker without its block, and a changed line, are reported', () => {
    expect(() => shownOutputs('x.md', '<!-- output: a.ts -->\ntext\n')).toThrow(/must be followed by a line ```text/);
    expect(shownOutputs('x.md', 'intro\n<!-- output: a.ts -->\n```text\none\ntwo\n```\n')).toEqual([{ chapter: 'x.md', line: 2, script: 'a.ts', expected: 'one\ntwo\n' }]);
    expect(lineDiff('a\nb\nc\n', 'a\nB\nc\n')).toBe('  a\n- b\n+ B\n  c');
    expect(lineDiff('1\n2\n3\n4\n5\n6\n7\n', '1\n2\n3\n4\n5\n6\n7\nnew\n')).toBe('  …\n  6\n  7\n+ new');
    expect(checkRange({ chapter: 'x.md', line: 1, path: 'package.json', first: 1, last: 100_000 })).toMatch(/the file has \d+ lines/);
    expect(readRanges('x.md', 'Read: `src/a.ts:1-2`\n## Read next\n- `src/b.ts:3-4` and src/c.ts:5-6\nsrc/d.ts:7-8\n').map((r) => r.path)).toEqual(['src/a.ts', 'src/b.ts', 'src/c.ts']);
    const afterRead = 'Read:\n\n- `src/a.ts:1-2`\n  wrapped src/b.ts:3-4\n- src/c.ts:5-6\n\nProse src/d.ts:7-8\n- src/e.ts:9-10\n';
    expect(readRanges('x.md', afterRead).map((r) => r.path)).toEqual(['src/a.ts', 'src/b.ts', 'src/c.ts']);
  });
});

describe('docs/learn: the course', () => {
  const before = existsSync(LEARN) ? writtenFiles() : new Map<string, Buffer>();
  let runs = new Map<string, Run>();
  beforeAll(async () => {
    runs = await runAll(scripts, PARALLEL);
  }, 600_000);

  test('has a table of contents and chapters with scripts', () => {
    expect(chapters).toContain('README.md');
    expect(chapters.filter((c) => /^\d\d-/.test(c)).length).toBeGreaterThan(0);
    expect(scripts.length).toBeGreaterThan(0);
  });

  test.each(chapters.filter((c) => /^\d\d-/.test(c)))('%s: names code to read, and every path:first-last range exists', (chapter) => {
    const ranges = readRanges(`docs/learn/${chapter}`, texts.get(chapter)!);
    expect(ranges.length, `docs/learn/${chapter} names no path:first-last range to read`).toBeGreaterThan(0);
    expect(ranges.map(checkRange).filter((p) => p !== null)).toEqual([]);
  });

  test.each(shown.map((s) => [`${s.chapter}:${s.line}`, s.script, s] as const))('%s shows what %s prints', (_where, script, s) => {
    const run = runs.get(script)!;
    expect(existsSync(join(ROOT, script)), `${s.chapter}:${s.line}: ${script} does not exist`).toBe(true);
    if (run.status !== 0) throw new Error(`${script} exited with status ${run.status}:\n${run.stderr}`);
    if (run.stdout !== s.expected) {
      throw new Error(`${s.chapter}:${s.line}: the block differs from what ${script} prints (- chapter, + script):\n${lineDiff(s.expected, run.stdout)}`);
    }
    expect(run.stderr).toBe('');
  });

  test('the scripts rewrite the files under docs/learn/ byte for byte as committed, and no others', () => {
    const after = writtenFiles();
    const changed = [...after].filter(([path, bytes]) => !before.get(path)?.equals(bytes)).map(([path]) => path);
    expect(changed, 'files a course script wrote differently from the committed ones (regenerate and commit them)').toEqual([]);
  });
});
