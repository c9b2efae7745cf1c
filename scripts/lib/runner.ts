import { $, type ProcessOutput } from 'zx';
import type { Logger } from './logger.ts';
import { formatCommand } from './shell-quote.ts';

export interface RunOptions {
  cwd?: string;
  /** Added to the inherited environment. */
  env?: Record<string, string | undefined>;
  /** Written to the command's stdin; never logged (use it for secrets). */
  input?: string;
  /** Show the command's own output live instead of capturing it. */
  stream?: boolean;
  /** Return the result instead of throwing on a non-zero exit. */
  nothrow?: boolean;
  /** Strings replaced by *** wherever the command line is printed. */
  redact?: readonly string[];
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  dryRun: boolean;
}

export class CommandFailedError extends Error {
  constructor(
    readonly command: string,
    readonly result: CommandResult,
  ) {
    const detail = (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n');
    super(`command failed (exit ${result.exitCode}): ${command}${detail ? `\n${detail}` : ''}`);
    this.name = 'CommandFailedError';
  }
}

/**
 * The single way scripts start processes. With dryRun, commands that change anything are
 * printed (`+ cmd`, copy-pasteable) instead of run; read-only `query` commands still run so
 * that a dry run shows the commands a real run would issue.
 */
export class Runner {
  /** Every command line this runner printed or ran, in order (tests read it). */
  readonly history: string[] = [];

  constructor(
    private readonly log: Logger,
    readonly dryRun = false,
  ) {}

  /** Runs a command that changes something; printed instead under --dry-run. */
  async run(cmd: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const shown = this.display(cmd, options);
    if (this.dryRun) {
      if (this.log.json) this.log.info('dry-run', { command: shown });
      else this.log.raw(`+ ${shown}`);
      return { exitCode: 0, stdout: '', stderr: '', dryRun: true };
    }
    this.log.info(`$ ${shown}`);
    return this.exec(cmd, shown, options);
  }

  /** Runs a read-only command (a lookup, a status check), also under --dry-run. */
  async query(cmd: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const shown = this.display(cmd, options);
    this.log.debug(`$ ${shown}`);
    return this.exec(cmd, shown, options);
  }

  private display(cmd: readonly string[], options: RunOptions): string {
    let shown = formatCommand(cmd);
    for (const secret of options.redact ?? []) if (secret) shown = shown.replaceAll(secret, '***');
    this.history.push(shown);
    return shown;
  }

  private async exec(cmd: readonly string[], shown: string, options: RunOptions): Promise<CommandResult> {
    const env = Object.fromEntries(
      Object.entries({ ...process.env, ...options.env }).filter(([, v]) => v !== undefined),
    ) as NodeJS.ProcessEnv;
    const shell = $({
      cwd: options.cwd ?? process.cwd(),
      env,
      quiet: !options.stream,
      verbose: false,
      nothrow: true,
      // Without input, stdin is /dev/null: a command that reads it gets EOF instead of hanging.
      ...(options.input ? { input: options.input } : {}),
      stdio: [
        options.input ? 'pipe' : 'ignore',
        options.stream ? 'inherit' : 'pipe',
        options.stream ? 'inherit' : 'pipe',
      ],
    });
    let output: ProcessOutput;
    try {
      output = await shell`${cmd}`;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const result = { exitCode: 127, stdout: '', stderr: message, dryRun: false };
      if (options.nothrow) return result;
      throw new CommandFailedError(shown, result);
    }
    const result = {
      exitCode: output.exitCode ?? 1,
      stdout: output.stdout,
      stderr: output.stderr,
      dryRun: false,
    };
    if (result.exitCode !== 0 && !options.nothrow) throw new CommandFailedError(shown, result);
    return result;
  }
}
