#!/usr/bin/env -S npx tsx
import { kindClusterExists } from './kind-up.ts';
// Deletes the kind cluster made by kind-up.ts (and everything in it).
import { type CliSpec, isMain, parseCli, runMain } from './lib/cli.ts';
import { setting } from './lib/config.ts';
import { ExitCode } from './lib/exit-codes.ts';
import type { Runner } from './lib/runner.ts';
import { requireTools } from './lib/tools.ts';

export const spec: CliSpec = {
  command: 'npx tsx scripts/kind-down.ts',
  summary: 'Deletes the kind cluster; does nothing (exit 0) when it does not exist.',
  options: {
    name: {
      type: 'string',
      value: 'NAME',
      env: 'KIND_CLUSTER_NAME',
      description: 'cluster name (default shipay)',
    },
  },
  examples: ['npx tsx scripts/kind-down.ts', 'npx tsx scripts/kind-down.ts --name shipay --dry-run'],
  exitCodes: { [ExitCode.missingPrerequisite]: 'kind is not installed' },
};

/** Deletes the cluster when it exists; returns whether it did. */
export async function kindDown(runner: Runner, name: string): Promise<boolean> {
  if (!(await kindClusterExists(runner, name))) return false;
  await runner.run(['kind', 'delete', 'cluster', '--name', name], { stream: true });
  return true;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const cli = parseCli(spec, argv);
  await requireTools(['kind']);
  const name = setting(cli.str('name'), 'KIND_CLUSTER_NAME', 'shipay');
  const deleted = await kindDown(cli.runner, name);
  if (deleted)
    cli.log.info(cli.dryRun ? `would delete kind cluster ${name}` : `deleted kind cluster ${name}`);
  else cli.log.info(`kind cluster ${name} does not exist; nothing to delete`);
  return ExitCode.ok;
}

if (isMain(import.meta.url)) await runMain(main);
