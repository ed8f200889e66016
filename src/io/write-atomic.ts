/**
 * Writing a file so that no reader ever sees it half-written: the bytes go to a fresh temporary
 * name in the same directory, are fsynced, and the temporary is renamed over the target (a rename
 * within one file system is atomic). A crash leaves either the old file or the new one, complete,
 * and a failure removes the temporary.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes `data` to `path` atomically. Errors name the caller (`what`) and the path, and say when the
 * directory does not exist.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string, what = 'write'): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx'); // wx: never reuse an existing file
    for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== null) closeQuietly(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // Not created, or already renamed: nothing to clean up.
    }
    const code = (err as NodeJS.ErrnoException).code;
    const dir = dirname(path);
    const reason = code === 'ENOENT' && !existsSync(dir) ? `directory ${dir} does not exist` : (err as Error).message;
    throw new Error(`${what}: cannot write ${path}: ${reason}`, { cause: err });
  }
  // Make the rename itself durable. Directories cannot be opened for fsync everywhere (Windows).
  try {
    const dirFd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeQuietly(dirFd);
    }
  } catch {
    // Best effort only: the file is complete either way.
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed or invalid: nothing more to do.
  }
}
