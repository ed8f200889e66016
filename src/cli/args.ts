/**
 * Command-line flags: a small declarative parser. Each command lists its flags with a type, a
 * default and a help line; anything else, or a value of the wrong kind, is an error that names the
 * flag, what was expected and what arrived. `--help` is handled by the caller.
 */

export type FlagSpec =
  | { type: 'int'; default?: number; min?: number; help: string; placeholder?: string }
  | { type: 'number'; default?: number; min?: number; max?: number; help: string; placeholder?: string }
  | { type: 'numbers'; default?: readonly number[]; min?: number; max?: number; help: string; placeholder?: string }
  | { type: 'string'; default?: string; help: string; placeholder?: string }
  | { type: 'bool'; default?: boolean; help: string }
  | { type: 'enum'; choices: readonly string[]; default?: string; help: string };

export type FlagSpecs = Record<string, FlagSpec>;
export type FlagValues = Record<string, number | string | boolean | readonly number[] | undefined>;

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

function describe(spec: FlagSpec): string {
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
