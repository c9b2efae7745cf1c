#!/usr/bin/env -S npx --no-install tsx
import { Listr } from 'listr2';
import { isMain, runMain } from '../scripts/lib/cli.ts';
import { UserError } from '../scripts/lib/exit-codes.ts';
import { validateTag } from '../scripts/lib/images.ts';
import { runList } from './lib/outcome.ts';
import {
  askVersion,
  confirm,
  listOptions,
  missingFlag,
  openSession,
  TARGET_OPTIONS,
  versionSetting,
} from './lib/session.ts';
import { preflight, runStep } from './lib/steps.ts';

export interface ReleaseContext {
  version?: string;
  extraTags: string[];
}

const spec = {
  command: 'npx tsx tasks/release.ts',
  summary:
    'Build the three images and push them to the registry (Docker Hub by default; log in first or set ' +
    'DOCKERHUB_USERNAME/DOCKERHUB_TOKEN). Asks for the version on a terminal.',
  options: {
    version: TARGET_OPTIONS.version!,
    yes: TARGET_OPTIONS.yes!,
    'extra-tag': {
      type: 'string' as const,
      multiple: true,
      value: 'T',
      description: 'also push under this tag (repeatable), e.g. 1.2 and latest',
    },
    'skip-build': { type: 'boolean' as const, description: 'push images already built with this version' },
  },
  examples: [
    'npx tsx tasks/release.ts --version 1.2.3 --extra-tag 1.2 --extra-tag latest --yes',
    'npx tsx tasks/release.ts --version develop-abc1234 --yes --dry-run',
  ],
};

export async function main(argv?: string[]): Promise<number> {
  const session = openSession(spec, argv);
  const { cli, interactive, step } = session;
  const yes = cli.flag('yes') || cli.dryRun;
  const extra = cli.values['extra-tag'];
  const ctx: ReleaseContext = {
    version: versionSetting(cli),
    extraTags: (Array.isArray(extra) ? extra : []).map((t) => validateTag(t, '--extra-tag')),
  };
  if (!interactive) {
    if (!ctx.version) throw missingFlag('--version', '--version 1.2.3 (or IMAGE_TAG=1.2.3)');
    if (!yes) throw missingFlag('--yes', '--yes');
  }
  const list = new Listr<ReleaseContext>(
    [
      {
        title: 'Choose the version',
        skip: () => (ctx.version && yes ? 'given by flags' : false),
        task: async (c, task) => {
          c.version ??= await askVersion(task, cli.runner);
          const tags = [c.version, ...c.extraTags].join(', ');
          if (!yes && !(await confirm(task, `Build and push ${tags}?`))) {
            throw new UserError('cancelled, nothing pushed', 'answer yes, or pass --yes');
          }
          task.title = `Release ${tags}`;
        },
      },
      { title: 'Preflight: docker and the Docker daemon', task: () => preflight(cli.runner, ['docker']) },
      {
        title: 'Build images',
        skip: () => (cli.flag('skip-build') ? 'skipped by --skip-build' : false),
        task: (c) => runStep(step, 'build', ['--version', c.version!]),
      },
      {
        title: 'Push images',
        task: (c) =>
          runStep(step, 'push', ['--version', c.version!, ...c.extraTags.flatMap((t) => ['--extra-tag', t])]),
      },
    ],
    listOptions(session, ctx),
  );
  return runList(list, cli.log);
}

if (isMain(import.meta.url)) await runMain(() => main());
