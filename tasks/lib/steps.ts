import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, UserError } from '../../scripts/lib/exit-codes.ts';
import { fromRoot } from '../../scripts/lib/paths.ts';
import type { Runner } from '../../scripts/lib/runner.ts';
import { requireTools } from '../../scripts/lib/tools.ts';

/** What every task list passes down to the step scripts it chains. */
export interface StepOptions {
  runner: Runner;
  /** Propagated as --dry-run: each step prints its own commands instead of running them. */
  dryRun: boolean;
  json: boolean;
  /** Show the step's output live (plain renderer); otherwise it is captured and shown on failure. */
  stream: boolean;
}

/**
 * Runs `scripts/<name>.ts` as its own process, exactly as a user would
 * (`npx --no-install tsx scripts/<name>.ts ...`), so the task lists depend on the scripts'
 * documented flags only (docs/CONTRACT.md), never on their internals.
 */
export async function runStep(step: StepOptions, name: string, args: readonly string[]): Promise<void> {
  const cmd = [
    'npx',
    '--no-install',
    'tsx',
    `scripts/${name}.ts`,
    ...args,
    ...(step.dryRun ? ['--dry-run'] : []),
    ...(step.json ? ['--json'] : []),
  ];
  await step.runner.run(cmd, { cwd: fromRoot(), stream: step.stream });
}

/** Tools present on PATH, then the Docker daemon answering (`docker info`). */
export async function preflight(runner: Runner, tools: readonly string[]): Promise<void> {
  await requireTools(tools);
  if (!tools.includes('docker')) return;
  const info = await runner.query(['docker', 'info', '--format', '{{.ServerVersion}}'], { nothrow: true });
  if (info.exitCode !== 0) {
    throw new UserError(
      `the Docker daemon is not reachable: ${(info.stderr || info.stdout).trim().split('\n')[0] ?? ''}`,
      'start it (`sudo systemctl start docker`, or Docker Desktop) and check `docker info` works for this user',
      ExitCode.missingPrerequisite,
    );
  }
}

/** Names of the kind clusters that exist now (read-only, also under --dry-run). */
export async function kindClusters(runner: Runner): Promise<string[]> {
  const result = await runner.query(['kind', 'get', 'clusters'], { nothrow: true });
  if (result.exitCode !== 0) return [];
  return result.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('No kind clusters'));
}

/** GETs `url` until it answers 2xx or `timeoutMs` passes; the error names the last failure. */
export async function waitForHttp(url: string, timeoutMs: number, intervalMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt made';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last =
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : '?';
    }
    await sleep(intervalMs);
  }
  throw new Error(`smoke check failed: GET ${url} did not answer 2xx within ${timeoutMs / 1000}s (${last})`);
}
