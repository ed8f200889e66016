/**
 * The run behind `advgrad evaluate`: the standard evaluation of a model (APGD-CE, APGD-T and Square
 * in sequence, robustness/standard-evaluation.ts), the CROWN certified accuracy at the same ε (the
 * lower bound of the bracket), and optionally APGD-CE against steps and restarts. No I/O of its
 * own: progress goes to the caller's sink, and the caller writes the charts.
 */
import type { Module } from '../layers/module.ts';
import { certifiedTimed, countContradictions, type Certified } from '../robustness/bracket.ts';
import { convergence, CONVERGENCE_RESTARTS, CONVERGENCE_STEPS, type Convergence } from '../robustness/convergence.ts';
import { standardEvaluation, type StandardEvaluation } from '../robustness/standard-evaluation.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Engine } from '../train/engine.ts';
import type { ProgressSink } from './context.ts';

export interface EvaluateRunOptions {
  eps: number;
  clip: boolean;
  mean: Tensor;
  seed: number;
  full: boolean;
  steps?: number;
  queries?: number;
  targets: number;
  /** Also the CROWN certified accuracy at eps (the lower bound). */
  certify: boolean;
  /** Also APGD-CE against steps and restarts. */
  convergence: boolean;
}

export interface EvaluateRunResult {
  result: StandardEvaluation;
  certified: (Certified & { contradictions: number }) | null;
  study: Convergence | null;
}

/** The evaluation of `model` (computed on `engine`) on the images, as the options ask. */
export async function evaluateRun(
  model: Module, engine: Engine, images: Tensor, labels: Int32Array, options: EvaluateRunOptions, progress: Pick<ProgressSink, 'task'>,
): Promise<EvaluateRunResult> {
  const base = { eps: options.eps, clip: options.clip, mean: options.mean, seed: options.seed };
  let stage = 0;
  let last = '';
  const result = await standardEvaluation(engine, images, labels, {
    ...base, full: options.full, steps: options.steps, queries: options.queries, targets: options.targets,
    onProgress: (attack, done, total) => {
      if (attack !== last) [last, stage] = [attack, stage + 1];
      progress.task(`[${stage}/${options.certify ? 5 : 4}] ${attack}`, done, total);
    },
  });
  let certified: (Certified & { contradictions: number }) | null = null;
  if (options.certify) {
    const { perImage, figure } = certifiedTimed(model, images, labels, { ...base, onProgress: (done, total) => progress.task('[5/5] CROWN certificates', done, total) });
    certified = { ...figure, contradictions: countContradictions(perImage, result.correct) };
  }
  let study: Convergence | null = null;
  if (options.convergence) {
    study = await convergence(engine, images, labels, { ...base, steps: options.steps ?? 100 }, {
      steps: CONVERGENCE_STEPS, restarts: CONVERGENCE_RESTARTS, onProgress: (s, done, total) => progress.task(s, done, total),
    });
  }
  return { result, certified, study };
}
