#!/usr/bin/env -S npx --no-install tsx
import { Listr } from 'listr2';
import { ciRelease } from '../scripts/lib/ci-ref.ts';
import { isMain, runMain } from '../scripts/lib/cli.ts';
import { nonNegativeInt, setting } from '../scripts/lib/config.ts';
import { UserError } from '../scripts/lib/exit-codes.ts';
import { runList } from './lib/outcome.ts';
import {
  askTarget,
  askVersion,
  confirm,
  listOptions,
  missingFlag,
  openSession,
  parseTarget,
  TARGET_OPTIONS,
  type Target,
  versionSetting,
} from './lib/session.ts';
import { kindClusters, preflight, runStep, waitForHttp } from './lib/steps.ts';

const ENVIRONMENTS = ['dev', 'staging', 'production'];
const TOOLS: Record<Target, string[]> = {
  kind: ['docker', 'kind', 'helm', 'kubectl'],
  compose: ['docker'],
  cluster: ['helm', 'kubectl'],
};

export interface DeployContext {
  target?: Target;
  version?: string;
  /** Chart environment (values-<env>.yaml) for --target cluster. */
  env?: string;
  /** kind cluster name. */
  cluster: string;
  /** True once this run is about to create the kind cluster (so a failure may delete it). */
  clusterCreatedByRun: boolean;
}

const spec = {
  command: 'npx tsx tasks/deploy.ts',
  summary:
    'Build the images and deploy them: to a local kind cluster (Helm chart), to docker compose, or to ' +
    'the cluster KUBECONFIG points at (CI). Asks for what is missing on a terminal.',
  options: {
    ...TARGET_OPTIONS,
    env: {
      type: 'string' as const,
      value: 'dev|staging|production',
      env: 'DEPLOY_ENV',
      description: 'chart environment for --target cluster',
    },
    cluster: { type: 'string' as const, value: 'NAME', description: 'kind cluster name (default shipay)' },
    'skip-build': { type: 'boolean' as const, description: 'use images already built with this version' },
    'clean-on-failure': {
      type: 'boolean' as const,
      description: 'delete the kind cluster on failure if this run created it',
    },
    'from-ci': {
      type: 'boolean' as const,
      description: 'deploy the version and environment the GitLab ref publishes (implies --target cluster)',
    },
    'no-smoke': { type: 'boolean' as const, description: 'skip the smoke check after deploying' },
    'smoke-url': {
      type: 'string' as const,
      value: 'URL',
      env: 'SMOKE_URL',
      description: 'compose smoke check (default http://127.0.0.1:$API_HOST_PORT/health, port 8000)',
    },
    'smoke-timeout': {
      type: 'string' as const,
      value: 'SECONDS',
      description: 'how long the compose smoke check waits for 2xx (default 60)',
    },
  },
  examples: [
    'npx tsx tasks/deploy.ts                                   # on a terminal: asks target and version',
    'npx tsx tasks/deploy.ts --target kind --version 1.2.3 --yes --clean-on-failure',
    'npx tsx tasks/deploy.ts --target compose --version dev --yes --dry-run',
    'npx tsx tasks/deploy.ts --target cluster --env staging --version 1.2.0-rc.7 --yes',
  ],
};

