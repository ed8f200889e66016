/**
 * IDX files on disk (Node): reading, with gzip detected by content and inflated with node:zlib,
 * and writing atomically. The format and its parser over bytes are in idx.ts.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { encodeIdx, isGzip, parseIdx, type IdxData, type IdxReadOptions } from './idx.ts';
import { writeFileAtomic } from './write-atomic.ts';

/**
 * Reads and validates an IDX file of unsigned bytes, raw or gzip-compressed (detected by content).
 *
 * @param file path of the file.
 * @param options `rank`: the number of dimensions the caller requires.
 * @returns `dims` and `data` (Π dims bytes, row-major).
 * @throws Error naming the path when the file is missing or unreadable, or anything
 *   {@link parseIdx} rejects.
 */
export function readIdx(file: string, options: IdxReadOptions = {}): IdxData {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`IDX file ${file}: not found`);
    if (code === 'EISDIR') throw new Error(`IDX file ${file}: is a directory, not a file`);
    throw new Error(`IDX file ${file}: cannot be read: ${(err as Error).message}`);
  }
  if (isGzip(bytes)) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (err) {
      throw new Error(`IDX file ${file}: starts with the gzip magic 0x1f8b but does not inflate: ${(err as Error).message}`);
    }
  }
  return parseIdx(bytes, file, options);
}

/** Options of {@link writeIdx}. */
export interface IdxWriteOptions {
  /** Compress with gzip; defaults to true when the path ends in `.gz`. */
  gzip?: boolean;
}

/**
 * Writes an IDX file of unsigned bytes, gzip-compressed if asked (or if the path ends in `.gz`).
 * The bytes go to a temporary file in the same folder, renamed over `file` once complete, so a
 * reader never sees half a file.
 *
 * @param file  destination path.
 * @param dims  1 to 255 dimensions, e.g. `[N, 28, 28]` for images, `[N]` for labels.
 * @param data  Π dims bytes, row-major.
 */
export function writeIdx(file: string, dims: readonly number[], data: Uint8Array, options: IdxWriteOptions = {}): void {
  const gzip = options.gzip ?? file.endsWith('.gz');
  const raw = encodeIdx(dims, data);
  const bytes = gzip ? zlib.gzipSync(raw) : raw;
  writeFileAtomic(file, bytes, 'writeIdx');
}
