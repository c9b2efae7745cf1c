import type { Listr } from 'listr2';
import { ExitCode } from '../../scripts/lib/exit-codes.ts';
import type { Logger } from '../../scripts/lib/logger.ts';
import { CommandFailedError } from '../../scripts/lib/runner.ts';

/**
 * Runs a list and maps a failed step to the toolkit's exit codes: a step's own usage (2),
 * busy (3) or missing-prerequisite (4) code is passed on, any other failure is 1. The list has
 * already shown which task failed; this adds the failing command. UserErrors go to runMain.
 */
// biome-ignore lint/suspicious/noExplicitAny: any context, any renderer
export async function runList(list: Listr<any, any, any>, log: Logger): Promise<number> {
  try {
    await list.run();
    return ExitCode.ok;
  } catch (error) {
    if (!(error instanceof CommandFailedError)) throw error;
    log.error(error.message);
    const code = error.result.exitCode;
    return [ExitCode.usage, ExitCode.busy, ExitCode.missingPrerequisite].includes(code as 2 | 3 | 4)
      ? code
      : ExitCode.partialFailure;
  }
}
