/**
 * Everything the report says about one model's robustness at ε: the audit (its FGSM and PGD curves,
 * checks and verdicts), PGD with and without clipping to the valid pixels, the worst case over
 * the attack suite and, with a budget, the bracket (bracket.ts): the standard evaluation run on the
 * suite's survivors (reusing the audit's APGD-CE and Square), giving the worst case over every
 * attack, the audit's included (the upper bound, the headline), and
 * the CROWN certified accuracy (the lower bound). What `reproduce` computes for each model it trains.
 */
import type { Surrogate } from './shifted-surrogate.ts';
import type { Module } from '../layers/module.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Engine } from '../train/engine.ts';
import { evaluateAttack } from './attack-evaluation.ts';
import { auditRun, type AuditResult } from './audit.ts';
import { robustnessBracket, type Bracket, type BracketBudget } from './bracket.ts';
import { defaultSuite, worstCase, type WorstCase } from './worst-case.ts';

export interface RobustnessSummary {
  eps: number;
  count: number;
  /** PGD steps of every PGD figure. */
  steps: number;
  accuracy: {
    clean: number;
    fgsm: number;
    /** PGD without clipping (the paper's convention) and with x_adv kept inside [0, 255]. */
    pgd: number;
    pgdClipped: number;
    /** The worst case over the PGD suite alone (defaultSuite). */
    worstCase: number;
    // the two below are optional so that results saved before the bracket still read
    /** CROWN certified accuracy at ε: the LOWER bound of the robust accuracy. */
    certified?: number;
    /** The worst case over the PGD suite and the standard evaluation after it: the UPPER bound, the headline. */
    upperBound?: number;
  };
  worstCase: Omit<WorstCase, 'correct'>;
  audit: AuditResult;
  /** Both bounds in full (absent before the bracket, or without a budget). */
  bracket?: Bracket;
}

export interface SummaryOptions {
  eps: number;
  /** Whether the headline figures (audit, worst case) clip; PGD is measured both ways regardless. */
  clip: boolean;
  /** The mean image [1, 1, H, W] (clipping needs it). */
  mean: Tensor;
  steps?: number;
  seed?: number;
  epsilons?: readonly number[];
  surrogate?: Surrogate;
  /** The audit's check 10 restart grid (default 1, 2, 4; the robust-trained models take 1, 2, 4, 8). */
  convergenceRestarts?: readonly number[];
  /** The standard evaluation's budget (bracket.ts, bracketBudget); absent: no bracket. */
  bracket?: BracketBudget;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** @param images [N, C, H, W] mean-subtracted  @param labels [N] */
export async function robustnessSummary(model: Module, engine: Engine, images: Tensor, labels: Int32Array, options: SummaryOptions): Promise<RobustnessSummary> {
  const { eps, clip, mean, seed = 0 } = options;
  const steps = options.steps ?? 40;
  const { result, outcomes, survivors: auditSurvivors } = await auditRun(model, images, labels, { eps, clip, mean, seed, steps, epsilons: options.epsilons, engine, surrogate: options.surrogate, convergenceRestarts: options.convergenceRestarts, onProgress: options.onProgress });
  const other = await evaluateAttack(engine, images, labels, { attack: 'pgd', eps, steps, clip: !clip, mean, seed }, {
    onProgress: (done, total) => options.onProgress?.(`PGD-${steps} ${clip ? 'unclipped' : 'clipped'}`, done, total),
  });
  const worst = await worstCase(engine, images, labels, defaultSuite({ eps, clip, mean, seed }, steps), {
    onProgress: (stage, done, total) => options.onProgress?.(`worst case: ${stage}`, done, total),
  });
  const { correct: survivors, ...worstCaseJson } = worst;
  const bracket = options.bracket === undefined ? undefined : await robustnessBracket(model, engine, images, labels, survivors, {
    eps, clip, mean, seed, budget: options.bracket, audit: { outcomes, survivors: auditSurvivors }, onProgress: (stage, done, total) => options.onProgress?.(`bracket: ${stage}`, done, total),
  });
  return {
    eps, count: result.count, steps,
    accuracy: {
      clean: result.accuracy.clean,
      fgsm: result.accuracy.fgsm,
      pgd: clip ? other.metrics.accuracy : result.accuracy.pgd,
      pgdClipped: clip ? result.accuracy.pgd : other.metrics.accuracy,
      worstCase: worst.accuracy,
      ...(bracket ? { certified: bracket.certified.accuracy, upperBound: bracket.upper } : {}),
    },
    worstCase: worstCaseJson,
    audit: result,
    ...(bracket ? { bracket } : {}),
  };
}
