#!/usr/bin/env -S npx --no-install tsx
import { Listr } from 'listr2';
import { ciRelease } from '../scripts/lib/ci-ref.ts';
import { isMain, runMain } from '../scripts/lib/cli.ts';
import { UserError } from '../scripts/lib/exit-codes.ts';
import { IMAGES, imageCoordinates, imageRef, validateTag } from '../scripts/lib/images.ts';
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
    'from-ci': {
      type: 'boolean' as const,
      description: 'take version and extra tags from the GitLab ref (gitflow, see README)',
    },
    'save-to': {
      type: 'string' as const,
      value: 'FILE',
      description: 'build, then `docker save` the images to FILE instead of pushing (CI build stage)',
    },
    'load-from': {
      type: 'string' as const,
      value: 'FILE',
      description: '`docker load` FILE instead of building, then push (CI push stage)',
    },
  },
  examples: [
    'npx tsx tasks/release.ts --version 1.2.3 --extra-tag 1.2 --extra-tag latest --yes',
    'npx tsx tasks/release.ts --version develop-abc1234 --yes --dry-run',
    'npx tsx tasks/release.ts --from-ci --yes --save-to images.tar   # CI build stage, then --load-from',
  ],
};

export async function main(argv?: string[]): Promise<number> {
  const session = openSession(spec, argv);
  const { cli, interactive, step } = session;
  const yes = cli.flag('yes') || cli.dryRun;
  const extra = cli.values['extra-tag'];
  const fromCi = cli.flag('from-ci') ? ciRelease() : undefined;
  const ctx: ReleaseContext = {
    version: fromCi?.version ?? versionSetting(cli),
    extraTags: [...(fromCi?.extraTags ?? []), ...(Array.isArray(extra) ? extra : [])].map((t) =>
      validateTag(t, '--extra-tag'),
    ),
  };
  const saveTo = cli.str('save-to');
  const loadFrom = cli.str('load-from');
  if (saveTo && loadFrom) throw new UserError('--save-to and --load-from exclude each other', 'pass one');
  const refs = (c: ReleaseContext) => IMAGES.map((image) => imageRef(image, imageCoordinates(), c.version!));
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
      {
        // gitflow: a release tag must point at a commit already merged into the default branch.
        title: 'Check the release tag is on the default branch',
        enabled: () => Boolean(fromCi && process.env.CI_COMMIT_TAG),
        task: async (_c, task) => {
          const branch = process.env.CI_DEFAULT_BRANCH || 'main';
          task.title = `Check tag ${process.env.CI_COMMIT_TAG} is on ${branch}`;
          await cli.runner.query([
            'git',
            'fetch',
            '--quiet',
            'origin',
            `+refs/heads/${branch}:refs/remotes/origin/${branch}`,
          ]);
          const onBranch = await cli.runner.query(
            ['git', 'merge-base', '--is-ancestor', 'HEAD', `origin/${branch}`],
            {
              nothrow: true,
            },
          );
          if (onBranch.exitCode !== 0) {
            throw new UserError(
              `tag ${process.env.CI_COMMIT_TAG} points at a commit that is not on ${branch}: nothing published`,
              `merge the release or hotfix branch into ${branch} first, then tag the merge commit`,
            );
          }
        },
      },
      { title: 'Preflight: docker and the Docker daemon', task: () => preflight(cli.runner, ['docker']) },
      {
        title: 'Load the images built by the build stage',
        enabled: () => Boolean(loadFrom),
        task: () => cli.runner.run(['docker', 'load', '--input', loadFrom!], { stream: step.stream }),
      },
      {
        title: 'Build images',
        skip: () =>
          cli.flag('skip-build') ? 'skipped by --skip-build' : loadFrom ? `loaded from ${loadFrom}` : false,
        task: (c) => runStep(step, 'build', ['--version', c.version!]),
      },
      {
        title: 'Save the images for the push stage',
        enabled: () => Boolean(saveTo),
        task: (c) => cli.runner.run(['docker', 'save', '--output', saveTo!, ...refs(c)]),
      },
      {
        title: 'Push images',
        skip: () => (saveTo ? `saved to ${saveTo}; the push stage pushes them` : false),
        task: (c) =>
          runStep(step, 'push', ['--version', c.version!, ...c.extraTags.flatMap((t) => ['--extra-tag', t])]),
      },
    ],
    listOptions(session, ctx),
  );
  return runList(list, cli.log);
}

if (isMain(import.meta.url)) await runMain(() => main());
