#!/usr/bin/env -S npx --no-install tsx
import { Listr } from 'listr2';
import { isMain, runMain } from '../scripts/lib/cli.ts';
import { UserError } from '../scripts/lib/exit-codes.ts';
import { runList } from './lib/outcome.ts';
import {
  askTarget,
  confirm,
  listOptions,
  missingFlag,
  openSession,
  parseTarget,
  TARGET_OPTIONS,
  type Target,
} from './lib/session.ts';
import { preflight, runStep } from './lib/steps.ts';

export interface TeardownContext {
  target?: Target;
  cluster: string;
}

const spec = {
  command: 'npx tsx tasks/teardown.ts',
  summary:
    'Remove what `task deploy` created: the kind cluster (or only the Helm release with --keep-cluster), ' +
    'the compose stack, or the Helm release on the KUBECONFIG cluster. Asks on a terminal.',
  options: {
    target: TARGET_OPTIONS.target!,
    yes: TARGET_OPTIONS.yes!,
    cluster: { type: 'string' as const, value: 'NAME', description: 'kind cluster name (default shipay)' },
    volumes: { type: 'boolean' as const, description: 'compose: also delete the data volumes' },
    'keep-cluster': {
      type: 'boolean' as const,
      description: 'kind: uninstall the release, keep the cluster',
    },
    release: { type: 'string' as const, value: 'NAME', description: 'Helm release (default shipay)' },
    namespace: { type: 'string' as const, value: 'NS', description: 'Kubernetes namespace (default shipay)' },
  },
  examples: [
    'npx tsx tasks/teardown.ts --target kind --yes',
    'npx tsx tasks/teardown.ts --target compose --yes',
  ],
};

export async function main(argv?: string[]): Promise<number> {
  const session = openSession(spec, argv);
  const { cli, interactive, step } = session;
  const yes = cli.flag('yes') || cli.dryRun;
  const keepCluster = cli.flag('keep-cluster');
  const ctx: TeardownContext = {
    target: parseTarget(cli.str('target')),
    cluster: cli.str('cluster') ?? 'shipay',
  };
  if (!interactive) {
    if (!ctx.target) throw missingFlag('--target', '--target kind');
    if (!yes) throw missingFlag('--yes', '--yes');
  }
  const uninstallsRelease = (c: TeardownContext) =>
    c.target === 'cluster' || (c.target === 'kind' && keepCluster);
  const list = new Listr<TeardownContext>(
    [
      {
        title: 'Choose what to remove',
        skip: () => (ctx.target && yes ? 'given by flags' : false),
        task: async (c, task) => {
          c.target ??= await askTarget(task, ['kind', 'compose']);
          if (!yes && !(await confirm(task, `Remove the ${c.target} deployment?`))) {
            throw new UserError('cancelled, nothing removed', 'answer yes, or pass --yes');
          }
        },
      },
      {
        title: 'Preflight',
        task: async (c, task) => {
          const tools = c.target === 'compose' ? ['docker'] : uninstallsRelease(c) ? ['helm'] : ['kind'];
          task.title = `Preflight: ${tools.join(', ')}`;
          await preflight(cli.runner, tools);
        },
      },
      {
        title: 'Uninstall the Helm release',
        enabled: uninstallsRelease,
        task: async (c) => {
          await cli.runner.run([
            'helm',
            'uninstall',
            cli.str('release') ?? 'shipay',
            '--namespace',
            cli.str('namespace') ?? 'shipay',
            '--wait',
            '--ignore-not-found',
            ...(c.target === 'kind' ? ['--kube-context', `kind-${c.cluster}`] : []),
          ]);
        },
      },
      {
        title: 'Delete the kind cluster',
        enabled: (c) => c.target === 'kind',
        skip: () => (keepCluster ? 'kept by --keep-cluster' : false),
        task: (c) => runStep(step, 'kind-down', ['--name', c.cluster]),
      },
      {
        title: 'Stop the compose stack',
        enabled: (c) => c.target === 'compose',
        task: () => runStep(step, 'compose', ['down', ...(cli.flag('volumes') ? ['--volumes'] : [])]),
      },
    ],
    listOptions(session, ctx),
  );
  return runList(list, cli.log);
}

if (isMain(import.meta.url)) await runMain(() => main());
