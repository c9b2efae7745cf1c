// The scripts' plans and errors, without building anything: --dry-run output, an unreachable
// daemon, a missing base image, missing credentials.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { script } from './helpers.ts';

const base: NodeJS.ProcessEnv = { ...process.env, DOTENV_PATH: '/nonexistent/.env' };
for (const name of [
  'IMAGE_REGISTRY',
  'IMAGE_NAMESPACE',
  'IMAGE_TAG',
  'PYTHON_IMAGE',
  'BASE_IMAGE',
  'BUILD_CA_BUNDLE',
  'DOCKERHUB_USERNAME',
  'DOCKERHUB_TOKEN',
  'API_REST_IMAGE',
  'ASYNC_WORKER_IMAGE',
]) {
  delete base[name];
}
const deadDaemon = { ...base, DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

describe('build.ts', () => {
  test('--dry-run prints base then services, BuildKit, both tags, build args passed through', async () => {
    const r = await script(
      'build.ts',
      [
        '--dry-run',
        '--version',
        '1.2.3',
        '--registry',
        'r.example',
        '--namespace',
        'ns',
        '--platform',
        'linux/arm64',
        '--no-cache',
        '--python-image',
        'python:3.12-slim-bookworm@sha256:abc',
      ],
      base,
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('+ docker build'));
    assert.equal(lines.length, 3);
    assert.match(
      lines[0] ?? '',
      /--file docker\/base\/Dockerfile --tag r\.example\/ns\/shipay-base:1\.2\.3 --tag r\.example\/ns\/shipay-base:[0-9a-f]{12} .*--build-arg PYTHON_IMAGE=python:3\.12-slim-bookworm@sha256:abc --platform linux\/arm64 --no-cache docker\/base$/,
    );
    assert.match(
      lines[1] ?? '',
      /--file docker\/api_rest\/Dockerfile .*--build-arg BASE_IMAGE=r\.example\/ns\/shipay-base:1\.2\.3 .* \.$/,
    );
    assert.match(lines[2] ?? '', /shipay-async-worker:1\.2\.3/);
  });

  test('--cache-from seeds each image from its own published tag and embeds inline cache', async () => {
    const r = await script('build.ts', ['--dry-run', '--version', '2.0.0', '--namespace', 'ns'], {
      ...base,
      BUILD_CACHE_FROM: 'develop',
    });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('+ docker build'));
    assert.equal(lines.length, 3);
    for (const [i, name] of ['shipay-base', 'shipay-api-rest', 'shipay-async-worker'].entries()) {
      assert.ok(
        lines[i]?.includes(`--cache-from docker.io/ns/${name}:develop --build-arg BUILDKIT_INLINE_CACHE=1`),
      );
    }
    const plain = await script('build.ts', ['--dry-run', '--version', '2.0.0'], base);
    assert.doesNotMatch(plain.stdout, /--cache-from|INLINE_CACHE/);
  });

  test('an unreachable daemon exits 4 naming the fix', async () => {
    const r = await script('build.ts', ['--version', 'x'], deadDaemon);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /Docker daemon is unreachable/);
    assert.match(r.stderr, /how to fix: start it/);
  });

  test('--only api_rest without the base image exits 2: BASE_IMAGE is missing', async () => {
    const r = await script('build.ts', ['--only', 'api_rest', '--version', 'no-such-version-anywhere'], base);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /build argument BASE_IMAGE is missing/);
  });

  test('bad --only and --platform values are usage errors', async () => {
    assert.equal((await script('build.ts', ['--only', 'web', '--dry-run'], base)).code, 2);
    const r = await script('build.ts', ['--platform', 'linux/amd64,linux/arm64', '--dry-run'], base);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /buildx/);
  });
});

describe('push.ts', () => {
  test('without credentials it stops before touching the registry', async () => {
    const r = await script('push.ts', ['--dry-run', '--version', '1.0.0'], base);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing DOCKERHUB_USERNAME and DOCKERHUB_TOKEN/);
  });

  test('--dry-run: the token never appears, login reads stdin, every tag is pushed', async () => {
    const token = 'dckr_pat_never_print_me';
    const r = await script('push.ts', ['--dry-run', '--version', '1.0.0', '--extra-tag', 'latest'], {
      ...base,
      DOCKERHUB_USERNAME: 'me',
      DOCKERHUB_TOKEN: token,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!(r.stdout + r.stderr).includes(token));
    assert.match(r.stdout, /\+ docker login --username me --password-stdin docker\.io/);
    assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('+ docker push ')).length, 9);
  });
});

describe('compose.ts', () => {
  test('up --deps-only starts only kafka and postgres, with our image variables set', async () => {
    const r = await script('compose.ts', ['up', '--deps-only', '--dry-run', '--version', '2.0.0'], {
      ...base,
      POSTGRES_PASSWORD: 'x',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /compose(-| )?.*--file \S+compose\/docker-compose\.yaml up --detach kafka postgres/,
    );
  });

  test('up without POSTGRES_PASSWORD is a usage error; an unknown action too', async () => {
    assert.equal((await script('compose.ts', ['up', '--dry-run'], base)).code, 2);
    assert.equal((await script('compose.ts', ['restart'], base)).code, 2);
  });

  test('--monitoring needs GRAFANA_ADMIN_PASSWORD to start, not to stop', async () => {
    const up = await script('compose.ts', ['up', '--monitoring', '--dry-run'], {
      ...base,
      POSTGRES_PASSWORD: 'x',
    });
    assert.equal(up.code, 2);
    assert.match(up.stdout + up.stderr, /GRAFANA_ADMIN_PASSWORD not set/);
    const down = await script('compose.ts', ['down', '--monitoring', '--dry-run'], base);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /docker-compose\.monitoring\.yaml --profile monitoring down/);
  });
});
