#!/usr/bin/env -S npx tsx
// Challenge step 1: run the stack (or only Kafka + PostgreSQL) with docker compose.
import { existsSync } from 'node:fs';
import { type CliSpec, isMain, parseCli, runMain } from './lib/cli.ts';
import { nonNegativeInt, setting } from './lib/config.ts';
import { requireDocker } from './lib/docker.ts';
import { ExitCode, UserError } from './lib/exit-codes.ts';
import { IMAGE_OPTIONS, IMAGES, imageCoordinates, imageRef, resolveVersion } from './lib/images.ts';
import { fromRoot } from './lib/paths.ts';
import type { Runner } from './lib/runner.ts';
import { which } from './lib/tools.ts';

export const spec: CliSpec = {
  command: 'npx tsx scripts/compose.ts',
  args: 'up|down|ps',
  summary:
    'Runs compose/docker-compose.yaml with `docker compose` (v2) or, when that is absent, docker-compose 1.29.\n' +
    'up starts Kafka, PostgreSQL, the migration job, api_rest and async_worker (--deps-only: Kafka and\n' +
    'PostgreSQL only); down stops and removes them (--volumes also deletes the data); ps lists them.',
  options: {
    ...IMAGE_OPTIONS,
    'deps-only': { type: 'boolean', description: 'only Kafka and PostgreSQL (run the services from source)' },
    'project-name': {
      type: 'string',
      value: 'NAME',
      env: 'COMPOSE_PROJECT_NAME',
      description: 'compose project (default shipay)',
    },
    wait: { type: 'boolean', description: 'up: wait until every service is healthy (or the job finished)' },
    timeout: {
      type: 'string',
      value: 'SECONDS',
      description: 'with --wait: give up after SECONDS (default 300)',
    },
    monitoring: {
      type: 'boolean',
      description: 'also compose/docker-compose.monitoring.yaml (profile monitoring)',
    },
    volumes: { type: 'boolean', description: 'down: also delete the named volumes (all data)' },
  },
  examples: [
    'POSTGRES_PASSWORD=change-me npx tsx scripts/compose.ts up --wait',
    'npx tsx scripts/compose.ts up --deps-only --wait',
    'npx tsx scripts/compose.ts down --volumes',
  ],
  exitCodes: {
    [ExitCode.partialFailure]: 'compose failed, or --wait timed out / a service became unhealthy',
    [ExitCode.missingPrerequisite]: 'docker, compose, or the Docker daemon is missing',
  },
};

const FILE = 'compose/docker-compose.yaml';
const MONITORING_FILE = 'compose/docker-compose.monitoring.yaml';
const DEPS = ['kafka', 'postgres'];

/** `docker compose` when the v2 plugin answers, else Debian's docker-compose 1.29. */
export async function composeCommand(runner: Runner): Promise<string[]> {
  const v2 = await runner.query(['docker', 'compose', 'version', '--short'], { nothrow: true });
  if (v2.exitCode === 0) return ['docker', 'compose'];
  if (await which('docker-compose')) return ['docker-compose'];
  throw new UserError(
    'neither `docker compose` (v2) nor `docker-compose` is installed',
    'install the compose plugin (https://docs.docker.com/compose/install/) or `apt-get install docker-compose`',
    ExitCode.missingPrerequisite,
  );
}

interface ContainerState {
  name: string;
  status: string;
  health: string;
  exitCode: number;
}

async function states(
  runner: Runner,
  compose: string[],
  env: Record<string, string>,
): Promise<ContainerState[]> {
  const ids = (await runner.query([...compose, 'ps', '-a', '-q'], { env, nothrow: true })).stdout
    .split('\n')
    .filter(Boolean);
  if (ids.length === 0) return [];
  const format =
    '{{.Name}}|{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}|{{.State.ExitCode}}';
  const out = await runner.query(['docker', 'inspect', '--format', format, ...ids], { nothrow: true });
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name = '', status = '', health = '', code = ''] = line.split('|');
      return { name: name.replace(/^\//, ''), status, health, exitCode: Number(code) };
    });
}

