/**
 * Headless Chromium for the browser tests: where it is, and the page's ?selftest modes run
 * through `chromium --dump-dom` (the page holds its load event until the selftest has written its
 * JSON result into <pre id="selftest-result">; web/app.js says how).
 *
 * Chromium missing: the browser tests are skipped with a message, except under CI (.ci/run sets
 * CI=true and installs chromium), where that is a failure.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';

export const IN_CI = ['1', 'true'].includes(String(process.env.CI).toLowerCase());
export const CHROMIUM = process.env.CHROMIUM ?? (spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim() || null);

/** What every ?selftest mode writes: ok, or the error; plus the mode's own fields. */
export interface SelftestResult {
  mode: string;
  ok: boolean;
  error?: string;
  resources: string[];
  notices?: string[];
  [key: string]: unknown;
}

export interface SelftestOptions {
  /** A fresh browser profile is made under this folder. */
  dir: string;
  /** Also save a PNG of the viewport when the page has loaded. */
  screenshot?: string;
  /** How long Chromium waits for the load event (default 60 s). */
  timeoutMs?: number;
  windowSize?: string;
}

/** Runs the page at `base` + `query` in headless Chromium and returns the selftest's JSON. */
export async function selftest(base: string, query: string, options: SelftestOptions): Promise<SelftestResult> {
  if (CHROMIUM === null) throw new Error('chromium is not installed, and under CI the browser test must run (.ci/run installs it with apt-get)');
  const timeoutMs = options.timeoutMs ?? 60_000;
  const profile = mkdtempSync(join(options.dir, 'profile-'));
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`,
    `--window-size=${options.windowSize ?? '1280,1100'}`, `--timeout=${timeoutMs}`, // --timeout: stop waiting for the load event
    ...(options.screenshot === undefined ? [] : [`--screenshot=${options.screenshot}`]),
    '--dump-dom', `${base}${query}`,
  ];
  const dom = await new Promise<string>((done, fail) => {
    execFile(CHROMIUM, args, { encoding: 'utf8', timeout: timeoutMs + 30_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error && stdout === '') fail(new Error(`chromium ${query}: ${error.message}\n${stderr}`));
      else done(stdout);
    });
  });
  const match = /<pre id="selftest-result"[^>]*data-done="true"[^>]*>(.*?)<\/pre>/s.exec(dom);
  if (match === null) throw new Error(`chromium ${query}: the page wrote no selftest result within ${timeoutMs} ms; the DOM was:\n${dom.slice(0, 4000)}`);
  const text = match[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&nbsp;/g, '\u00a0').replace(/&amp;/g, '&');
  return JSON.parse(text) as SelftestResult;
}
