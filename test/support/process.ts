import { spawn } from 'node:child_process';

export interface ProcessResult {
  /** Exit code; 1 when the process was killed by a signal. */
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order, as a terminal would show them. */
  output: string;
}

/** Runs a command to completion (no shell) and captures its output; never throws on exit codes. */
export function runProcess(
  cmd: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = cmd;
    const child = spawn(file as string, args, { cwd: options.cwd, env: options.env ?? process.env });
    const result = { stdout: '', stderr: '', output: '' };
    child.stdout.on('data', (d) => {
      result.stdout += d;
      result.output += d;
    });
    child.stderr.on('data', (d) => {
      result.stderr += d;
      result.output += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, ...result }));
    child.stdin.end(options.input ?? '');
  });
}
