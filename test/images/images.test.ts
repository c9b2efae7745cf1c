// Proof of issue 4 on the real Docker engine: builds the three images (on the CI stand-in
// bases, see .ci/images), runs the compose stack as project shipay-test (api on 28000), pushes
// to a real registry (Debian's docker-registry on 127.0.0.1:5000) and pulls back by digest.
// Stand-ins replace python:3.12-slim-bookworm, apache/kafka and postgres: no registry can be
// pulled here; everything else is the real thing.
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../../scripts/lib/wait.ts';
import { must, ROOT, script, sh, sleep } from './helpers.ts';

const STANDINS = {
  PYTHON_IMAGE: 'ci.local/debian-python:3.11-bookworm',
  KAFKA_IMAGE: 'ci.local/kafka:3.9.1-debian',
  POSTGRES_IMAGE: 'ci.local/postgres:15-debian',
};
const REGISTRY = '127.0.0.1:5000';
const NAMESPACE = 'shipay-ci';
const VERSION = 'test';
const ref = (name: string, tag = VERSION) => `${REGISTRY}/${NAMESPACE}/${name}:${tag}`;
const API = 'http://127.0.0.1:28000';
const WORKER = 'http://127.0.0.1:28001';
const HOST_CA = '/etc/ssl/certs/ca-certificates.crt';

const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...STANDINS,
  DOCKER_BUILDKIT: '1',
  IMAGE_REGISTRY: REGISTRY,
  IMAGE_NAMESPACE: NAMESPACE,
  IMAGE_TAG: VERSION,
  COMPOSE_PROJECT_NAME: 'shipay-test',
  API_HOST_PORT: '28000',
  API_HOST_BIND: '127.0.0.1',
  WORKER_HOST_PORT: '28001',
  POSTGRES_HOST_PORT: '28032',
  KAFKA_HOST_PORT: '28092',
  POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
  // This machine reaches PyPI through a TLS-intercepting proxy: pip/poetry in the build trust
  // the host's bundle through a BuildKit secret (never stored in an image).
  ...(existsSync(HOST_CA) && !process.env.BUILD_CA_BUNDLE ? { BUILD_CA_BUNDLE: HOST_CA } : {}),
};
delete env.API_REST_IMAGE;
delete env.ASYNC_WORKER_IMAGE;
delete env.DOCKERHUB_USERNAME;
delete env.DOCKERHUB_TOKEN;

const compose = (args: string[]) => script('compose.ts', args, env);

async function containerOf(service: string): Promise<string> {
  const result = await sh([
    'docker',
    'ps',
    '-aq',
    '--filter',
    'label=com.docker.compose.project=shipay-test',
    '--filter',
    `label=com.docker.compose.service=${service}`,
  ]);
  const id = result.stdout.trim().split('\n')[0];
  assert.ok(id, `no container for service ${service}`);
  return id;
}

async function postComment(contentId: number, n: number): Promise<number> {
  const response = await fetch(`${API}/api/comment/new`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `ci${n}@example.com`, comment: `comment ${n}`, content_id: contentId }),
    signal: AbortSignal.timeout(10_000),
  });
  await response.text();
  return response.status;
}

async function processedCount(contentId: number): Promise<number> {
  const response = await fetch(`${WORKER}/stats/${contentId}`, { signal: AbortSignal.timeout(5000) });
  if (response.status === 404) return 0;
  const body = (await response.json()) as { comments: number };
  return body.comments;
}

before(async () => {
  for (const image of Object.values(STANDINS)) {
    const found = await sh(['docker', 'image', 'inspect', image]);
    assert.equal(found.code, 0, `stand-in ${image} is missing: run .ci/install.d/60-images.sh`);
  }
  const build = await script('build.ts', [], env);
  assert.equal(build.code, 0, `build failed:\n${build.stdout.slice(-3000)}\n${build.stderr.slice(-3000)}`);
});

after(async () => {
  // Keep :test (the build cache's anchor for the next run); drop the per-commit and pushed tags.
  const tags = await sh([
    'docker',
    'image',
    'ls',
    '--format',
    '{{.Repository}}:{{.Tag}}',
    `${REGISTRY}/${NAMESPACE}/*`,
  ]);
  const stale = tags.stdout.split('\n').filter((t) => t && !t.endsWith(`:${VERSION}`));
  if (stale.length) await sh(['docker', 'image', 'rm', ...stale]);
});

