/**
 * A run's output folder as the experiment's output sink (experiment/context.ts): text files and
 * pictures written atomically, checkpoints saved, the per-epoch log appended line by line to
 * epochs.jsonl. Node only.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckpointContents } from './checkpoint.ts';
import { saveCheckpoint } from './checkpoint-file.ts';
import { writePng } from './png.ts';
import { writeFileAtomic } from './write-atomic.ts';

/** The files of a run in `dir`, each by its name; `what` names the writer in errors. */
export function runFolder(dir: string, what: string) {
  const log = join(dir, 'epochs.jsonl');
  return {
    startEpochLog: (): void => writeFileSync(log, ''),
    epoch: (entry: object): void => appendFileSync(log, `${JSON.stringify(entry)}\n`),
    checkpoint: (name: string, contents: CheckpointContents): void => saveCheckpoint(join(dir, name), contents),
    text: (name: string, text: string): void => writeFileAtomic(join(dir, name), text, what),
    png: (name: string, image: { width: number; height: number; pixels: Uint8Array }): void => writePng(join(dir, name), image.width, image.height, image.pixels),
  };
}
