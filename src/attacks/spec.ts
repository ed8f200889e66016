/**
 * One shape for every attack: a name and its options, serialisable (the worker engine sends it to
 * its threads, the CLI builds it from flags, reports print it), so that evaluation, the engines and
 * the command line take any attack, not FGSM alone.
 *
 *   { attack: 'fgsm',  eps, pixelRange?, clip?, mean?, labelMode?, targeted? }
 *   { attack: 'pgd',   eps, …, steps?, stepSize?, randomStart?, restarts?, loss?, earlyStop?, seed? }
 *   { attack: 'bim',   the same as pgd, always without random start }
 *   { attack: 'noise', eps, pixelRange?, clip?, mean?, seed? }
 *   { attack: 'apgd',  eps, pixelRange?, clip?, mean?, labelMode?, seed?, steps?, restarts?, loss?, targets?, firstRestart? }
 *   { attack: 'square', eps, pixelRange?, clip?, mean?, labelMode?, seed?, queries?, pInit? }
 *
 * Units: ε (and PGD's stepSize) is a fraction of the pixel range pixelRange (default 255, grey
 * levels), as in every attack (attack.ts).
 */
import type { Module } from '../layers/module.ts';
import { Tensor, type FloatArray } from '../tensor/tensor.ts';
import { checkAttackOptions, PIXEL_RANGE, type ExampleIndex } from './attack.ts';
import { checkFgsmOptions, fgsm, type FgsmOptions } from './fgsm.ts';
import { noise, type NoiseOptions } from './noise.ts';
import { checkPgdOptions, pgd, type PgdOptions } from './pgd.ts';
import { apgd, checkApgdOptions, type ApgdOptions } from './apgd.ts';
import { checkSquareOptions, square, SQUARE_QUERIES, type SquareOptions } from './square.ts';

export type AttackSpec =
  | ({ attack: 'fgsm' } & FgsmOptions)
  | ({ attack: 'pgd' } & PgdOptions)
  | ({ attack: 'bim' } & Omit<PgdOptions, 'randomStart'>)
  | ({ attack: 'noise' } & NoiseOptions)
  | ({ attack: 'apgd' } & ApgdOptions)
  | ({ attack: 'square' } & SquareOptions);

export type AttackName = AttackSpec['attack'];
export const ATTACK_NAMES: readonly AttackName[] = ['fgsm', 'pgd', 'bim', 'noise', 'apgd', 'square'];

/** Throws a clear error unless `spec` names a known attack with valid options (for x and labels if given). */
export function checkAttackSpec(spec: AttackSpec, x?: Tensor, labels?: ArrayLike<number>): void {
  switch (spec?.attack) {
    case 'fgsm':
      return checkFgsmOptions(spec, x, labels);
    case 'pgd':
    case 'bim':
      return checkPgdOptions(spec, x, labels, spec.attack);
    case 'noise':
      return checkAttackOptions('noise', spec, x, labels);
    case 'apgd':
      return checkApgdOptions(spec, x, labels);
    case 'square':
      return checkSquareOptions(spec, x, labels);
    default:
      throw new RangeError(`attack: unknown attack '${String((spec as { attack?: unknown })?.attack)}' (known: ${ATTACK_NAMES.join(', ')})`);
  }
}

/**
 * Adversarial examples of x under `spec`.
 * @param x [N, C, H, W] mean-subtracted inputs   @param labels [N] true labels
 * @param index the data-set index of row 0, or of every row (seeds the per-example random streams)
 * @returns x_adv [N, C, H, W]
 */
export function runAttack(model: Module, x: Tensor, labels: ArrayLike<number>, spec: AttackSpec, index: ExampleIndex = 0): Tensor {
  switch (spec.attack) {
    case 'fgsm':
      return fgsm(model, x, labels, spec);
    case 'pgd':
      return pgd(model, x, labels, spec, index);
    case 'bim':
      checkAttackSpec(spec, x, labels); // errors name BIM, not the PGD it runs
      return pgd(model, x, labels, { ...spec, randomStart: false }, index);
    case 'noise':
      checkAttackSpec(spec, x, labels);
      return noise(x, spec, index);
    case 'apgd':
      return apgd(model, x, labels, spec, index);
    case 'square':
      return square(model, x, labels, spec, index);
    default:
      checkAttackSpec(spec);
      throw new Error('unreachable');
  }
}

/** The spec for rows [start, end) of a batch: given targets are cut to those rows. */
export function sliceSpec(spec: AttackSpec, start: number, end: number): AttackSpec {
  if (!('targeted' in spec) || spec.targeted === undefined || spec.targeted === 'least-likely') return spec;
  return { ...spec, targeted: Array.prototype.slice.call(spec.targeted, start, end) as number[] };
}

