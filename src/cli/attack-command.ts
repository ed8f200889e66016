/**
 * `npm run attack`: any attack (FGSM, PGD, BIM, noise, APGD, Square) on a checkpoint; for one ε the five metrics
 * on the adversarial test set, for a list of ε a robustness curve (accuracy ± standard error).
 */
import { ATTACK_NAMES, describeAttack, type AttackSpec } from '../attacks/spec.ts';
import { evaluateAttacks } from '../robustness/attack-evaluation.ts';
import { attackResultsJson, formatAttackText } from '../report/command-text.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { CliError, type FlagSpecs, type FlagValues } from './args.ts';
import { CHECKPOINT_FLAG, DATA_FLAGS, loadCheckpointModel, openEngine, prepareData, RUN_FLAGS } from './common.ts';
import { Progress } from '../report/progress.ts';

/** The flags that describe an attack (shared with audit and reproduce where they apply). */
export const ATTACK_SPEC_FLAGS: FlagSpecs = {
  attack: { type: 'enum', choices: ATTACK_NAMES, default: 'fgsm', help: 'fgsm; pgd (random start); bim (PGD without random start); noise (random ±ε signs); apgd (Auto-PGD); square (gradient-free)' },
  eps: { type: 'numbers', min: 0, max: 1, default: [0.25], help: 'ε as a fraction of the pixel range (0.25 = 63.75 grey levels); a comma-separated list gives a curve', placeholder: 'E[,E…]' },
  clip: { type: 'bool', default: false, help: 'keep the adversarial images inside the valid pixels [0, 255]' },
  steps: { type: 'int', min: 1, help: 'pgd/bim: gradient steps (default 40); apgd: (default 100)' },
  'step-size': { type: 'number', help: 'pgd/bim: step α as a fraction of the pixel range (default 2.5·ε/steps)' },
  restarts: { type: 'int', min: 1, help: 'pgd/apgd: random restarts, each example keeps its best (default 1)' },
  queries: { type: 'int', min: 2, help: 'square: forward passes per image at most (default 5000)' },
  targets: { type: 'int', min: 1, help: 'apgd: APGD-T, the targeted DLR loss towards each of the top N other classes' },
  'random-start': { type: 'bool', default: true, help: 'pgd: start from a random point of the ε-ball (--no-random-start gives BIM)' },
  loss: { type: 'enum', choices: ['ce', 'margin', 'dlr'], help: 'pgd/bim: cross-entropy, or the logit margin max_{j≠y} z_j − z_y (default ce); apgd: ce or dlr' },
  targeted: { type: 'enum', choices: ['least-likely'], help: "fgsm/pgd/bim: make the model predict each image's least likely class" },
  label: { type: 'enum', choices: ['true', 'predicted'], default: 'true', help: "fgsm/pgd/bim: attack the true label, or the model's prediction (no label leaking)" },
  seed: { type: 'int', min: 0, default: 0, help: 'seeds the random starts and the noise (per example, so any --workers gives the same result)' },
};

export const ATTACK_FLAGS: FlagSpecs = { ...CHECKPOINT_FLAG, ...ATTACK_SPEC_FLAGS, ...DATA_FLAGS, ...RUN_FLAGS };
/** The attack the flags describe, at ε = eps; flags that do not apply to it are an error. */
export function attackSpecFromFlags(command: string, flags: FlagValues, eps: number, mean: Tensor): AttackSpec {
  const name = flags.attack as AttackSpec['attack'];
  const iterative = name === 'pgd' || name === 'bim';
  const gradientSteps = iterative || name === 'apgd';
  const only = (flag: string, applies: boolean, to: string): void => {
    if (flags[flag] !== undefined && !applies) throw new CliError(`${command}: --${flag} applies to ${to} only, not to --attack ${name}`, 2);
  };
  only('steps', gradientSteps, 'pgd, bim and apgd');
  only('step-size', iterative, 'pgd and bim');
  only('loss', gradientSteps, 'pgd, bim and apgd');
  only('restarts', name === 'pgd' || name === 'apgd', 'pgd and apgd');
  only('targeted', iterative || name === 'fgsm', 'fgsm, pgd and bim');
  only('queries', name === 'square', 'square');
  only('targets', name === 'apgd', 'apgd');
  if (flags['random-start'] === false && name !== 'pgd') throw new CliError(`${command}: --no-random-start applies to pgd only`, 2);
  const base = { eps, clip: flags.clip as boolean, mean, seed: flags.seed as number };
  if (name === 'noise') return { attack: 'noise', ...base };
  const labels = { labelMode: flags.label as 'true' | 'predicted', targeted: flags.targeted as 'least-likely' | undefined };
  if (name === 'fgsm') return { attack: 'fgsm', ...base, ...labels };
  if (name === 'square') return { attack: 'square', ...base, labelMode: labels.labelMode, queries: flags.queries as number | undefined };
  if (name === 'apgd') {
    const loss = flags.loss as 'ce' | 'dlr' | 'margin' | undefined;
    if (loss === 'margin') throw new CliError(`${command}: --loss margin applies to pgd and bim; apgd takes ce or dlr`, 2);
    return { attack: 'apgd', ...base, labelMode: labels.labelMode, steps: flags.steps as number | undefined, restarts: flags.restarts as number | undefined, loss, targets: flags.targets as number | undefined };
  }
  if (flags.loss === 'dlr') throw new CliError(`${command}: --loss dlr applies to apgd only`, 2);
  const steps = flags.steps as number | undefined;
  const stepSize = flags['step-size'] as number | undefined;
  const pgd = { ...base, ...labels, steps, stepSize, loss: flags.loss as 'ce' | 'margin' | undefined };
  return name === 'bim' ? { attack: 'bim', ...pgd } : { attack: 'pgd', ...pgd, restarts: flags.restarts as number | undefined, randomStart: flags['random-start'] as boolean };
}

export async function attackCommand(flags: FlagValues): Promise<void> {
  const { model, path, checkpoint } = loadCheckpointModel('attack', flags);
  const data = prepareData(flags, checkpoint.meanImage);
  const epsilons = flags.eps as readonly number[];
  const specs = epsilons.map((eps) => attackSpecFromFlags('attack', flags, eps, data.mean));
  const progress = new Progress(process.stderr);
  const engine = await openEngine(model, flags.workers as number);
  try {
    const results = await evaluateAttacks(engine, data.test.images, data.test.labels, specs, (label, done, total) => progress.task(label, done, total));
    const n = data.test.labels.length;
    if (flags.json) {
      const { mean: _mean, ...attack } = specs[0]; // JSON shows the spec without the mean image
      process.stdout.write(`${JSON.stringify({ checkpoint: path, attack, description: describeAttack(specs[0]), results: attackResultsJson(results, n) })}\n`);
      return;
    }
    progress.note(`${describeAttack(specs[0])} on ${path}, ${n} test images`);
    process.stdout.write(`${formatAttackText(results, n)}\n`);
  } finally {
    await engine.close();
  }
}
