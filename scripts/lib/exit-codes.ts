/** Exit codes shared by every script, so cron, CI and the task lists can tell outcomes apart. */
export const ExitCode = {
  ok: 0,
  /** The run finished but part of the work failed (e.g. some files could not be moved). */
  partialFailure: 1,
  /** Bad flags, bad configuration or bad input paths: nothing was changed. */
  usage: 2,
  /** Another run holds the lock: nothing was changed. */
  busy: 3,
  /** A required tool is missing or a daemon is unreachable: nothing was changed. */
  missingPrerequisite: 4,
  /** Stopped by SIGINT/SIGTERM. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the user can fix: printed as a message plus a hint, never as a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: ExitCodeValue = ExitCode.usage,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
