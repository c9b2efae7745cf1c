import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadDotenv } from './config.ts';
import { ExitCode, UserError } from './exit-codes.ts';
import { Logger } from './logger.ts';
import { Runner } from './runner.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  description: string;
  /** Placeholder shown in --help, e.g. DIR. */
  value?: string;
  /** Environment variable that also sets it (documented in --help). */
  env?: string;
  multiple?: boolean;
}

export interface CliSpec {
  /** How the script is invoked, e.g. `npx tsx scripts/build.ts`. */
  command: string;
  summary: string;
  /** Words after the command in the usage line, e.g. `install|uninstall|status`. */
  args?: string;
  options: Record<string, OptionSpec>;
  examples?: string[];
  exitCodes?: Record<number, string>;
}

/** Flags every script understands. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'show this help and exit' },
  'dry-run': { type: 'boolean', description: 'print the commands that would run, change nothing' },
  json: { type: 'boolean', description: 'log one JSON object per line' },
  quiet: { type: 'boolean', short: 'q', description: 'log only warnings and errors' },
  verbose: { type: 'boolean', short: 'v', description: 'also log debug lines and read-only commands' },
};

const DEFAULT_EXIT_CODES: Record<number, string> = {
  [ExitCode.ok]: 'success',
  [ExitCode.partialFailure]: 'finished, but part of the work failed',
  [ExitCode.usage]: 'bad flags, settings or paths; nothing changed',
  [ExitCode.missingPrerequisite]: 'a required tool or daemon is missing; nothing changed',
};

export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

export interface Cli {
  values: ParsedValues;
  positionals: string[];
  log: Logger;
  runner: Runner;
  dryRun: boolean;
  /** A string flag's value, or undefined. */
  str(name: string): string | undefined;
  /** A boolean flag's value. */
  flag(name: string): boolean;
}

export function helpText(spec: CliSpec): string {
  const options = { ...spec.options, ...COMMON_OPTIONS };
  const rows = Object.entries(options).map(([name, o]) => {
    const left = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    const env = o.env ? ` [env ${o.env}]` : '';
    return `  ${left.padEnd(30)} ${o.description}${env}`;
  });
  const codes = Object.entries({ ...DEFAULT_EXIT_CODES, ...spec.exitCodes }).map(
    ([code, text]) => `  ${code.padStart(3)}  ${text}`,
  );
  return [
    `Usage: ${spec.command}${spec.args ? ` ${spec.args}` : ''} [options]`,
    '',
    spec.summary,
    '',
    'Options:',
    ...rows,
    ...(spec.examples?.length ? ['', 'Examples:', ...spec.examples.map((e) => `  ${e}`)] : []),
    '',
    'Exit codes:',
    ...codes,
    '',
  ].join('\n');
}

/**
 * Parses argv strictly (unknown flags are errors), loads .env, and builds the logger and
 * runner every script shares. Prints --help and exits 0 when asked.
 */
export function parseCli(spec: CliSpec, argv: string[] = process.argv.slice(2)): Cli {
  loadDotenv();
  const options = { ...spec.options, ...COMMON_OPTIONS };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [
          name,
          { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
        ]),
      ),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UserError(message, `run \`${spec.command} --help\` for usage`);
  }
  const values = parsed.values as ParsedValues;
  if (values.help) {
    process.stdout.write(helpText(spec));
    process.exit(ExitCode.ok);
  }
  const log = new Logger({
    json: Boolean(values.json),
    quiet: Boolean(values.quiet),
    verbose: Boolean(values.verbose),
  });
  const dryRun = Boolean(values['dry-run']);
  return {
    values,
    positionals: parsed.positionals,
    log,
    runner: new Runner(log, dryRun),
    dryRun,
    str: (name) => {
      const v = values[name];
      return typeof v === 'string' ? v : undefined;
    },
    flag: (name) => values[name] === true,
  };
}

/** True when the module at `metaUrl` is the script node was started with. */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(fileURLToPath(metaUrl)) === realpathSync(entry);
  } catch {
    return false;
  }
}

/**
 * Runs a script's main function and turns its outcome into an exit code: a UserError
 * prints its message and hint (no stack trace); anything else is a bug and prints the stack.
 */
export async function runMain(main: () => Promise<number | undefined>): Promise<void> {
  try {
    const code = await main();
    process.exitCode = code ?? ExitCode.ok;
  } catch (error) {
    const fallback = new Logger({ json: process.argv.includes('--json') });
    if (error instanceof UserError) {
      fallback.error(error.message);
      if (error.hint) fallback.error(`how to fix: ${error.hint}`);
      process.exitCode = error.exitCode;
    } else {
      fallback.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = ExitCode.partialFailure;
    }
  }
}
