#!/usr/bin/env -S npx tsx
// Challenge step 1 (bonus): push the three images, every tag, to Docker Hub or any registry.
import { type CliSpec, isMain, parseCli, runMain } from './lib/cli.ts';
import { requireDocker } from './lib/docker.ts';
import { ExitCode, UserError } from './lib/exit-codes.ts';
import {
  gitSha,
  IMAGE_OPTIONS,
  IMAGES,
  imageCoordinates,
  imageRef,
  imageRepository,
  resolveVersion,
  validateTag,
} from './lib/images.ts';

export const spec: CliSpec = {
  command: 'npx tsx scripts/push.ts',
  summary:
    'Logs in with DOCKERHUB_USERNAME / DOCKERHUB_TOKEN (environment or .env; the token goes through\n' +
    'stdin, never argv or the log) and pushes shipay-base, shipay-api-rest and shipay-async-worker\n' +
    'with all their tags (<version>, <git-sha>, --extra-tag). Build them first (scripts/build.ts).',
  options: {
    ...IMAGE_OPTIONS,
    'extra-tag': {
      type: 'string',
      multiple: true,
      value: 'T',
      description: 'also tag and push as T (repeatable), e.g. latest',
    },
    'no-login': {
      type: 'boolean',
      description: 'skip docker login (already logged in, or an open registry)',
    },
  },
  examples: [
    'DOCKERHUB_USERNAME=me DOCKERHUB_TOKEN=dckr_pat_... npx tsx scripts/push.ts --extra-tag latest',
    'npx tsx scripts/push.ts --registry 127.0.0.1:5000 --namespace shipay --no-login',
  ],
  exitCodes: {
    [ExitCode.partialFailure]: 'login or a push failed (the registry said why above)',
    [ExitCode.missingPrerequisite]: 'docker is missing or its daemon is unreachable',
  },
};

async function main(): Promise<number> {
  const cli = parseCli(spec);
  const { log, runner } = cli;
  const extra = ((cli.values['extra-tag'] as string[] | undefined) ?? []).map((t) =>
    validateTag(t, '--extra-tag'),
  );
  await requireDocker(runner, (m) => log.warn(m));
  const at = imageCoordinates({ registry: cli.str('registry'), namespace: cli.str('namespace') });
  const version = await resolveVersion(runner, cli.str('version'));
  const headSha = await gitSha(runner);

  // The commit tag is the one the image was built from (its revision label), not today's HEAD.
  const tagsOf = new Map<string, string[]>();
  for (const image of IMAGES) {
    const ref = imageRef(image, at, version);
    let revision: string | undefined;
    if (!runner.dryRun) {
      const label = await runner.query(
        [
          'docker',
          'image',
          'inspect',
          '--format',
          '{{index .Config.Labels "org.opencontainers.image.revision"}}',
          ref,
        ],
        { nothrow: true },
      );
      if (label.exitCode !== 0) {
        throw new UserError(
          `${ref} is not a local image`,
          `build it first: npx tsx scripts/build.ts --version ${version}`,
        );
      }
      revision = /^[0-9a-f]{7,40}$/.test(label.stdout.trim()) ? label.stdout.trim() : undefined;
    }
    const sha = revision ?? headSha;
    tagsOf.set(image.key, [...new Set([version, sha, ...extra].filter((t): t is string => Boolean(t)))]);
  }

  if (!cli.flag('no-login')) {
    const user = process.env.DOCKERHUB_USERNAME;
    const token = process.env.DOCKERHUB_TOKEN;
    if (!user || !token) {
      throw new UserError(
        `missing ${!user ? 'DOCKERHUB_USERNAME' : ''}${!user && !token ? ' and ' : ''}${!token ? 'DOCKERHUB_TOKEN' : ''}`,
        'set them in the environment or .env (a Docker Hub access token, not the password), or pass --no-login',
      );
    }
    const login = await runner.run(['docker', 'login', '--username', user, '--password-stdin', at.registry], {
      input: `${token}\n`,
      redact: [token],
      nothrow: true,
    });
    if (login.exitCode !== 0) {
      log.error(
        `docker login to ${at.registry} as ${user} failed: ${login.stderr.replaceAll(token, '***').trim()}`,
      );
      return ExitCode.partialFailure;
    }
  }

  for (const image of IMAGES) {
    const source = imageRef(image, at, version);
    const tags = tagsOf.get(image.key) ?? [version];
    for (const tag of tags) {
      const ref = imageRef(image, at, tag);
      if (tag !== version) await runner.run(['docker', 'tag', source, ref]);
      const push = await runner.run(['docker', 'push', ref], { nothrow: true, stream: !log.json });
      if (push.exitCode !== 0) {
        log.error(`pushing ${ref} failed (exit ${push.exitCode})`, {
          output: push.stderr.trim() || undefined,
        });
        return ExitCode.partialFailure;
      }
    }
    if (runner.dryRun) continue;
    const digests = await runner.query([
      'docker',
      'image',
      'inspect',
      '--format',
      '{{join .RepoDigests " "}}',
      source,
    ]);
    const repo = imageRepository(image, at);
    // Docker shortens docker.io/<ns>/<name> to <ns>/<name> in RepoDigests.
    const names = [repo, repo.replace(/^docker\.io\//, '')];
    const digest = digests.stdout
      .trim()
      .split(' ')
      .find((d) => names.some((n) => d.startsWith(`${n}@`)))
      ?.split('@')[1];
    log.info(`pushed ${repo}`, { tags, digest });
  }
  return ExitCode.ok;
}

if (isMain(import.meta.url)) await runMain(main);
