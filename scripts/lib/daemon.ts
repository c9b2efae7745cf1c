import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { StopWaiting, waitFor } from './wait.ts';

export interface DaemonOptions {
  /** Where the process's stdout and stderr go (appended). */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  /** Shown when the executable cannot be started, e.g. `apt-get install prometheus`. */
  installHint?: string;
}

/** A long-running local process (a server under test) with its output in a log file. */
export class Daemon {
  readonly child: ChildProcess;
  private spawnError: Error | undefined;

  constructor(
    /** Name used in messages. */
    readonly name: string,
    file: string,
    args: readonly string[],
    private readonly options: DaemonOptions,
  ) {
    const log = openSync(options.logFile, 'a');
    this.child = spawn(file, args, { env: options.env ?? process.env, stdio: ['ignore', log, log] });
    closeSync(log); // the child has its own copy
    this.child.once('error', (error) => {
      this.spawnError = error;
    });
  }

  get running(): boolean {
    return !this.spawnError && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Polls `ready` until it answers true; gives up at once if the process could not start or exited. */
  async waitReady(
    what: string,
    ready: () => Promise<boolean>,
    timing?: { timeoutMs?: number; intervalMs?: number },
  ): Promise<void> {
    const hint = this.options.installHint ? ` (${this.options.installHint})` : '';
    await waitFor(
      what,
      async () => {
        if (this.spawnError)
          throw new StopWaiting(`cannot run ${this.name}${hint}: ${this.spawnError.message}`);
        if (this.child.exitCode !== null)
          throw new StopWaiting(`${this.name} exited with ${this.child.exitCode}`);
        return (await ready()) ? true : undefined;
      },
      timing,
    );
  }

  /** SIGTERM, then waits up to `graceMs`; with `killAfterGrace`, SIGKILL if it is still running. */
  async stop(graceMs: number, { killAfterGrace = false } = {}): Promise<void> {
    if (!this.running) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const ended = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!ended && killAfterGrace) this.child.kill('SIGKILL');
  }
}