/** Polls until every container is healthy (or running without a healthcheck, or a job exited 0). */
async function waitHealthy(
  runner: Runner,
  compose: string[],
  env: Record<string, string>,
  seconds: number,
  log: (m: string) => void,
): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  let last = '';
  while (Date.now() < deadline) {
    const all = await states(runner, compose, env);
    const failed = all.filter(
      (s) =>
        (s.status === 'running' && s.health === 'unhealthy') ||
        (s.status === 'exited' && s.exitCode !== 0) ||
        s.status === 'dead',
    );
    if (failed.length) {
      log(
        `not healthy: ${failed.map((s) => `${s.name} (${s.status} ${s.health} exit ${s.exitCode})`).join(', ')}`,
      );
      return false;
    }
    const ready = all.every(
      (s) =>
        s.health === 'healthy' ||
        (s.status === 'exited' && s.exitCode === 0) ||
        (s.status === 'running' && !s.health),
    );
    if (all.length && ready) return true;
    const summary = all.map((s) => `${s.name}=${s.health || s.status}`).join(' ');
    if (summary !== last) log(`waiting: ${summary}`);
    last = summary;
    await new Promise((r) => setTimeout(r, 2000));
  }
  log(`timed out after ${seconds}s: ${last}`);
  return false;
}

async function main(): Promise<number> {
  const cli = parseCli(spec);
  const { log, runner } = cli;
  const action = cli.positionals[0];
  if (!['up', 'down', 'ps'].includes(action ?? '') || cli.positionals.length > 1) {
    throw new UserError(
      `expected one of up, down, ps; got '${cli.positionals.join(' ')}'`,
      `run \`${spec.command} --help\``,
    );
  }
  const timeout = nonNegativeInt(cli.str('timeout') ?? '300', '--timeout');
  await requireDocker(runner, (m) => log.warn(m));
  const compose = await composeCommand(runner);
  const project = setting(cli.str('project-name'), 'COMPOSE_PROJECT_NAME', 'shipay');
  compose.push('--project-name', project, '--file', fromRoot(FILE));
  if (cli.flag('monitoring')) {
    if (!existsSync(fromRoot(MONITORING_FILE))) {
      throw new UserError(`--monitoring: ${MONITORING_FILE} does not exist`, 'drop --monitoring');
    }
    compose.push('--file', fromRoot(MONITORING_FILE), '--profile', 'monitoring');
  }

  const at = imageCoordinates({ registry: cli.str('registry'), namespace: cli.str('namespace') });
  const version = await resolveVersion(runner, cli.str('version'));
  const env: Record<string, string> = {};
  for (const image of IMAGES.filter((i) => i.key !== 'base')) {
    const variable = `${image.key.toUpperCase()}_IMAGE`;
    if (!process.env[variable]) env[variable] = imageRef(image, at, version);
  }
  const secrets = ['POSTGRES_PASSWORD', ...(cli.flag('monitoring') ? ['GRAFANA_ADMIN_PASSWORD'] : [])];
  const unset = secrets.filter((name) => !process.env[name]);
  if (action === 'up' && unset.length > 0) {
    throw new UserError(
      `${unset.join(' and ')} not set`,
      'set them in the environment or .env (see .env.example)',
    );
  }
  // down and ps never use the passwords, but compose interpolates the whole file.
  for (const name of unset) env[name] = 'unused';

  const services = cli.flag('deps-only') ? DEPS : [];
  const args =
    action === 'up'
      ? ['up', '--detach', ...services]
      : action === 'down'
        ? ['down', '--remove-orphans', ...(cli.flag('volumes') ? ['--volumes'] : [])]
        : ['ps'];
  const run = action === 'ps' ? runner.query.bind(runner) : runner.run.bind(runner);
  const result = await run([...compose, ...args], { env, stream: !log.json, nothrow: true });
  if (result.exitCode !== 0) {
    log.error(`compose ${action} failed (exit ${result.exitCode})`);
    return ExitCode.partialFailure;
  }
  if (action === 'up' && cli.flag('wait') && !runner.dryRun) {
    const ok = await waitHealthy(runner, compose, env, timeout, (m) => log.info(m));
    if (!ok) {
      log.error(`the stack is not healthy; see \`${compose.join(' ')} logs\``);
      return ExitCode.partialFailure;
    }
    log.info('the stack is healthy', {
      project,
      api: cli.flag('deps-only') ? undefined : `http://localhost:${process.env.API_HOST_PORT || 8000}/health`,
    });
  }
  return ExitCode.ok;
}

if (isMain(import.meta.url)) await runMain(main);
