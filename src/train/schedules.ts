/**
 * Adversarial-training schedules: which adversarial examples a step trains on, how much of the
 * step's loss they carry, and the ε warm-up.
 *
 *   'batch'    Goodfellow's J̃: each step, B/2 clean images and their FGSM examples made from the
 *              current model in the same pass (train/step.ts). B counts both halves.
 *   'epoch'    the seed's literal reading: FGSM examples of all N images once per epoch, then 2N
 *              shuffled samples. Its examples go stale while the model moves (see train.ts).
 *   'pgd'      Madry et al. 2018: each step, B images and their PGD-k examples (random start,
 *              k = 7 steps of α = 2.5·ε/k by default) made from the current model.
 *   'fgsm-rs'  Wong et al. 2020 ("Fast is better than free"): each step, B images and one projected
 *              sign step of α = 1.25·ε from a uniform start in the ε-ball, i.e. PGD with one step.
 *   'trades'   Zhang et al. 2019: each step, B images x and x_adv maximising KL(p(x) ‖ p(x_adv)) by
 *              k sign steps of α = 2.5·ε/k (k = 7 by default) from a small Gaussian start
 *              (attacks/kl-pgd.ts); the loss is CE(f(x), y) + β·KL(p(x) ‖ p(x_adv)), β = 6 by
 *              default, its gradient flowing through both predictions (train/step.ts).
 *
 * The loss of a step but TRADES's, with a = advRatio (the share of adversarial examples in the loss):
 *
 *   J̃ = (1 − a)·mean J(θ, x, y) + a·mean J(θ, x_adv, y)
 *
 * a = 1 trains on adversarial examples only (Madry, Wong; the default of 'pgd' and 'fgsm-rs');
 * a = ½ is Goodfellow's J̃ (the default of 'batch', whose numbers it keeps bit for bit). With a = 1
 * the clean forward/backward pass is skipped in 'pgd' and 'fgsm-rs'.
 *
 * ε warm-up (`epsRamp` = R epochs): training at full ε from the first step leaves this LeNet at
 * chance under PGD training (a PyTorch reference run, docs/performance.md), so ε may grow
 * linearly from 0, batch by batch, reaching its value at the last step of epoch R:
 *
 *   ε(e, s) = ε · min(1, ((e − 1)·S + s) / (R·S))     e ≥ 1 the epoch, s = 1..S the step in it
 *
 * PGD's step α follows ε(e, s) (α = 2.5·ε(e, s)/k), so the iterates always cross the current ball
 * 2.5 times. The random starts of the training attacks differ at every step: the attack's seed is
 * mixed from (run seed, epoch, step), and the example index inside it is the row's position in the
 * batch, so a step's examples depend on the batch alone, not on how it is cut into shards or workers.
 */
import { streamSeed, type LabelMode } from '../attacks/attack.ts';
import { checkFgsmOptions, type FgsmOptions } from '../attacks/fgsm.ts';
import type { KlPgdOptions } from '../attacks/kl-pgd.ts';
import type { AttackSpec } from '../attacks/spec.ts';

export type Schedule = 'batch' | 'epoch' | 'pgd' | 'fgsm-rs' | 'trades';
export const SCHEDULES: readonly Schedule[] = ['batch', 'epoch', 'pgd', 'fgsm-rs', 'trades'];

/** β of the 'trades' schedule when none is given (Zhang et al.'s MNIST and CIFAR value). */
export const DEFAULT_TRADES_BETA = 6;

/** PGD steps of the 'pgd' schedule when none are given (Madry's MNIST training used 40; 7 is CIFAR's and Wong's baseline). */
export const DEFAULT_TRAINING_PGD_STEPS = 7;

/** Wong et al.'s step for FGSM with random start, as a multiple of ε. */
export const FGSM_RS_STEP = 1.25;

export interface AdversarialTraining {
  /**
   * The training attack's ε (its full value, after any warm-up), clip, mean and label mode
   * ('true' by default as Madry and Goodfellow; 'predicted' avoids label leaking).
   */
  fgsm: FgsmOptions;
  /** 'batch' (default), 'epoch', 'pgd', 'fgsm-rs' or 'trades' (see the file header). */
  schedule?: Schedule;
  /** a, the share of adversarial examples in each step's loss, in [0, 1]. Default ½ for 'batch' and 'epoch', 1 for 'pgd' and 'fgsm-rs'; not for 'trades'. */
  advRatio?: number;
  /** Sign steps k of the 'pgd' and 'trades' schedules' attacks (default 7). */
  steps?: number;
  /** β, the weight of the KL term of the 'trades' schedule (default 6). */
  beta?: number;
  /** R: ε grows linearly from 0 over the first R epochs, batch by batch (default 0: full ε from the start). */
  epsRamp?: number;
}

/** The share of adversarial examples in the loss when none is given. */
export function defaultAdvRatio(schedule: Schedule): number {
  return schedule === 'pgd' || schedule === 'fgsm-rs' || schedule === 'trades' ? 1 : 0.5;
}

/** True for the schedules that make B fresh examples from B images every step ('pgd', 'fgsm-rs', 'trades'). */
export function isPerImageSchedule(schedule: Schedule): schedule is 'pgd' | 'fgsm-rs' | 'trades' {
  return schedule === 'pgd' || schedule === 'fgsm-rs' || schedule === 'trades';
}

