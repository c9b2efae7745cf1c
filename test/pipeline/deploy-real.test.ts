import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fromRoot } from '../../scripts/lib/paths.ts';
import { runProcess } from '../support/process.ts';

// The task lists with the REAL step scripts (scripts/*.ts run through the real npx/tsx).
// 1) --dry-run for kind: docker/kind/helm/kubectl are the recording stand-ins of
//    test/fixtures/toolchain (no cluster can run here), and nothing may be changed.
// 2) one real `tasks/deploy.ts --target compose` on the real Docker engine, on the CI stand-in
//    base images of .ci/images (no registry can be pulled here), project shipay-deploy-test, api on 38000.

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return runProcess([process.execPath, '--import', 'tsx', ...args], {
    cwd: fromRoot(),
    env: { ...env, CI: 'true', NO_COLOR: '1' },
  });
}

/** Lines of `output` matching each pattern, asserting they appear in this order. */
function assertInOrder(output: string, patterns: RegExp[]): void {
  let from = 0;
  for (const pattern of patterns) {
    const rest = output.slice(from);
    const m = pattern.exec(rest);
    assert.ok(m, `expected ${pattern} after offset ${from} in:\n${output}`);
    from += m.index + m[0].length;
  }
}

describe('tasks/deploy.ts --dry-run with the real step scripts', () => {
  it('prints the whole command sequence and changes nothing', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-dry-'));
    const log = join(dir, 'calls.log');
    try {
      const r = await run(['tasks/deploy.ts', '--target', 'kind', '--version', '1.2.3', '--dry-run'], {
        ...process.env,
        PATH: `${fromRoot('test/fixtures/toolchain/tools')}:${process.env.PATH}`,
        STANDIN_LOG: log,
        IMAGE_REGISTRY: 'docker.io',
        IMAGE_NAMESPACE: 'shipay',
        DOTENV_PATH: join(dir, 'no.env'),
      });
      assert.equal(r.code, 0, r.output);
      assertInOrder(r.output, [
        /\$ npx --no-install tsx scripts\/build\.ts --version 1\.2\.3 --dry-run/,
        /\+ docker build --file docker\/base\/Dockerfile --tag docker\.io\/shipay\/shipay-base:1\.2\.3 /,
        /\+ docker build --file docker\/api_rest\/Dockerfile --tag docker\.io\/shipay\/shipay-api-rest:1\.2\.3 /,
        /\+ docker build --file docker\/async_worker\/Dockerfile /,
        /\$ npx --no-install tsx scripts\/kind-up\.ts --name shipay --version 1\.2\.3 --dry-run/,
        /\+ kind create cluster --name shipay /,
        /\+ kind load docker-image --name shipay docker\.io\/shipay\/shipay-api-rest:1\.2\.3/,
        /\$ npx --no-install tsx scripts\/helm-install\.ts --env kind --version 1\.2\.3 --kube-context kind-shipay --dry-run/,
        /\+ helm upgrade --install shipay helm\/shipay .*--atomic/,
      ]);
      // Only lookups reached the (stand-in) tools: a dry run changes nothing.
      const calls = readFileSync(log, 'utf8').trim().split('\n');
      for (const call of calls) {
        assert.match(
          call,
          /^(docker (info|version|image inspect)|kind get clusters|kubectl (config|get|version))/,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tasks/deploy.ts --target compose on the real Docker engine', () => {
  const STANDINS = {
    PYTHON_IMAGE: 'ci.local/debian-python:3.11-bookworm',
    KAFKA_IMAGE: 'ci.local/kafka:3.9.1-debian',
    POSTGRES_IMAGE: 'ci.local/postgres:15-debian',
  };
  const HOST_CA = '/etc/ssl/certs/ca-certificates.crt';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...STANDINS,
    DOCKER_BUILDKIT: '1',
    IMAGE_REGISTRY: 'localhost',
    IMAGE_NAMESPACE: 'shipay-deploy-test',
    COMPOSE_PROJECT_NAME: 'shipay-deploy-test',
    API_HOST_PORT: '38000',
    API_HOST_BIND: '127.0.0.1',
    WORKER_HOST_PORT: '38001',
    POSTGRES_HOST_PORT: '38032',
    KAFKA_HOST_PORT: '38092',
    POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
    // pip/poetry in the build trust this machine's TLS-intercepting proxy via a BuildKit secret.
    ...(existsSync(HOST_CA) && !process.env.BUILD_CA_BUNDLE ? { BUILD_CA_BUNDLE: HOST_CA } : {}),
  };
  for (const name of [
    'API_REST_IMAGE',
    'ASYNC_WORKER_IMAGE',
    'DOCKERHUB_USERNAME',
    'DOCKERHUB_TOKEN',
    'IMAGE_TAG',
  ]) {
    delete env[name];
  }

  after(async () => {
    if (!process.env.KEEP_STACK) await run(['scripts/compose.ts', 'down', '--volumes'], env);
    // Untag the per-commit tags build.ts adds; the deploy-test tags stay as the next run's cache.
    const listed = spawnSync(
      'docker',
      ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', 'localhost/shipay-deploy-test/*'],
      {
        encoding: 'utf8',
      },
    );
    const stale = listed.stdout.split('\n').filter((ref) => ref && !ref.endsWith(':deploy-test'));
    if (stale.length) spawnSync('docker', ['image', 'rm', ...stale], { stdio: 'ignore' });
  });

  it(
    'builds, starts the stack, smoke-checks /health; teardown removes it',
    { timeout: 1_200_000 },
    async (t) => {
      if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) {
        return t.skip('no Docker engine answering `docker info`');
      }
      if (
        spawnSync('docker', ['image', 'inspect', ...Object.values(STANDINS)], { stdio: 'ignore' }).status !==
        0
      ) {
        return t.skip('CI stand-in base images missing: run .ci/install.d/60-images.sh');
      }

      const deploy = await run(
        ['tasks/deploy.ts', '--target', 'compose', '--version', 'deploy-test', '--yes'],
        env,
      );
      assert.equal(deploy.code, 0, deploy.output.slice(-6000));
      assertInOrder(deploy.output, [
        /✔ Preflight: docker and the Docker daemon/,
        /✔ Build images/,
        /✔ Start the stack with docker compose/,
        /✔ Smoke check: GET http:\/\/127\.0\.0\.1:38000\/health/,
      ]);
      const health = await fetch('http://127.0.0.1:38000/health');
      assert.equal(health.status, 200);

      const down = await run(['tasks/teardown.ts', '--target', 'compose', '--yes', '--volumes'], env);
      assert.equal(down.code, 0, down.output.slice(-4000));
      await assert.rejects(fetch('http://127.0.0.1:38000/health', { signal: AbortSignal.timeout(3000) }));
    },
  );
});
