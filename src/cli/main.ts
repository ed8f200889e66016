#!/usr/bin/env node
/**
 * The advgrad command line: `npx advgrad <command> [flags]` after an install (the compiled
 * dist/src/cli/main.js, plain node), or in a clone `npm run <command> --` (this source, under tsx).
 * Commands: train, eval, attack, audit, evaluate, reproduce, bench. Every command takes --help.
 * Exit codes: 0 success, 1 failure (one line saying why), 2 bad usage, 130 interrupted.
 */
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { COMMAND_DESCRIPTIONS, COMMANDS_USAGE } from '../report/flag-help.ts';
import { CliError, formatHelp, parseFlags, type FlagSpecs, type FlagValues } from './args.ts';
import { ATTACK_FLAGS, attackCommand } from './attack-command.ts';
import { AUDIT_FLAGS, auditCommand } from './audit-command.ts';
import { CERTIFY_FLAGS, certifyCommand } from './certify-command.ts';
import { EVAL_FLAGS, evalCommand } from './eval-command.ts';
import { EVALUATE_FLAGS, evaluateCommand } from './evaluate-command.ts';
import { REPRODUCE_FLAGS, reproduceCommand } from './reproduce-command.ts';
import { TRAIN_FLAGS, trainCommand } from './train-command.ts';

const COMMANDS: Record<string, { flags: FlagSpecs; help: string; run: (flags: FlagValues) => Promise<void> }> = {
  train: { flags: TRAIN_FLAGS, help: COMMAND_DESCRIPTIONS.train, run: trainCommand },
  eval: { flags: EVAL_FLAGS, help: COMMAND_DESCRIPTIONS.eval, run: evalCommand },
  attack: { flags: ATTACK_FLAGS, help: COMMAND_DESCRIPTIONS.attack, run: attackCommand },
  audit: { flags: AUDIT_FLAGS, help: COMMAND_DESCRIPTIONS.audit, run: auditCommand },
  evaluate: { flags: EVALUATE_FLAGS, help: COMMAND_DESCRIPTIONS.evaluate, run: evaluateCommand },
  certify: { flags: CERTIFY_FLAGS, help: COMMAND_DESCRIPTIONS.certify, run: certifyCommand },
  reproduce: { flags: REPRODUCE_FLAGS, help: COMMAND_DESCRIPTIONS.reproduce, run: reproduceCommand },
};

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${COMMANDS_USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === 'bench') {
    // Benchmarks live in bench/ (nothing in src/ imports them); run them as their own process:
    // bench/main.ts from src/cli/main.ts under tsx, dist/bench/main.js from dist/src/cli/main.js.
    const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const script = fileURLToPath(new URL(`../../bench/main${extension}`, import.meta.url));
    const result = spawnSync(process.execPath, [...process.execArgv, script, ...rest], { stdio: 'inherit' });
    return result.status ?? 1;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`advgrad: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')}, bench)\n`);
    return 2;
  }
  try {
    const { values, help } = parseFlags(name, rest, command.flags);
    if (help) {
      process.stdout.write(`${formatHelp(name, command.help, command.flags)}\n`);
      return 0;
    }
    await command.run(values);
    return 0;
  } catch (e) {
    const error = e as Error;
    const code = e instanceof CliError ? e.exitCode : 1;
    const message = error.message.split('\n')[0];
    process.stderr.write(`advgrad ${message.startsWith(`${name}: `) ? message : `${name}: ${message}`}\n`);
    if (!(e instanceof CliError) && process.env.ADVGRAD_DEBUG) process.stderr.write(`${error.stack}\n`);
    return code;
  }
}

// Run when executed directly (not when imported, e.g. by a test). npx runs a symlink in
// node_modules/.bin, and Node reports the module under its real path.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