/** Throws a RangeError naming the option, what was expected and what arrived. */
export function checkAdversarialTraining(adversarial: AdversarialTraining, batchSize: number): void {
  const { schedule = 'batch', advRatio, steps, epsRamp, beta } = adversarial;
  checkFgsmOptions(adversarial.fgsm);
  if (!SCHEDULES.includes(schedule)) throw new RangeError(`train: schedule must be one of ${SCHEDULES.join(', ')}, got '${String(schedule)}'`);
  if (advRatio !== undefined && !(typeof advRatio === 'number' && advRatio >= 0 && advRatio <= 1)) {
    throw new RangeError(`train: advRatio (the share of adversarial examples in the loss) must be a number in [0, 1], got ${String(advRatio)}`);
  }
  if (steps !== undefined && !(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`train: steps (attack steps of the 'pgd' and 'trades' schedules) must be an integer ≥ 1, got ${String(steps)}`);
  if (steps !== undefined && schedule !== 'pgd' && schedule !== 'trades') throw new RangeError(`train: steps applies to the 'pgd' and 'trades' schedules only, not '${schedule}'`);
  if (beta !== undefined && schedule !== 'trades') throw new RangeError(`train: beta applies to the 'trades' schedule only, not '${schedule}'`);
  if (beta !== undefined && !(typeof beta === 'number' && Number.isFinite(beta) && beta >= 0)) throw new RangeError(`train: beta (the weight of TRADES's KL term) must be a finite number ≥ 0, got ${String(beta)}`);
  if (advRatio !== undefined && schedule === 'trades') throw new RangeError("train: advRatio does not apply to the 'trades' schedule, whose loss is CE(x) + β·KL (set beta instead)");
  if (epsRamp !== undefined && !(Number.isInteger(epsRamp) && epsRamp >= 0)) throw new RangeError(`train: epsRamp must be a whole number of epochs ≥ 0, got ${String(epsRamp)}`);
  if (schedule === 'epoch') {
    if ((epsRamp ?? 0) > 0) throw new RangeError("train: epsRamp needs examples made every batch; the 'epoch' schedule makes them once per epoch");
    if (advRatio !== undefined && advRatio !== 0.5) throw new RangeError(`train: the 'epoch' schedule mixes N clean and N adversarial samples (advRatio ½), got advRatio ${advRatio}`);
  }
  if (schedule === 'batch' && batchSize % 2 !== 0) throw new RangeError(`train: the 'batch' schedule needs an even batch size (half clean, half adversarial), got ${batchSize}`);
}

/**
 * The warm-up factor ε(e, s)/ε = min(1, ((e − 1)·S + s) / (R·S)) of the file header.
 * @param rampEpochs R ≥ 0 (0: always 1)  @param epoch e ≥ 1  @param step s in 1..S  @param stepsPerEpoch S ≥ 1
 */
export function epsRampFactor(rampEpochs: number, epoch: number, step: number, stepsPerEpoch: number): number {
  if (rampEpochs <= 0) return 1;
  const done = (epoch - 1) * stepsPerEpoch + step;
  return Math.min(1, done / (rampEpochs * stepsPerEpoch));
}

/** ε at step s of epoch e: ε · epsRampFactor(R, e, s, S). */
export function rampedEps(eps: number, rampEpochs: number, epoch: number, step: number, stepsPerEpoch: number): number {
  const factor = epsRampFactor(rampEpochs, epoch, step, stepsPerEpoch);
  return factor === 1 ? eps : eps * factor;
}

/** What a training stream is for (beside attack.ts's STREAM purposes 1 and 2). */
const TRAINING_STREAM = 3;

/**
 * The attack that makes the examples of step s of epoch e in the 'pgd' and 'fgsm-rs' schedules,
 * at the (warmed-up) ε of that step. Every step runs to the end on every example (earlyStop off):
 * a training example should have the highest loss found, not merely the first that fools.
 */
export function trainingAttackSpec(adversarial: AdversarialTraining, eps: number, seed: number, epoch: number, step: number): AttackSpec {
  const { clip, mean, labelMode, pixelRange } = adversarial.fgsm;
  const base = {
    eps, ...(pixelRange === undefined ? {} : { pixelRange }), clip, mean, labelMode: labelMode as LabelMode | undefined,
    randomStart: true, earlyStop: false, seed: streamSeed(seed, epoch, step, TRAINING_STREAM),
  };
  if (adversarial.schedule === 'fgsm-rs') return { attack: 'pgd', ...base, steps: 1, stepSize: FGSM_RS_STEP * eps };
  const steps = adversarial.steps ?? DEFAULT_TRAINING_PGD_STEPS;
  return { attack: 'pgd', ...base, steps, stepSize: (2.5 * eps) / steps };
}

/**
 * The KL attack that makes the examples of step s of epoch e in the 'trades' schedule, at the
 * (warmed-up) ε of that step: k = steps (default 7) sign steps of α = 2.5·ε/k, the seed mixed
 * from (run seed, epoch, step) as the other training attacks'.
 */
export function tradesAttackOptions(adversarial: AdversarialTraining, eps: number, seed: number, epoch: number, step: number): KlPgdOptions {
  const { clip, mean, pixelRange } = adversarial.fgsm;
  const steps = adversarial.steps ?? DEFAULT_TRAINING_PGD_STEPS;
  return { eps, ...(pixelRange === undefined ? {} : { pixelRange }), clip, mean, seed: streamSeed(seed, epoch, step, TRAINING_STREAM), steps, stepSize: (2.5 * eps) / steps };
}
