import { existsSync } from 'node:fs';
import { config as loadDotenvFile } from 'dotenv';
import { UserError } from './exit-codes.ts';
import { fromRoot } from './paths.ts';

let loaded = false;

/**
 * Loads `.env` from the repository root (or DOTENV_PATH) once. Variables already in the
 * environment win over the file; flags win over both (see `setting`).
 */
export function loadDotenv(): void {
  if (loaded) return;
  loaded = true;
  const path = process.env.DOTENV_PATH ?? fromRoot('.env');
  if (existsSync(path)) loadDotenvFile({ path, override: false, quiet: true });
}

/** Flag, then environment variable, then default: the one precedence rule of the toolkit. */
export function setting(flag: string | undefined, envName: string, fallback: string): string;
export function setting(flag: string | undefined, envName: string, fallback?: string): string | undefined;
export function setting(flag: string | undefined, envName: string, fallback?: string): string | undefined {
  if (flag !== undefined && flag !== '') return flag;
  const fromEnv = process.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return fallback;
}

/** Parses a non-negative integer setting, naming the flag/variable when it is not one. */
export function nonNegativeInt(value: string, name: string): number {
  if (!/^\d+$/.test(value.trim())) {
    throw new UserError(`${name} must be a whole number of zero or more, got '${value}'`, `e.g. ${name}=60`);
  }
  return Number(value.trim());
}

/** Reads a required setting, failing with the names to set when it is absent. */
export function requireSetting(value: string | undefined, flagName: string, envName: string): string {
  if (value === undefined || value === '') {
    throw new UserError(
      `missing ${flagName}`,
      `pass ${flagName} or set ${envName} (in the environment or .env)`,
    );
  }
  return value;
}

/** A repeatable flag's values, else the environment variable split on commas or spaces. */
export function listSetting(flags: string[] | undefined, envName: string): string[] {
  if (flags && flags.length > 0) return flags;
  return (process.env[envName] ?? '').split(/[\s,]+/).filter(Boolean);
}
