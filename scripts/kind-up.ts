#!/usr/bin/env -S npx tsx
// Challenge step 2: a local kind cluster with spot/ondemand-labelled workers and our images in it.
import { existsSync } from 'node:fs';
import { type Cli, type CliSpec, isMain, parseCli, runMain } from './lib/cli.ts';
import { listSetting, setting } from './lib/config.ts';
import { imageExists, requireDocker } from './lib/docker.ts';
import { ExitCode, UserError } from './lib/exit-codes.ts';
import { IMAGE_OPTIONS, IMAGES, imageCoordinates, imageRef, resolveVersion } from './lib/images.ts';
import { fromRoot } from './lib/paths.ts';
import type { Runner } from './lib/runner.ts';
import { requireTools } from './lib/tools.ts';

export const spec: CliSpec = {
  command: 'npx tsx scripts/kind-up.ts',
  summary:
    'Creates the kind cluster (or reuses it when it exists), waits until every node is Ready, and\n' +
    'loads the service images the chart runs (shipay-api-rest, shipay-async-worker) into its nodes.',
  options: {
    ...IMAGE_OPTIONS,
    name: {
      type: 'string',
      value: 'NAME',
      env: 'KIND_CLUSTER_NAME',
      description: 'cluster name (default shipay)',
    },
    config: {
      type: 'string',
      value: 'FILE',
      env: 'KIND_CONFIG',
      description: 'kind config (default kind/cluster.yaml)',
    },
    image: {
      type: 'string',
      value: 'IMAGE',
      env: 'KIND_NODE_IMAGE',
      description: "node image for a new cluster (default: kind's own for its version)",
    },
    load: {
      type: 'string',
      value: 'IMAGE',
      multiple: true,
      env: 'KIND_LOAD_IMAGES',
      description:
        'also load this local image, e.g. when nodes cannot pull (repeatable; env: comma-separated)',
    },
    'no-load': {
      type: 'boolean',
      description: 'do not load images (the cluster pulls them from a registry)',
    },
    timeout: {
      type: 'string',
      value: 'DURATION',
      description: 'wait for Ready nodes at most this long (default 180s)',
    },
  },
  examples: [
    'npx tsx scripts/kind-up.ts',
    'npx tsx scripts/kind-up.ts --version 1.2.0 --dry-run',
    'npx tsx scripts/kind-up.ts --no-load',
  ],
  exitCodes: {
    [ExitCode.usage]: 'bad flags, missing config file, or an image to load was never built',
    [ExitCode.missingPrerequisite]: 'kind, kubectl or docker missing, or the Docker daemon is down',
  },
};

/** The images the chart runs, loaded into kind (the base image is only a build stage). */
export const CLUSTER_IMAGES = IMAGES.filter((image) => image.key !== 'base');

export interface KindUpOptions {
  name: string;
  config: string;
  /** Node image for a new cluster; kind's default when absent. */
  nodeImage?: string;
  /** Image refs to load; empty with --no-load. */
  images: string[];
  timeout: string;
}

export async function kindClusterExists(runner: Runner, name: string): Promise<boolean> {
  const result = await runner.query(['kind', 'get', 'clusters']);
  return result.stdout.split('\n').some((line) => line.trim() === name);
}

/** Create-or-reuse, wait for Ready nodes, load images. Returns whether the cluster was created. */
export async function kindUp(
  runner: Runner,
  options: KindUpOptions,
  info: (msg: string) => void,
): Promise<boolean> {
  const exists = await kindClusterExists(runner, options.name);
  if (exists) {
    info(`kind cluster ${options.name} exists; reusing it`);
  } else {
    const image = options.nodeImage ? ['--image', options.nodeImage] : [];
    await runner.run(
      ['kind', 'create', 'cluster', '--name', options.name, '--config', options.config, ...image],
      { stream: true },
    );
  }
  await runner.run([
    'kubectl',
    '--context',
    `kind-${options.name}`,
    'wait',
    '--for=condition=Ready',
    'node',
    '--all',
    `--timeout=${options.timeout}`,
  ]);
  for (const ref of options.images) {
    await runner.run(['kind', 'load', 'docker-image', '--name', options.name, ref], { stream: true });
  }
  return !exists;
}

function options(cli: Cli): Omit<KindUpOptions, 'images'> {
  const name = setting(cli.str('name'), 'KIND_CLUSTER_NAME', 'shipay');
  if (!/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(name)) {
    throw new UserError(
      `--name '${name}' is not a valid kind cluster name`,
      'use lowercase letters, digits and -',
    );
  }
  const config = fromRoot(setting(cli.str('config'), 'KIND_CONFIG', 'kind/cluster.yaml'));
  if (!existsSync(config)) throw new UserError(`kind config not found: ${config}`, 'pass --config FILE');
  const timeout = cli.str('timeout') ?? '180s';
  if (!/^\d+[smh]$/.test(timeout))
    throw new UserError(`--timeout '${timeout}' is not a duration`, 'e.g. --timeout 300s');
  return { name, config, timeout, nodeImage: setting(cli.str('image'), 'KIND_NODE_IMAGE') };
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const cli = parseCli(spec, argv);
  const { log, runner } = cli;
  const base = options(cli);
  const load = !cli.flag('no-load');
  // kind runs its nodes as Docker containers, so docker is needed even with --no-load.
  await requireTools(['kind', 'kubectl', 'docker']);
  await requireDocker(runner, (m) => log.warn(m));
  const images: string[] = [];
  if (load) {
    const extra = listSetting(cli.values.load as string[] | undefined, 'KIND_LOAD_IMAGES');
    for (const ref of extra) {
      if (!runner.dryRun && !(await imageExists(runner, ref))) {
        throw new UserError(
          `image ${ref} (--load) is not in the local Docker engine`,
          `docker pull ${ref} first`,
        );
      }
    }
    const version = await resolveVersion(runner, cli.str('version'));
    const at = imageCoordinates({ registry: cli.str('registry'), namespace: cli.str('namespace') });
    for (const image of CLUSTER_IMAGES) {
      const ref = imageRef(image, at, version);
      if (!(await imageExists(runner, ref))) {
        const hint = `build it first: npx tsx scripts/build.ts --version ${version} (or task build), or pass --no-load`;
        if (!runner.dryRun) throw new UserError(`image ${ref} is not in the local Docker engine`, hint);
        log.warn(`image ${ref} is not in the local Docker engine; a real run would stop here (${hint})`);
      }
      images.push(ref);
    }
    images.push(...extra);
  }
  const created = await kindUp(runner, { ...base, images }, (m) => log.info(m));
  log.info(`kind cluster ${base.name} is ready`, {
    context: `kind-${base.name}`,
    created: runner.dryRun ? undefined : created,
    loaded: images.length,
  });
  return ExitCode.ok;
}

if (isMain(import.meta.url)) await runMain(main);
