import { fromRoot } from '../../scripts/lib/paths.ts';
import { runProcess } from '../support/process.ts';

export const ROOT = fromRoot('.');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (no shell), capturing its output; never throws on exit codes. */
export function sh(
  cmd: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): Promise<Result> {
  return runProcess(cmd, { ...options, cwd: options.cwd ?? ROOT });
}

/** Like sh, but fails with the command's output when it exits non-zero. */
export async function must(cmd: string[], options: Parameters<typeof sh>[1] = {}): Promise<string> {
  const result = await sh(cmd, options);
  if (result.code !== 0) {
    throw new Error(
      `${cmd.join(' ')} exited ${result.code}\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`,
    );
  }
  return result.stdout;
}

/** A toolkit script run the way users run it (tsx), with the given environment. */
export function script(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  return sh([process.execPath, '--import', 'tsx', fromRoot('scripts', name), ...args], { env });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