export async function main(argv?: string[]): Promise<number> {
  const session = openSession(spec, argv);
  const { cli, interactive, step } = session;
  const yes = cli.flag('yes') || cli.dryRun;
  const fromCi = cli.flag('from-ci') ? ciRelease() : undefined;
  const ctx: DeployContext = {
    target: fromCi ? 'cluster' : parseTarget(cli.str('target')),
    version: fromCi?.version ?? versionSetting(cli),
    env: fromCi?.environment ?? setting(cli.str('env'), 'DEPLOY_ENV'),
    cluster: cli.str('cluster') ?? 'shipay',
    clusterCreatedByRun: false,
  };
  if (!interactive) {
    if (!ctx.target) throw missingFlag('--target', '--target kind');
    if (!ctx.version) throw missingFlag('--version', '--version 1.2.3 (or IMAGE_TAG=1.2.3)');
    if (!yes) throw missingFlag('--yes', '--yes');
  }
  if (ctx.target === 'cluster' && !ENVIRONMENTS.includes(ctx.env ?? '')) {
    throw new UserError(
      `--target cluster needs --env ${ENVIRONMENTS.join('|')}${ctx.env ? `, got '${ctx.env}'` : ''}`,
      'e.g. --target cluster --env staging (with KUBECONFIG pointing at that cluster)',
    );
  }
  const skipBuild = cli.flag('skip-build');
  const noSmoke = cli.flag('no-smoke');
  const smokeSeconds = nonNegativeInt(cli.str('smoke-timeout') ?? '60', '--smoke-timeout');

  const list = new Listr<DeployContext>(
    [
      {
        title: 'Choose target and version',
        skip: () => (ctx.target && ctx.version && yes ? 'given by flags' : false),
        task: async (c, task) => {
          c.target ??= await askTarget(task, ['kind', 'compose']);
          c.version ??= await askVersion(task, cli.runner);
          if (!yes && !(await confirm(task, `Deploy ${c.version} to ${c.target}?`))) {
            throw new UserError('cancelled, nothing changed', 'answer yes, or pass --yes');
          }
          task.title = `Deploy ${c.version} to ${c.target}`;
        },
      },
      {
        title: 'Preflight: tools and Docker daemon',
        task: async (c, task) => {
          const tools = TOOLS[c.target!];
          task.title = `Preflight: ${tools.join(', ')}${tools.includes('docker') ? ' and the Docker daemon' : ''}`;
          await preflight(cli.runner, tools);
        },
      },
      {
        title: 'Build images',
        skip: (c) => {
          if (skipBuild) return 'skipped by --skip-build';
          if (c.target === 'cluster') return 'the cluster pulls images the push stage published';
          return false;
        },
        task: (c) => runStep(step, 'build', ['--version', c.version!]),
      },
      {
        title: 'Deploy to kind',
        enabled: (c) => c.target === 'kind',
        task: (_c, task) =>
          task.newListr(
            [
              {
                title: 'Create the kind cluster and load the images',
                task: async (c) => {
                  c.clusterCreatedByRun = !(await kindClusters(cli.runner)).includes(c.cluster);
                  await runStep(step, 'kind-up', ['--name', c.cluster, '--version', c.version!]);
                },
              },
              {
                title: 'Install the chart (helm --atomic rolls a failed upgrade back) and smoke-test it',
                task: (c) =>
                  runStep(step, 'helm-install', [
                    '--env',
                    'kind',
                    '--version',
                    c.version!,
                    '--kube-context',
                    `kind-${c.cluster}`,
                    ...(noSmoke ? ['--no-smoke'] : []),
                  ]),
              },
            ],
            { exitOnError: true },
          ),
        rollback: async (c, task) => {
          if (!c.clusterCreatedByRun) {
            task.title = 'Deploy to kind failed; the cluster existed before this run and is kept';
          } else if (cli.flag('clean-on-failure')) {
            task.title = `Deleting kind cluster ${c.cluster}, created by this failed run (--clean-on-failure)`;
            await runStep(step, 'kind-down', ['--name', c.cluster]);
          } else {
            task.title = `Kept kind cluster ${c.cluster} for debugging: task kind:down removes it (or pass --clean-on-failure)`;
          }
        },
      },
      {
        title: 'Install the chart on the cluster (helm --atomic) and smoke-test it',
        enabled: (c) => c.target === 'cluster',
        task: async (c, task) => {
          task.title = `Install the chart on ${c.env} (helm --atomic) and smoke-test it`;
          await runStep(step, 'helm-install', [
            '--env',
            c.env!,
            '--version',
            c.version!,
            ...(noSmoke ? ['--no-smoke'] : []),
          ]);
        },
      },
      {
        title: 'Start the stack with docker compose (up --wait)',
        enabled: (c) => c.target === 'compose',
        task: (c) => runStep(step, 'compose', ['up', '--wait', '--version', c.version!]),
      },
      {
        title: 'Smoke check: GET /health',
        enabled: (c) => c.target === 'compose',
        skip: () => (noSmoke ? 'skipped by --no-smoke' : cli.dryRun ? 'dry run: nothing was started' : false),
        task: async (_c, task) => {
          const url = setting(
            cli.str('smoke-url'),
            'SMOKE_URL',
            `http://127.0.0.1:${process.env.API_HOST_PORT || '8000'}/health`,
          );
          task.title = `Smoke check: GET ${url}`;
          await waitForHttp(url, smokeSeconds * 1000);
        },
      },
    ],
    listOptions(session, ctx),
  );
  return runList(list, cli.log);
}

if (isMain(import.meta.url)) await runMain(() => main());
