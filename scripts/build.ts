#!/usr/bin/env -S npx tsx
// Challenge step 1: build the base image, then both service images, with BuildKit.
import { existsSync } from 'node:fs';
import { type CliSpec, isMain, parseCli, runMain } from './lib/cli.ts';
import { setting } from './lib/config.ts';
import { imageExists, imageSize, megabytes, requireDocker } from './lib/docker.ts';
import { ExitCode, UserError } from './lib/exit-codes.ts';
import {
  gitSha,
  IMAGE_OPTIONS,
  IMAGES,
  type ImageCoordinates,
  type ImageKey,
  type ImageSpec,
  imageCoordinates,
  imageRef,
  resolveVersion,
} from './lib/images.ts';
import { fromRoot } from './lib/paths.ts';

export const spec: CliSpec = {
  command: 'npx tsx scripts/build.ts',
  summary:
    'Builds shipay-base, then shipay-api-rest and shipay-async-worker on top of it (BuildKit), each\n' +
    'tagged <registry>/<namespace>/<name>:<version> and :<git-sha>.',
  options: {
    ...IMAGE_OPTIONS,
    only: {
      type: 'string',
      value: 'LIST',
      description: 'comma-separated subset of base,api_rest,async_worker (default all)',
    },
    platform: {
      type: 'string',
      value: 'OS/ARCH',
      env: 'DOCKER_PLATFORM',
      description: 'target platform, e.g. linux/amd64',
    },
    'no-cache': { type: 'boolean', description: 'ignore the build cache' },
    'cache-from': {
      type: 'string',
      value: 'TAG',
      env: 'BUILD_CACHE_FROM',
      description: 'reuse layers of <repository>:TAG from the registry (CI: develop) and embed inline cache',
    },
    'python-image': {
      type: 'string',
      value: 'REF',
      env: 'PYTHON_IMAGE',
      description: 'image the base builds FROM (default python:3.12-slim-bookworm; pin a digest)',
    },
    'base-image': {
      type: 'string',
      value: 'REF',
      env: 'BASE_IMAGE',
      description: 'base for the services (default: the shipay-base of this build)',
    },
    'build-ca': {
      type: 'string',
      value: 'FILE',
      env: 'BUILD_CA_BUNDLE',
      description:
        'CA bundle trusted by pip/poetry during the build (TLS-intercepting proxies); never stored in an image',
    },
  },
  examples: [
    'npx tsx scripts/build.ts',
    'npx tsx scripts/build.ts --version 1.2.0 --namespace myuser --platform linux/amd64',
    'npx tsx scripts/build.ts --only api_rest --dry-run',
  ],
  exitCodes: {
    [ExitCode.partialFailure]: 'a docker build failed (its output is above)',
    [ExitCode.missingPrerequisite]: 'docker is missing or its daemon is unreachable',
  },
};

export interface BuildOptions {
  version: string;
  sha?: string;
  at: ImageCoordinates;
  only: ImageKey[];
  platform?: string;
  noCache: boolean;
  /** Tag of published images whose layers seed this build. */
  cacheFrom?: string;
  pythonImage?: string;
  baseImage?: string;
  buildCa?: string;
  created: string;
}

export function parseOnly(value: string | undefined): ImageKey[] {
  const known = IMAGES.map((i) => i.key);
  if (!value) return [...known];
  const wanted = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !known.includes(w as ImageKey));
  if (unknown.length || wanted.length === 0) {
    throw new UserError(
      `--only: unknown image '${unknown.join(',') || value}'`,
      `choose from ${known.join(',')}`,
    );
  }
  return known.filter((k) => wanted.includes(k));
}

const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;

export function tagsFor(options: Pick<BuildOptions, 'version' | 'sha'>): string[] {
  return [...new Set([options.version, options.sha].filter((t): t is string => Boolean(t)))];
}