/** A spec as a structured clone carries it: the mean image as plain data, targets as an array. */
export type AttackSpecWire = Omit<AttackSpec, 'mean' | 'targeted'> & {
  mean?: { data: FloatArray; shape: number[] };
  targeted?: 'least-likely' | number[];
};

export function toWire(spec: AttackSpec): AttackSpecWire {
  const { mean, ...rest } = spec;
  const targeted = 'targeted' in spec && spec.targeted !== undefined && spec.targeted !== 'least-likely' ? Array.from(spec.targeted) : (spec as FgsmOptions).targeted;
  return { ...rest, targeted, mean: mean === undefined ? undefined : { data: mean.data, shape: [...mean.shape] } } as AttackSpecWire;
}

export function fromWire(wire: AttackSpecWire): AttackSpec {
  const { mean, ...rest } = wire;
  return { ...rest, mean: mean === undefined ? undefined : new Tensor(mean.data, mean.shape) } as AttackSpec;
}

/** What an option means when a spec leaves it out, per attack (so that { restarts: 1 } and {} name the same run). */
const OMITTED: Readonly<Partial<Record<AttackName, Readonly<Record<string, unknown>>>>> = {
  apgd: { clip: false, labelMode: 'true', seed: 0, pixelRange: PIXEL_RANGE, steps: 100, restarts: 1, firstRestart: 0, loss: 'ce', targets: 0 },
  square: { clip: false, labelMode: 'true', seed: 0, pixelRange: PIXEL_RANGE, queries: SQUARE_QUERIES, pInit: 0.8 },
};

/**
 * True when `a` and `b` are the same attack run: the same name, the same mean image (the same
 * object), and every other option equal once an omitted option takes its default. Since each
 * image's attack depends only on the spec and its own data-set index (attack.ts), two such runs
 * give every image the same example, so the outcome of one can stand in for the other. A false
 * "different" only costs a rerun; options compared by reference (target arrays) never match.
 */
export function sameAttack(a: AttackSpec, b: AttackSpec): boolean {
  if (a.attack !== b.attack || a.mean !== b.mean) return false;
  const omitted = OMITTED[a.attack] ?? {};
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(x), ...Object.keys(y)])) {
    if (key !== 'mean' && (x[key] ?? omitted[key]) !== (y[key] ?? omitted[key])) return false;
  }
  return true;
}

/** A one-line name for reports: "PGD-40 (ce, α = 0.0156, random start, 1 restart)", "FGSM", … */
export function describeAttack(spec: AttackSpec): string {
  const extras: string[] = [];
  if ('targeted' in spec && spec.targeted !== undefined) extras.push(spec.targeted === 'least-likely' ? 'targeted: least likely class' : 'targeted');
  if ('labelMode' in spec && spec.labelMode === 'predicted') extras.push('predicted labels');
  if (spec.clip) extras.push('clipped');
  switch (spec.attack) {
    case 'fgsm':
      return ['FGSM', ...extras].join(', ');
    case 'noise':
      return ['random ±ε noise', ...extras].join(', ');
    case 'pgd':
    case 'bim': {
      const steps = spec.steps ?? 40;
      const alpha = spec.stepSize === undefined ? `2.5·ε/${steps}` : `${round(spec.stepSize)} (${round(spec.stepSize * (spec.pixelRange ?? PIXEL_RANGE))}${spec.pixelRange === undefined ? ' grey levels' : ' input units'})`;
      const restarts = 'restarts' in spec ? (spec.restarts ?? 1) : 1;
      const start = spec.attack === 'pgd' && spec.randomStart !== false;
      const name = `${start ? 'PGD' : 'BIM'}-${steps}`;
      return [`${name} (${spec.loss ?? 'ce'} loss, α = ${alpha}${restarts > 1 ? `, ${restarts} restarts` : ''})`, ...extras].join(', ');
    }
    case 'apgd': {
      const targets = spec.targets ?? 0;
      const name = targets > 0 ? 'APGD-T' : `APGD-${(spec.loss ?? 'ce').toUpperCase()}`;
      const restarts = spec.restarts ?? 1;
      const what = [`${spec.steps ?? 100} steps`, ...(targets > 0 ? [`${targets} target classes`] : []), ...(restarts > 1 ? [`${restarts} restarts`] : [])];
      return [`${name} (${what.join(', ')})`, ...extras].join(', ');
    }
    case 'square':
      return [`Square (${spec.queries ?? SQUARE_QUERIES} queries)`, ...extras].join(', ');
  }
}

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}
