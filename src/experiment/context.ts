/**
 * What an experiment is given besides its settings: the data, where to compute, where its
 * progress and its files go, and how to stop. The experiment itself does no I/O: the caller
 * (the CLI, src/cli/reproduce-command.ts) supplies these, so this folder stays free of Node.
 */
import type { Dataset } from '../data/dataset.ts';
import type { CheckpointContents } from '../io/checkpoint.ts';
import type { Module } from '../layers/module.ts';
import type { EpochLogEntry, Results } from '../report/results.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Engine } from '../train/engine.ts';
import type { BatchInfo, EpochInfo } from '../train/train.ts';

/** MNIST with the mean training image subtracted from both sets. */
export interface ExperimentData {
  train: Dataset;
  test: Dataset;
  /** [1, 1, 28, 28], the mean of the training images used. */
  mean: Tensor;
  /** The same images before the mean was subtracted (pixels 0..255), for models centred otherwise. */
  raw?: { train: Dataset; test: Dataset };
}

/** Where progress goes (the CLI's Progress has this shape). */
export interface ProgressSink {
  note(text: string): void;
  batch(phase: string, epochs: number, info: BatchInfo): void;
  epoch(phase: string, epochs: number, info: EpochInfo): void;
  task(label: string, done: number, total: number): void;
}

/** Where the run's files go, each by its name beside report.md. */
export interface OutputSink {
  /** Starts the per-epoch log afresh (epochs.jsonl). */
  startEpochLog(): void;
  /** One more line of the per-epoch log. */
  epoch(entry: EpochLogEntry): void;
  checkpoint(name: string, contents: CheckpointContents): void;
  /** A text file (results.json, report.md, the charts). */
  text(name: string, text: string): void;
  /** A picture (examples.png), RGB rows top to bottom. */
  png(name: string, image: { width: number; height: number; pixels: Uint8Array }): void;
}

export interface ExperimentContext {
  data: ExperimentData;
  /** An engine for `model` with `workers` worker threads (0: this thread). */
  openEngine: (model: Module, workers: number) => Promise<Engine>;
  progress: ProgressSink;
  output: OutputSink;
  signal?: AbortSignal;
  /** The machine the run is on, stamped into results.json at the end. */
  machine?: () => NonNullable<Results['machine']>;
}
