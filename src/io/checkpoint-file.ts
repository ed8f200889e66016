/**
 * Checkpoint files (Node): the bytes of checkpoint.ts, written atomically and read back with every
 * check of decodeCheckpoint; file-system problems become CheckpointErrors naming the path.
 */
import { readFileSync } from 'node:fs';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, type CheckpointContents } from './checkpoint.ts';
import { writeFileAtomic } from './write-atomic.ts';

/**
 * Writes a checkpoint atomically: to `${path}.tmp-<pid>-<random>` in the same directory, fsync,
 * then rename over `path`. A crash or error leaves either the old file or the new one, complete,
 * and no temporary file.
 */
export function saveCheckpoint(path: string, c: CheckpointContents): void {
  const bytes = encodeCheckpoint(c);
  try {
    writeFileAtomic(path, bytes, 'saveCheckpoint');
  } catch (err) {
    throw new CheckpointError((err as Error).message, { cause: err });
  }
}

/** Reads and validates a checkpoint file. */
export function loadCheckpoint(path: string): CheckpointContents {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a file' : (err as Error).message;
    throw new CheckpointError(`checkpoint ${path}: ${reason}`, { cause: err });
  }
  return decodeCheckpoint(bytes, path);
}