/** The docker build command line of one image (all paths relative to the repository root). */
export function buildCommand(image: ImageSpec, options: BuildOptions, baseRef: string): string[] {
  const cmd = ['docker', 'build', '--file', image.dockerfile];
  for (const tag of tagsFor(options)) cmd.push('--tag', imageRef(image, options.at, tag));
  const args: Record<string, string | undefined> = {
    VERSION: options.version,
    REVISION: options.sha ?? 'unknown',
    CREATED: options.created,
  };
  if (image.key === 'base') args.PYTHON_IMAGE = options.pythonImage;
  else args.BASE_IMAGE = baseRef;
  for (const [name, value] of Object.entries(args)) if (value) cmd.push('--build-arg', `${name}=${value}`);
  if (options.platform) cmd.push('--platform', options.platform);
  if (options.noCache) cmd.push('--no-cache');
  if (options.cacheFrom) {
    // Inline cache records the final stage's layers in the pushed image, so the next
    // pipeline can pull only the metadata and reuse every unchanged layer.
    cmd.push('--cache-from', imageRef(image, options.at, options.cacheFrom));
    cmd.push('--build-arg', 'BUILDKIT_INLINE_CACHE=1');
  }
  if (options.buildCa && image.key !== 'base') cmd.push('--secret', `id=build_ca,src=${options.buildCa}`);
  cmd.push(image.context);
  return cmd;
}

async function main(): Promise<number> {
  const cli = parseCli(spec);
  const { log, runner } = cli;
  const only = parseOnly(cli.str('only'));
  const platform = setting(cli.str('platform'), 'DOCKER_PLATFORM');
  if (platform && !PLATFORM.test(platform)) {
    throw new UserError(
      `--platform '${platform}' is not one OS/ARCH[/VARIANT]`,
      'e.g. linux/amd64 or linux/arm64; several platforms at once need `docker buildx build --push`',
    );
  }
  const buildCa = setting(cli.str('build-ca'), 'BUILD_CA_BUNDLE');
  if (buildCa && !existsSync(buildCa)) {
    throw new UserError(
      `--build-ca file '${buildCa}' does not exist`,
      'pass a PEM bundle, e.g. /etc/ssl/certs/ca-certificates.crt',
    );
  }
  await requireDocker(runner, (m) => log.warn(m));
  const options: BuildOptions = {
    version: await resolveVersion(runner, cli.str('version')),
    sha: await gitSha(runner),
    at: imageCoordinates({ registry: cli.str('registry'), namespace: cli.str('namespace') }),
    only,
    platform,
    noCache: cli.flag('no-cache'),
    cacheFrom: setting(cli.str('cache-from'), 'BUILD_CACHE_FROM'),
    pythonImage: setting(cli.str('python-image'), 'PYTHON_IMAGE'),
    baseImage: setting(cli.str('base-image'), 'BASE_IMAGE'),
    buildCa,
    created: new Date().toISOString(),
  };
  const base = IMAGES.find((i) => i.key === 'base') as ImageSpec;
  const baseRef = options.baseImage ?? imageRef(base, options.at, options.version);
  const buildsBase = only.includes('base');
  if (!buildsBase && !options.baseImage && !runner.dryRun && !(await imageExists(runner, baseRef))) {
    throw new UserError(
      `build argument BASE_IMAGE is missing: ${baseRef} is not a local image`,
      'build the base too (drop --only, or add base to it), or pass --base-image REF / BASE_IMAGE',
    );
  }
  const env = { DOCKER_BUILDKIT: '1' };
  for (const image of IMAGES.filter((i) => only.includes(i.key))) {
    const started = Date.now();
    const result = await runner.run(buildCommand(image, options, baseRef), {
      cwd: fromRoot('.'),
      env,
      stream: !log.json,
      nothrow: true,
    });
    if (result.exitCode !== 0) {
      log.error(`building ${image.name} failed (exit ${result.exitCode}); nothing after it was built`, {
        image: image.name,
        output: log.json
          ? (result.stderr || result.stdout).trim().split('\n').slice(-20).join('\n')
          : undefined,
      });
      return ExitCode.partialFailure;
    }
    if (runner.dryRun) continue;
    const ref = imageRef(image, options.at, options.version);
    const size = await imageSize(runner, ref);
    log.info(`built ${ref}`, {
      image: image.name,
      tags: tagsFor(options),
      size: size === undefined ? undefined : megabytes(size),
      seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
    });
  }
  return ExitCode.ok;
}

if (isMain(import.meta.url)) await runMain(main);
