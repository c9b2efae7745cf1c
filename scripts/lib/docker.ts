import { ExitCode, UserError } from './exit-codes.ts';
import type { Runner } from './runner.ts';
import { requireTools } from './tools.ts';

/**
 * Fails with ExitCode.missingPrerequisite when the docker client is missing or its daemon does
 * not answer. Under --dry-run an unreachable daemon is only reported, so a plan can be shown
 * anywhere.
 */
export async function requireDocker(runner: Runner, warn: (msg: string) => void): Promise<void> {
  await requireTools(['docker']);
  const info = await runner.query(['docker', 'version', '--format', '{{.Server.Version}}'], {
    nothrow: true,
  });
  if (info.exitCode === 0) return;
  const detail = (info.stderr || info.stdout).trim().split('\n').pop() ?? '';
  if (runner.dryRun) {
    warn(`the Docker daemon is unreachable (${detail}); a real run would stop here`);
    return;
  }
  throw new UserError(
    `the Docker daemon is unreachable: ${detail}`,
    'start it (`sudo systemctl start docker`, or `dockerd &`), check DOCKER_HOST, and that your user may use /var/run/docker.sock',
    ExitCode.missingPrerequisite,
  );
}

export async function imageExists(runner: Runner, ref: string): Promise<boolean> {
  const result = await runner.query(['docker', 'image', 'inspect', '--format', '{{.Id}}', ref], {
    nothrow: true,
  });
  return result.exitCode === 0;
}

/** Size in bytes of a local image, or undefined when it is absent. */
export async function imageSize(runner: Runner, ref: string): Promise<number | undefined> {
  const result = await runner.query(['docker', 'image', 'inspect', '--format', '{{.Size}}', ref], {
    nothrow: true,
  });
  return result.exitCode === 0 ? Number(result.stdout.trim()) : undefined;
}

export const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
