/**
 * How a command's flags are declared (a type, a default and a help line each) and the text that
 * describes them: the expected kind of a value (for error messages) and the --help page; and the
 * usage page of `advgrad` itself, which lists the commands, and the paragraph that opens each
 * command's --help page and the longer flag help lines.
 */
import { VALIDATION_PGD_STEPS } from '../train/validation.ts';

export type FlagSpec =
  | { type: 'int'; default?: number; min?: number; help: string; placeholder?: string }
  | { type: 'number'; default?: number; min?: number; max?: number; help: string; placeholder?: string }
  | { type: 'numbers'; default?: readonly number[]; min?: number; max?: number; help: string; placeholder?: string }
  | { type: 'string'; default?: string; help: string; placeholder?: string }
  | { type: 'bool'; default?: boolean; help: string }
  | { type: 'enum'; choices: readonly string[]; default?: string; help: string };

export type FlagSpecs = Record<string, FlagSpec>;
export type FlagValues = Record<string, number | string | boolean | readonly number[] | undefined>;

/** What a value of the flag must be, e.g. 'a positive integer' or 'one of ibp, crown'. */
export function describe(spec: FlagSpec): string {
  switch (spec.type) {
    case 'int':
      return spec.min === undefined ? 'an integer' : spec.min === 0 ? 'a non-negative integer' : spec.min === 1 ? 'a positive integer' : `an integer ≥ ${spec.min}`;
    case 'number':
      if (spec.min !== undefined && spec.max !== undefined) return `a number in [${spec.min}, ${spec.max}]`;
      if (spec.min !== undefined) return `a number ≥ ${spec.min}`;
      return 'a number';
    case 'numbers':
      return `a comma-separated list of numbers${spec.min !== undefined && spec.max !== undefined ? ` in [${spec.min}, ${spec.max}]` : ''}`;
    case 'enum':
      return `one of ${spec.choices.join(', ')}`;
    case 'string':
      return 'a non-empty string';
    case 'bool':
      return 'true or false';
  }
}

/** The --help text: usage line, description and one line per flag with its default. */
export function formatHelp(command: string, description: string, specs: FlagSpecs): string {
  const lines = [`usage: advgrad ${command} [flags]     (in a clone: npm run ${command} -- [flags])`, '', description, '', 'flags:'];
  const entries = Object.entries(specs).map(([name, spec]) => {
    const value = spec.type === 'bool' ? '' : spec.type === 'enum' ? ` ${spec.choices.join('|')}` : ` ${('placeholder' in spec && spec.placeholder) || (spec.type === 'string' ? 'TEXT' : 'N')}`;
    const shown = Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default);
    return [`  --${name}${value}`, spec.help + (spec.default !== undefined ? ` (default: ${shown})` : '')];
  });
  const width = Math.max(...entries.map(([l]) => l.length)) + 2;
  for (const [left, right] of entries) lines.push(left.padEnd(width) + right);
  lines.push('  --help'.padEnd(width) + 'show this help');
  return lines.join('\n');
}

/** `advgrad --help` (and `advgrad` alone): the commands, one line each. */
export const COMMANDS_USAGE = `usage: advgrad <command> [flags]     (in a clone: npm run <command> -- [flags])

commands:
  reproduce   the whole experiment: train, attack, train adversarially, attack again; writes a report
  train       train the LeNet on MNIST (standard, or --adversarial), checkpoint every epoch
  eval        the five metrics of a checkpoint on the clean test set
  attack      FGSM, PGD, BIM or noise on a checkpoint: the five metrics, or accuracy against a list of ε
  audit       the checks that expose gradient masking, with verdicts, for a checkpoint
  evaluate    the standard evaluation (APGD-CE, APGD-T, Square): robust accuracy as an upper bound
  certify     certified accuracy (IBP or CROWN lower bounds) and certified radii of a checkpoint
  bench       speed benchmarks (advgrad bench --help)

Every command takes --help.`;

/** The paragraph under the usage line of each command's --help. */
export const COMMAND_DESCRIPTIONS: Record<string, string> = {
  train:
    "Train the paper's LeNet (or its variant, --arch lenet-relu) on MNIST (SGD, batch 100, lr 0.001, momentum 0.9, weight decay 5e-4), standard or adversarial (--schedule), checkpoint every epoch, and report the five metrics on the test set.",
  eval:
    'The five metrics of a checkpoint on the clean MNIST test set (the mean image comes from the checkpoint).',
  attack:
    'Attack a checkpoint on the MNIST test set and report the five metrics on the adversarial images, or, for a list of ε, the accuracy curve. The examples are made from that model (white-box).',
  audit:
    'Audit the robustness of a checkpoint: PGD against FGSM, curves in ε, chance at ε = 0.5, black-box transfer, random noise, label leaking, vanishing gradients, validity, Square against APGD, convergence; a verdict for each check.',
  evaluate:
    'The standard robustness evaluation of a checkpoint (AutoAttack\'s way): APGD-CE, APGD-T and the gradient-free Square attack in sequence; the robust accuracy after each and the worst case, as upper bounds with standard errors.',
  certify:
    'Certified accuracy of a checkpoint on the MNIST test set: the share of images whose every logit margin is provably positive for every input within ε (a lower bound of the robust accuracy; attacks give upper bounds).',
  reproduce:
    "Reproduce 'harnessing adversarial examples': train the LeNet, attack it with FGSM, train it adversarially, attack it again, and write report.md, results.json and examples.png beside the paper's numbers.",
};

/** `train --schedule`: what each schedule of adversarial examples does. */
export const SCHEDULE_FLAG_HELP =
  "adversarial examples: batch = FGSM every batch, ½ clean + ½ FGSM (default with --adversarial); epoch = FGSM once per epoch; pgd = PGD-k with random start every batch (Madry); fgsm-rs = one step of 1.25·ε from a random start (Wong); trades = CE(x) + β·KL(p(x) ‖ p(x̃)), x̃ maximising the KL by k sign steps (Zhang). Implies --adversarial";

/** `train --val-count`: the validation subset and what it decides. */
export const VAL_COUNT_FLAG_HELP =
  `validate on the last N training images (taken out of training): PGD-${VALIDATION_PGD_STEPS} accuracy every epoch, best epoch kept in best.ckpt, stop on a collapse (default 1000 for pgd and fgsm-rs, 0 otherwise)`;