describe('images', () => {
  test('the base image: vendored chain verifies against the system bundle, runs as 10001', async () => {
    const out = await must([
      'docker',
      'run',
      '--rm',
      '--entrypoint',
      'sh',
      ref('shipay-base'),
      '-c',
      'id -u; id -g; openssl verify -CAfile /etc/ssl/certs/ca-certificates.crt ' +
        '/usr/local/share/ca-certificates/shipay/digicert-global-g2-tls-rsa-sha256-2020-ca1.crt',
    ]);
    assert.match(out, /^10001\n10001\n.*digicert-global-g2-tls-rsa-sha256-2020-ca1\.crt: OK$/m);
  });

  test('a tampered certificate fails the base build', async () => {
    const context = mkdtempSync(join(tmpdir(), 'shipay-ci-base-'));
    try {
      cpSync(join(ROOT, 'docker/base'), context, { recursive: true });
      // Swap the pinned intermediate for another CA certificate of the system store.
      cpSync(
        '/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt',
        join(context, 'certs/digicert-global-g2-tls-rsa-sha256-2020-ca1.pem'),
      );
      const result = await sh(
        ['docker', 'build', '-q', '--build-arg', `PYTHON_IMAGE=${STANDINS.PYTHON_IMAGE}`, context],
        { env },
      );
      assert.notEqual(result.code, 0, 'the build accepted a certificate that does not match its fingerprint');
      assert.match(result.stderr + result.stdout, /does not match the pinned/);
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  });

  test('sizes: each service adds at most 80 MB to the base; OCI labels set', async () => {
    const size = async (r: string) =>
      Number((await must(['docker', 'image', 'inspect', '--format', '{{.Size}}', r])).trim());
    const base = await size(ref('shipay-base'));
    for (const name of ['shipay-api-rest', 'shipay-async-worker']) {
      const added = (await size(ref(name))) - base;
      console.log(
        `# ${name}: ${(added / 1e6).toFixed(1)} MB over shipay-base (${(base / 1e6).toFixed(1)} MB)`,
      );
      assert.ok(added <= 80e6, `${name} adds ${(added / 1e6).toFixed(1)} MB over the base (target 80 MB)`);
      const labels = JSON.parse(
        await must(['docker', 'image', 'inspect', '--format', '{{json .Config.Labels}}', ref(name)]),
      );
      assert.equal(labels['org.opencontainers.image.version'], VERSION);
      assert.match(labels['org.opencontainers.image.revision'], /^[0-9a-f]{12}$/);
      const user = (
        await must(['docker', 'image', 'inspect', '--format', '{{.Config.User}}', ref(name)])
      ).trim();
      assert.equal(user, '10001:10001');
    }
  });

  test('a code-only change rebuilds api_rest from cache in under 10 s', async () => {
    const context = mkdtempSync(join(tmpdir(), 'shipay-ci-ctx-'));
    try {
      cpSync(join(ROOT, '.dockerignore'), join(context, '.dockerignore'));
      cpSync(join(ROOT, 'apps/api_rest'), join(context, 'apps/api_rest'), {
        recursive: true,
        filter: (src) => !/(\.venv|__pycache__|\.pytest_cache)$/.test(src),
      });
      const cmd = [
        'docker',
        'build',
        '-q',
        '-f',
        join(ROOT, 'docker/api_rest/Dockerfile'),
        '--build-arg',
        `BASE_IMAGE=${ref('shipay-base')}`,
        '-t',
        'shipay-ci-rebuild:api_rest',
        ...(env.BUILD_CA_BUNDLE ? ['--secret', `id=build_ca,src=${env.BUILD_CA_BUNDLE}`] : []),
        context,
      ];
      await must(cmd, { env }); // warm: same content as the real build, all from cache
      appendFileSync(
        join(context, 'apps/api_rest/src/api_rest/__init__.py'),
        `\n# rebuild probe ${Date.now()}\n`,
      );
      const started = Date.now();
      await must(cmd, { env });
      const seconds = (Date.now() - started) / 1000;
      console.log(`# code-only rebuild of shipay-api-rest: ${seconds.toFixed(1)} s`);
      assert.ok(seconds < 10, `code-only rebuild took ${seconds.toFixed(1)} s (target < 10 s)`);
    } finally {
      rmSync(context, { recursive: true, force: true });
      await sh(['docker', 'rmi', 'shipay-ci-rebuild:api_rest']);
    }
  });
});

describe('compose stack (project shipay-test)', () => {
  before(async () => {
    await compose(['down', '--volumes']);
    const up = await compose(['up', '--wait', '--timeout', '300']);
    if (up.code !== 0) {
      const logs = await sh(
        [
          'docker-compose',
          '-p',
          'shipay-test',
          '-f',
          join(ROOT, 'compose/docker-compose.yaml'),
          'logs',
          '--tail',
          '30',
        ],
        { env },
      );
      assert.fail(
        `compose up failed:\n${up.stdout.slice(-3000)}\n${up.stderr.slice(-2000)}\n${logs.stdout.slice(-6000)}`,
      );
    }
  });

  after(async () => {
    if (!process.env.KEEP_STACK) await compose(['down', '--volumes']);
  });

  test('GET /health through the published port', async () => {
    const response = await fetch(`${API}/health`);
    assert.equal(response.status, 200);
  });

  test('the services run as 10001 with a read-only root filesystem', async () => {
    for (const service of ['api_rest', 'async_worker']) {
      const id = await containerOf(service);
      assert.equal((await must(['docker', 'exec', id, 'id', '-u'])).trim(), '10001');
      const touch = await sh(['docker', 'exec', id, 'touch', '/app/x']);
      assert.notEqual(touch.code, 0, `${service} could write to its root filesystem`);
    }
  });

  test('comments are listed back and processed by the worker (stats and comments.processed)', async () => {
    const contentId = randomInt(1_000_000, 2_000_000);
    for (let n = 0; n < 3; n++) assert.equal(await postComment(contentId, n), 201);
    const list = (await (await fetch(`${API}/api/comment/list/${contentId}`)).json()) as {
      comments: { comment: string }[];
    };
    assert.deepEqual(list.comments.map((c) => c.comment).sort(), ['comment 0', 'comment 1', 'comment 2']);
    await waitFor(
      'the worker to count 3 comments',
      async () => ((await processedCount(contentId)) === 3 ? true : undefined),
      { timeoutMs: 60_000 },
    );
    const kafka = await containerOf('kafka');
    const consumed = await must([
      'docker',
      'exec',
      kafka,
      '/opt/kafka/bin/kafka-console-consumer.sh',
      '--bootstrap-server',
      'localhost:29092',
      '--topic',
      'comments.processed',
      '--from-beginning',
      '--timeout-ms',
      '15000',
    ]).catch((error: Error) => error.message); // exits 1 on its timeout, after printing the messages
    assert.match(
      consumed,
      new RegExp(`"content_id":\\s*${contentId}\\b`),
      'no comments.processed message for the content',
    );
  });

  test('restarting Kafka mid-stream loses no accepted comment', async () => {
    const contentId = randomInt(2_000_000, 3_000_000);
    const kafka = await containerOf('kafka');
    let accepted = 0;
    let refused = 0;
    const restart = (async () => {
      await sleep(1500);
      await must(['docker', 'restart', '--time', '30', kafka]);
    })();
    for (let n = 0; n < 40; n++) {
      const status = await postComment(contentId, n).catch(() => 0);
      if (status === 201) accepted++;
      else refused++;
      await sleep(150);
    }
    await restart;
    console.log(`# during the Kafka restart: ${accepted} accepted, ${refused} refused`);
    assert.ok(accepted > 0);
    await waitFor(
      `the worker to count ${accepted} comments`,
      async () => ((await processedCount(contentId)) === accepted ? true : undefined),
      { timeoutMs: 180_000 },
    );
  });

  test('docker stop: each service exits cleanly within its grace period', async () => {
    for (const [service, grace, cleanCodes] of [
      ['api_rest', 10, [0]],
      ['async_worker', 10, [0]],
      ['postgres', 10, [0]],
      // The JVM exits 143 on SIGTERM after its shutdown hooks; 137 would mean SIGKILL.
      ['kafka', 30, [0, 143]],
    ] as const) {
      const id = await containerOf(service);
      const started = Date.now();
      await must(['docker', 'stop', '--time', String(grace), id]);
      const seconds = (Date.now() - started) / 1000;
      const code = Number((await must(['docker', 'inspect', '--format', '{{.State.ExitCode}}', id])).trim());
      console.log(`# docker stop ${service}: ${seconds.toFixed(1)} s, exit ${code}`);
      assert.ok((cleanCodes as readonly number[]).includes(code), `${service} exited ${code}`);
      assert.ok(seconds < grace - 1, `${service} took ${seconds.toFixed(1)} s to stop (grace ${grace} s)`);
    }
  });
});

describe('push to a real registry (Debian docker-registry on 127.0.0.1:5000)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shipay-ci-registry-'));
  const user = 'shipay-ci';
  const token = `tok-${randomBytes(16).toString('hex')}`;
  const auth = `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
  let registry: ReturnType<typeof import('node:child_process').spawn> | undefined;

  before(async () => {
    const taken = await fetch(`http://${REGISTRY}/v2/`).then(
      () => true,
      () => false,
    );
    assert.ok(!taken, `something already listens on ${REGISTRY}; stop it first`);
    const hash = (
      await must([
        'python3',
        '-W',
        'ignore',
        '-c',
        'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))',
        token,
      ])
    ).trim();
    writeFileSync(join(dir, 'htpasswd'), `${user}:${hash}\n`);
    writeFileSync(
      join(dir, 'config.yml'),
      [
        'version: 0.1',
        'log: {level: warn}',
        `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
        `http: {addr: "${REGISTRY}"}`,
        `auth: {htpasswd: {realm: shipay-ci, path: ${join(dir, 'htpasswd')}}}`,
        '',
      ].join('\n'),
    );
    const { spawn } = await import('node:child_process');
    registry = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    await waitFor(
      'the registry to answer',
      async () => ((await fetch(`http://${REGISTRY}/v2/`)).status === 401 ? true : undefined),
      { timeoutMs: 20_000 },
    );
  });

  after(() => {
    registry?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  test('push.ts logs in through stdin and pushes every image and tag; pulled back by digest', async () => {
    const dockerConfig = join(dir, 'docker-config');
    const pushEnv = { ...env, DOCKER_CONFIG: dockerConfig, DOCKERHUB_USERNAME: user, DOCKERHUB_TOKEN: token };
    const result = await script('push.ts', ['--extra-tag', 'latest', '--json'], pushEnv);
    assert.equal(
      result.code,
      0,
      `push failed:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-2000)}`,
    );
    assert.ok(!(result.stdout + result.stderr).includes(token), 'the token was printed');
    const pushed = result.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; digest?: string })
      .filter((l) => l.msg.startsWith('pushed '));
    assert.equal(pushed.length, 3);
    for (const name of ['shipay-base', 'shipay-api-rest', 'shipay-async-worker']) {
      const sha = (
        await must([
          'docker',
          'image',
          'inspect',
          '--format',
          '{{index .Config.Labels "org.opencontainers.image.revision"}}',
          ref(name),
        ])
      ).trim();
      const tags = (await (
        await fetch(`http://${REGISTRY}/v2/${NAMESPACE}/${name}/tags/list`, {
          headers: { authorization: auth },
        })
      ).json()) as { tags: string[] };
      assert.deepEqual([...tags.tags].sort(), [VERSION, sha, 'latest'].sort(), `${name} tags`);
      const digest = pushed.find((p) => p.msg.endsWith(`/${name}`))?.digest;
      assert.match(digest ?? '', /^sha256:[0-9a-f]{64}$/, `${name} digest`);
      const manifest = await fetch(`http://${REGISTRY}/v2/${NAMESPACE}/${name}/manifests/${digest}`, {
        headers: { authorization: auth, accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      });
      assert.equal(manifest.status, 200);
      const config = ((await manifest.json()) as { config: { digest: string } }).config.digest;
      const pulled = `${REGISTRY}/${NAMESPACE}/${name}@${digest}`;
      await must(['docker', 'pull', pulled], { env: pushEnv });
      const id = (await must(['docker', 'image', 'inspect', '--format', '{{.Id}}', pulled])).trim();
      assert.equal(id, config, `${name}: the pulled image is not the one built`);
    }
    const denied = await fetch(`http://${REGISTRY}/v2/${NAMESPACE}/shipay-base/tags/list`);
    assert.equal(denied.status, 401, 'the registry must refuse anonymous reads (the login was exercised)');
  });
});
