import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { ExitCode, UserError } from './exit-codes.ts';

/** How to get each external tool the toolkit drives; shown when one is missing. */
export const INSTALL_HINTS: Record<string, string> = {
  docker: 'install Docker Engine (https://docs.docker.com/engine/install/) or `apt-get install docker.io`',
  kind: 'go install sigs.k8s.io/kind@v0.30.0 (or see https://kind.sigs.k8s.io/docs/user/quick-start/#installation)',
  helm: 'go install helm.sh/helm/v3/cmd/helm@v3.19.0 (or see https://helm.sh/docs/intro/install/)',
  kubectl: 'see https://kubernetes.io/docs/tasks/tools/#kubectl',
  task: 'pip install go-task-bin==3.45.4 (or see https://taskfile.dev/installation/)',
  poetry: 'pip install poetry==2.2.1',
  crontab: 'apt-get install cron',
  systemctl: 'systemd is required for --with systemd; use --with cron on this machine',
};

/** Absolute path of an executable on PATH, or undefined. */
export async function which(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Fails with one message naming every missing tool and how to install it. */
export async function requireTools(names: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const name of names) if (!(await which(name))) missing.push(name);
  if (missing.length === 0) return;
  const hints = missing.map((name) => `  ${name}: ${INSTALL_HINTS[name] ?? 'install it and put it on PATH'}`);
  throw new UserError(
    `required tool${missing.length > 1 ? 's' : ''} not found on PATH: ${missing.join(', ')}`,
    `install:\n${hints.join('\n')}`,
    ExitCode.missingPrerequisite,
  );
}
