/**
 * scripts/web/serve.ts, the demo's static server: files under its root (and mounts) only, with
 * their content types, on 127.0.0.1, every request logged; anything else is refused clearly.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serveStatic, type RequestLogEntry, type RunningServer } from '../../scripts/web/serve.ts';

let dir: string;
let server: RunningServer;
const log: RequestLogEntry[] = [];

/** A raw request (the path is sent as written, not normalised as fetch would). */
function get(path: string, method = 'GET'): Promise<{ status: number; type: string; cache: string; body: string; isolation: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({
        status: res.statusCode!, type: String(res.headers['content-type']), cache: String(res.headers['cache-control']), body,
        isolation: `${res.headers['cross-origin-opener-policy']} ${res.headers['cross-origin-embedder-policy']}`,
      }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'advgrad-serve-'));
  mkdirSync(join(dir, 'root/models'), { recursive: true });
  mkdirSync(join(dir, 'mounted'));
  writeFileSync(join(dir, 'root/index.html'), '<p>home</p>');
  writeFileSync(join(dir, 'root/app.js'), 'export {};');
  writeFileSync(join(dir, 'root/models/a.ckpt'), 'ADVGCKPT');
  writeFileSync(join(dir, 'mounted/x.json'), '{"mounted":true}');
  writeFileSync(join(dir, 'secret.txt'), 'outside the root');
  server = await serveStatic({ root: join(dir, 'root'), port: 0, mounts: { '/extra/': join(dir, 'mounted') }, onRequest: (e) => log.push(e) });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serveStatic', () => {
  test('port 0 picks a free port on 127.0.0.1 and the URL says which', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  test('serves files with their content type, index.html for a folder, and no caching', async () => {
    const home = await get('/');
    expect(home).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', cache: 'no-store', body: '<p>home</p>' });
    expect((await get('/app.js?x=1')).type).toBe('text/javascript; charset=utf-8'); // module scripts need a JavaScript type
    expect((await get('/models/a.ckpt')).type).toBe('application/octet-stream');
    expect(await get('/extra/x.json')).toMatchObject({ status: 200, type: 'application/json; charset=utf-8', body: '{"mounted":true}' });
    expect((await get('/app.js', 'HEAD')).body).toBe('');
  });

  test('sends the cross-origin isolation headers with every file, so that the page may use SharedArrayBuffer', async () => {
    for (const path of ['/', '/app.js', '/models/a.ckpt', '/extra/x.json']) {
      expect((await get(path)).isolation, path).toBe('same-origin require-corp');
    }
  });

  test('isolate: false sends no isolation header (the train panel\'s fallback is tested on such a page)', async () => {
    const plain = await serveStatic({ root: join(dir, 'root'), port: 0, isolate: false });
    const main = server;
    try {
      server = plain;
      expect((await get('/app.js')).isolation).toBe('undefined undefined');
    } finally {
      server = main;
      await plain.close();
    }
  });

  test('refuses what is not a file under the root: missing files, folders, climbing out, other methods', async () => {
    expect((await get('/nope.js')).status).toBe(404);
    expect((await get('/models')).status).toBe(404);
    for (const path of ['/../secret.txt', '/..%2fsecret.txt', '/models/..%2f..%2fsecret.txt', '/%2e%2e/secret.txt', '/extra/..%2f..%2fsecret.txt']) {
      const res = await get(path);
      expect(res.status, path).not.toBe(200);
      expect(res.body, path).not.toContain('outside the root');
    }
    expect((await get('/app.js', 'POST')).status).toBe(405);
    expect((await get('/%E0%A4%A')).status).toBe(400);
  });

  test('logs every request with its status', () => {
    expect(log.some((e) => e.url === '/nope.js' && e.status === 404)).toBe(true);
    expect(log.some((e) => e.url === '/' && e.status === 200)).toBe(true);
  });

  test('a port in use gives a message that says what to do', async () => {
    await expect(serveStatic({ root: dir, port: server.port })).rejects.toThrow(/in use; pass another with --port N/);
  });
});

describe('npm run demo', () => {
  test('--no-build --port 0 prints the address it serves web/ on', async () => {
    const root = resolve(import.meta.dirname, '../..');
    const child = spawn(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/web/demo.ts', '--no-build', '--port', '0'], { cwd: root });
    try {
      const url = await new Promise<string>((done, fail) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /advgrad playground: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (match) done(match[1]);
        });
        child.on('exit', (code) => fail(new Error(`demo exited with ${code} before printing its address: ${out}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('advgrad playground');
      expect((await fetch(`${url}models/index.json`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
