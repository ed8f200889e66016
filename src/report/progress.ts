/**
 * Progress on stderr (stdout stays clean for --json). On a TTY one line is redrawn in place:
 *   standard  epoch 2/3  batch 312/600  loss 0.0842  <rate>  ETA 0:27
 * (the rate in images per second).
 * Elsewhere (CI, a pipe) only one line per finished epoch is written.
 */
import { formatDuration } from './format.ts';
import type { BatchInfo, EpochInfo } from '../train/train.ts';

/** Where progress goes: a writable text stream (process.stderr in the commands). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class Progress {
  private readonly tty: boolean;
  private lastDraw = 0;
  private lineOpen = false;
  private taskLabel = '';
  private taskStart = 0;
  private taskFirst = 0;

  constructor(private readonly stream: ProgressStream, private readonly quiet = false) {
    this.tty = Boolean(stream.isTTY) && !quiet;
  }

  /** A free-form status line (always written unless quiet). */
  note(text: string): void {
    if (this.quiet) return;
    this.clear();
    this.stream.write(`${text}\n`);
  }

  batch(phase: string, epochs: number, info: BatchInfo): void {
    if (!this.tty) return;
    const now = performance.now();
    if (now - this.lastDraw < 200 && info.batch !== info.batches) return;
    this.lastDraw = now;
    const rate = info.samples / Math.max(info.seconds, 1e-9);
    const eta = (info.seconds / info.batch) * (info.batches - info.batch);
    this.draw(`${phase}  epoch ${info.epoch}/${epochs}  batch ${info.batch}/${info.batches}  loss ${info.loss.toFixed(4)}  ${rate.toFixed(0)} img/s  ETA ${formatDuration(eta)}`);
  }

  private draw(line: string): void {
    // Fit the terminal so the line never wraps (a wrapped line cannot be redrawn in place); a
    // pseudo-terminal may report 0 columns, then assume 100.
    const columns = (this.stream.columns ?? 0) > 20 ? this.stream.columns! - 1 : 100;
    this.stream.write(`\r\x1b[2K${line.slice(0, columns)}`);
    this.lineOpen = true;
  }

  /** Progress of a long evaluation (an attack over the test images): one redrawn line on a TTY. */
  task(label: string, done: number, total: number): void {
    if (!this.tty) return;
    const now = performance.now();
    if (label !== this.taskLabel) {
      // the first report comes after the first batch: rates count from there
      this.taskLabel = label;
      this.taskStart = now;
      this.taskFirst = done;
    }
    if (now - this.lastDraw < 200 && done !== total) return;
    this.lastDraw = now;
    const rate = (done - this.taskFirst) / Math.max((now - this.taskStart) / 1000, 1e-9);
    const eta = rate > 0 ? (total - done) / rate : NaN;
    this.draw(`${label}  ${done}/${total}${rate > 0 ? `  ${rate.toFixed(0)} img/s` : ''}  ETA ${formatDuration(eta)}`);
  }

  epoch(phase: string, epochs: number, info: EpochInfo): void {
    this.note(`${phase}  epoch ${info.epoch}/${epochs}  loss ${info.loss.toFixed(4)}  ${info.samples} samples  ${info.seconds.toFixed(1)} s  ${(info.samples / info.seconds).toFixed(0)} img/s`);
  }

  private clear(): void {
    if (this.lineOpen) {
      this.stream.write('\r\x1b[2K');
      this.lineOpen = false;
    }
  }
}
