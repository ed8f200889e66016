/**
 * Command-line flags: a small declarative parser. Each command lists its flags with a type, a
 * default and a help line; anything else, or a value of the wrong kind, is an error that names the
 * flag, what was expected and what arrived. `--help` is handled by the caller.
 */
import { describe, type FlagSpec, type FlagSpecs, type FlagValues } from '../report/flag-help.ts';

export type { FlagSpec, FlagSpecs, FlagValues } from '../report/flag-help.ts';
export { formatHelp } from '../report/flag-help.ts';

/** The values under camelCase names ('limit-train' → limitTrain), as library options name them. */
export function camelCase(values: FlagValues): FlagValues {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), value]));
}

/** A user error: printed as one line, exit code 2 (usage) or 1 (anything else). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/**
 * Parses `--name value`, `--name=value` and boolean `--name` / `--no-name`.
 * @returns values by flag name (defaults filled in) and whether --help was asked for
 */
export function parseFlags(command: string, argv: readonly string[], specs: FlagSpecs): { values: FlagValues; help: boolean } {
  const values: FlagValues = {};
  for (const [name, spec] of Object.entries(specs)) values[name] = spec.default;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new CliError(`${command}: unexpected argument '${arg}' (flags look like --name value; see --help)`, 2);
    let name = arg.slice(2);
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    let negated = false;
    if (!(name in specs) && name.startsWith('no-') && specs[name.slice(3)]?.type === 'bool') {
      negated = true;
      name = name.slice(3);
    }
    const spec = specs[name];
    if (spec === undefined) {
      const known = Object.keys(specs).map((k) => `--${k}`).join(', ');
      throw new CliError(`${command}: unknown flag --${name} (known flags: ${known}; see --help)`, 2);
    }
    if (spec.type === 'bool') {
      if (inline !== undefined) {
        if (inline !== 'true' && inline !== 'false') throw new CliError(`${command}: --${name} takes no value or true/false, got '${inline}'`, 2);
        values[name] = inline === 'true';
      } else {
        values[name] = !negated;
      }
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined || (inline === undefined && raw.startsWith('--'))) {
      throw new CliError(`${command}: --${name} needs a value (${describe(spec)})`, 2);
    }
    values[name] = parseValue(command, name, raw, spec);
  }
  return { values, help };
}

function parseValue(command: string, name: string, raw: string, spec: FlagSpec): number | string | number[] {
  const bad = (): never => {
    throw new CliError(`${command}: --${name} must be ${describe(spec)}, got '${raw}'`, 2);
  };
  switch (spec.type) {
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) bad();
      const v = Number(raw);
      if (!Number.isSafeInteger(v) || (spec.min !== undefined && v < spec.min)) bad();
      return v;
    }
    case 'number': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) bad();
      if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) bad();
      return v;
    }
    case 'numbers': {
      if (raw.trim() === '') throw new CliError(`${command}: --${name} is an empty list; give ${describe(spec)}`, 2);
      return raw.split(',').map((part) => {
        const v = Number(part);
        if (part.trim() === '' || !Number.isFinite(v) || (spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
          throw new CliError(`${command}: --${name} must be ${describe(spec)}, got '${part.trim()}' in '${raw}'`, 2);
        }
        return v;
      });
    }
    case 'enum':
      if (!spec.choices.includes(raw)) bad();
      return raw;
    case 'string':
      if (raw === '') bad();
      return raw;
    default:
      return bad();
  }
}
