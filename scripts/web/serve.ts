/**
 * A small static file server for the page (node:http, no dependency): GET and HEAD of files under
 * a root folder, on 127.0.0.1 only (the page is a local tool; nothing should reach it from the
 * network). Every file is sent with the cross-origin isolation headers (COOP same-origin, COEP
 * require-corp), without which a browser withholds SharedArrayBuffer from the page and its
 * workers; the page loads nothing from elsewhere, so they cost it nothing. Extra folders can be mounted under a URL prefix (the browser test mounts its fixtures
 * there rather than writing into web/). Every request is recorded, so a test can check what the
 * page loaded.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.md': 'text/plain; charset=utf-8',
};

/** The headers that make the page cross-origin isolated (window.crossOriginIsolated, SharedArrayBuffer). */
export const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } as const;

export interface ServeOptions {
  /** The folder served at "/". */
  root: string;
  /** TCP port on 127.0.0.1; 0 picks a free one (tests). */
  port: number;
  /** URL prefix ("/fixtures/") → folder, checked before root. */
  mounts?: Record<string, string>;
  /** Called once per request after it is answered. */
  onRequest?: (entry: RequestLogEntry) => void;
  /**
   * Send the cross-origin isolation headers (default true). false serves the page as an ordinary
   * server would, without SharedArrayBuffer: the browser test checks the train panel's fallback so.
   */
  isolate?: boolean;
}

export interface RequestLogEntry {
  method: string;
  url: string;
  status: number;
}

export interface RunningServer {
  server: Server;
  /** http://127.0.0.1:<port>/ */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens (rejects with a clear message when the port is taken). */
export function serveStatic(options: ServeOptions): Promise<RunningServer> {
  const mounts = Object.entries(options.mounts ?? {});
  const server = createServer((req, res) => {
    const status = answer(req, res, options.root, mounts, options.isolate ?? true);
    options.onRequest?.({ method: req.method ?? '', url: req.url ?? '', status });
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new Error(err.code === 'EADDRINUSE' ? `port ${options.port} on 127.0.0.1 is in use; pass another with --port N (0 picks a free one)` : `cannot listen on 127.0.0.1:${options.port}: ${err.message}`));
    });
    server.listen(options.port, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolvePromise({
        server,
        port,
        url: `http://127.0.0.1:${port}/`,
        close: () => new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

/** Answers one request; returns the status code sent. */
function answer(req: IncomingMessage, res: ServerResponse, root: string, mounts: Array<[string, string]>, isolate: boolean): number {
  const send = (status: number, text: string): number => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(req.method === 'HEAD' ? undefined : `${text}\n`);
    return status;
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, `${req.method} is not supported (GET or HEAD)`);
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
  } catch {
    return send(400, 'malformed URL');
  }
  if (path.endsWith('/')) path += 'index.html';
  let base = root;
  for (const [prefix, dir] of mounts) {
    if (path.startsWith(prefix)) {
      base = dir;
      path = `/${path.slice(prefix.length)}`;
      break;
    }
  }
  // normalize folds "..": a path that still climbs out of the folder is refused.
  const relativePath = normalize(path).replace(/^([/\\])+/, '');
  if (relativePath.startsWith('..') || relativePath.includes(`${sep}..${sep}`) || relativePath.includes('\0')) return send(403, 'outside the served folder');
  const file = join(base, relativePath);
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return send(404, `${path}: not a file`);
    size = stat.size;
  } catch {
    return send(404, `${path}: not found`);
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': size,
    // Always the files on disk: after a rebuild or a new model the page must not run stale code.
    'cache-control': 'no-store',
    ...(isolate ? ISOLATION : {}),
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
  return 200;
}
