import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { fromRoot } from '../../scripts/lib/paths.ts';
import { runProcess } from '../support/process.ts';

// These tests run the task lists as processes with RECORDING STAND-INS first on PATH
// (test/fixtures/toolchain): fake docker, kind, helm and kubectl, and a fake npx in place of the
// step scripts. Each stand-in only appends its argv to a log and succeeds (or fails on request),
// so what is asserted is the task lists' own logic: order, skips, failures and rollback.
// deploy-compose.test.ts runs the real step scripts against the real engine.

const TOOLCHAIN = fromRoot('test/fixtures/toolchain');

interface Run {
  code: number | null;
  output: string;
  calls: string[];
}

let work: string;
let runCount = 0;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'tasks-test-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

async function runTask(
  list: string,
  args: string[],
  env: Record<string, string> = {},
  toolsDir = join(TOOLCHAIN, 'tools'),
): Promise<Run> {
  runCount += 1;
  const log = join(work, `calls-${runCount}.log`);
  const { code, output } = await runProcess(
    [process.execPath, '--import', 'tsx', fromRoot('tasks', `${list}.ts`), ...args],
    {
      cwd: fromRoot(),
      env: {
        PATH: `${join(TOOLCHAIN, 'steps')}:${toolsDir}:/usr/bin:/bin`,
        HOME: work,
        CI: 'true',
        NO_COLOR: '1',
        DOTENV_PATH: join(work, 'no.env'),
        STANDIN_LOG: log,
        ...env,
      },
    },
  );
  const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : [];
  return { code, output, calls };
}

const STEP = 'npx --no-install tsx scripts/';

describe('tasks/deploy.ts --target kind (stand-ins)', () => {
  it('runs preflight, build, kind-up, helm-install in order with the version passed on', async () => {
    const r = await runTask('deploy', ['--target', 'kind', '--version', '1.2.3', '--yes']);
    assert.equal(r.code, 0, r.output);
    assert.deepEqual(r.calls, [
      'docker info --format {{.ServerVersion}}',
      `${STEP}build.ts --version 1.2.3`,
      'kind get clusters',
      `${STEP}kind-up.ts --name shipay --version 1.2.3`,
      `${STEP}helm-install.ts --env kind --version 1.2.3 --kube-context kind-shipay`,
    ]);
    assert.match(r.output, /Choose target and version \[SKIPPED: given by flags\]/);
  });

  it('--skip-build skips the build and says why', async () => {
    const r = await runTask('deploy', ['--target', 'kind', '--version', '1.2.3', '--yes', '--skip-build']);
    assert.equal(r.code, 0, r.output);
    assert.ok(!r.calls.some((c) => c.includes('build.ts')), r.calls.join('\n'));
    assert.match(r.output, /Build images \[SKIPPED: skipped by --skip-build\]/);
  });

  it('--dry-run passes --dry-run to every step', async () => {
    const r = await runTask('deploy', ['--target', 'kind', '--version', '1.2.3', '--dry-run', '--no-smoke']);
    assert.equal(r.code, 0, r.output);
    const steps = r.calls.filter((c) => c.startsWith(STEP));
    assert.equal(steps.length, 3);
    for (const step of steps) assert.match(step, / --dry-run$/);
    assert.match(steps[2]!, /helm-install\.ts .*--no-smoke/);
  });

  it('a failed chart install deletes the cluster this run created when --clean-on-failure', async () => {
    const r = await runTask(
      'deploy',
      ['--target', 'kind', '--version', '1.2.3', '--yes', '--clean-on-failure'],
      { STANDIN_FAIL: 'helm-install.ts' },
    );
    assert.equal(r.code, 1, r.output);
    assert.deepEqual(r.calls.slice(-2), [
      `${STEP}helm-install.ts --env kind --version 1.2.3 --kube-context kind-shipay`,
      `${STEP}kind-down.ts --name shipay`,
    ]);
    assert.match(r.output, /command failed \(exit 1\): npx .*helm-install\.ts/);
  });

  it('a half-created cluster (kind-up failed) is deleted too with --clean-on-failure', async () => {
    const r = await runTask(
      'deploy',
      ['--target', 'kind', '--version', '1.2.3', '--yes', '--skip-build', '--clean-on-failure'],
      { STANDIN_FAIL: 'kind-up.ts' },
    );
    assert.equal(r.code, 1, r.output);
    assert.equal(r.calls.at(-1), `${STEP}kind-down.ts --name shipay`);
    assert.ok(!r.calls.some((c) => c.includes('helm-install')));
  });

  it('never deletes a cluster that existed before the run, and keeps it without --clean-on-failure', async () => {
    const existed = await runTask(
      'deploy',
      ['--target', 'kind', '--version', '1', '--yes', '--skip-build', '--clean-on-failure'],
      { STANDIN_FAIL: 'helm-install.ts', STANDIN_KIND_CLUSTERS: 'other shipay' },
    );
    assert.equal(existed.code, 1);
    assert.ok(!existed.calls.some((c) => c.includes('kind-down')), existed.calls.join('\n'));
    assert.match(existed.output, /existed before this run and is kept/);

    const kept = await runTask('deploy', ['--target', 'kind', '--version', '1', '--yes', '--skip-build'], {
      STANDIN_FAIL: 'helm-install.ts',
    });
    assert.equal(kept.code, 1);
    assert.ok(!kept.calls.some((c) => c.includes('kind-down')));
    assert.match(kept.output, /task kind:down removes it/);
  });

  it("passes on a step's missing-prerequisite exit code (4)", async () => {
    const r = await runTask('deploy', ['--target', 'kind', '--version', '1', '--yes'], {
      STANDIN_FAIL: 'build.ts',
      STANDIN_FAIL_CODE: '4',
    });
    assert.equal(r.code, 4, r.output);
    assert.ok(!r.calls.some((c) => c.includes('kind-up')));
  });
});

describe('tasks/deploy.ts input and preflight errors', () => {
  it('refuses to prompt without a terminal, naming the missing flag (exit 2), and runs nothing', async () => {
    for (const [args, flag] of [
      [['--version', '1', '--yes'], '--target'],
      [['--target', 'kind', '--yes'], '--version'],
      [['--target', 'kind', '--version', '1'], '--yes'],
    ] as const) {
      const r = await runTask('deploy', [...args]);
      assert.equal(r.code, 2, r.output);
      assert.match(r.output, new RegExp(`missing ${flag} \\(not a terminal`));
      assert.deepEqual(r.calls, []);
    }
  });

  it('rejects an unknown target and a cluster deploy without --env', async () => {
    const bad = await runTask('deploy', ['--target', 'k8s', '--version', '1', '--yes']);
    assert.equal(bad.code, 2);
    assert.match(bad.output, /--target must be one of kind, compose, cluster, got 'k8s'/);
    const noEnv = await runTask('deploy', ['--target', 'cluster', '--version', '1', '--yes']);
    assert.equal(noEnv.code, 2);
    assert.match(noEnv.output, /--target cluster needs --env dev\|staging\|production/);
  });

  it('names every missing tool with an install hint (exit 4)', async () => {
    const partial = join(work, 'bin');
    mkdirSync(partial);
    for (const tool of ['docker', 'kubectl'])
      symlinkSync(join(TOOLCHAIN, 'stand-in.sh'), join(partial, tool));
    const r = await runTask('deploy', ['--target', 'kind', '--version', '1', '--yes'], {}, partial);
    assert.equal(r.code, 4, r.output);
    assert.match(r.output, /required tools not found on PATH: kind, helm/);
    assert.match(r.output, /kind: go install sigs\.k8s\.io\/kind/);
    assert.deepEqual(r.calls, []);
  });

  it('stops before building when the Docker daemon does not answer (exit 4)', async () => {
    const r = await runTask('deploy', ['--target', 'compose', '--version', '1', '--yes'], {
      STANDIN_DOCKER_DOWN: '1',
    });
    assert.equal(r.code, 4, r.output);
    assert.match(r.output, /the Docker daemon is not reachable: Cannot connect/);
    assert.deepEqual(r.calls, ['docker info --format {{.ServerVersion}}']);
  });
});

describe('tasks/deploy.ts --target compose and cluster (stand-ins)', () => {
  let server: Server;
  let status = 200;
  const health = async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/health' ? status : 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  };
  after(() => server?.close());

  it('builds, starts compose with --wait, then smoke-checks /health', async () => {
    status = 200;
    const url = await health();
    const r = await runTask('deploy', ['--target', 'compose', '--version', '2.0.0', '--yes'], {
      SMOKE_URL: url,
    });
    server.close();
    assert.equal(r.code, 0, r.output);
    assert.deepEqual(r.calls, [
      'docker info --format {{.ServerVersion}}',
      `${STEP}build.ts --version 2.0.0`,
      `${STEP}compose.ts up --wait --version 2.0.0`,
    ]);
    assert.match(r.output, /Smoke check: GET http:\/\/127\.0\.0\.1:\d+\/health/);
  });

  it('fails when /health does not answer 2xx, naming the URL and the last status', async () => {
    status = 503;
    const url = await health();
    const r = await runTask(
      'deploy',
      ['--target', 'compose', '--version', '2.0.0', '--yes', '--skip-build', '--smoke-timeout', '2'],
      { SMOKE_URL: url },
    );
    server.close();
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /smoke check failed: GET .*\/health did not answer 2xx within 2s \(HTTP 503\)/);
  });

  it('--from-ci on a release branch installs <version>-rc.<iid> on staging without building', async () => {
    const r = await runTask('deploy', ['--from-ci', '--yes'], {
      CI_COMMIT_BRANCH: 'release/1.2.0',
      CI_PIPELINE_IID: '9',
    });
    assert.equal(r.code, 0, r.output);
    assert.deepEqual(r.calls, [`${STEP}helm-install.ts --env staging --version 1.2.0-rc.9`]);
    assert.match(r.output, /Build images \[SKIPPED: the cluster pulls images the push stage published\]/);
  });
});

describe('tasks/release.ts and tasks/teardown.ts (stand-ins)', () => {
  const GIT_STANDIN = {
    PATH: `${join(TOOLCHAIN, 'steps')}:${join(TOOLCHAIN, 'git')}:${join(TOOLCHAIN, 'tools')}:/usr/bin:/bin`,
  };

  it('release: build then push with the extra tags a vX.Y.Z tag implies', async () => {
    const r = await runTask('release', ['--from-ci', '--yes'], { ...GIT_STANDIN, CI_COMMIT_TAG: 'v1.2.0' });
    assert.equal(r.code, 0, r.output);
    assert.deepEqual(r.calls, [
      'git fetch --quiet origin +refs/heads/main:refs/remotes/origin/main',
      'git merge-base --is-ancestor HEAD origin/main',
      'docker info --format {{.ServerVersion}}',
      `${STEP}build.ts --version 1.2.0`,
      `${STEP}push.ts --version 1.2.0 --extra-tag 1.2 --extra-tag latest`,
    ]);
  });

  it('release: a vX.Y.Z tag that is not on main publishes nothing', async () => {
    const r = await runTask('release', ['--from-ci', '--yes'], {
      ...GIT_STANDIN,
      CI_COMMIT_TAG: 'v1.2.0',
      STANDIN_FAIL: 'merge-base',
    });
    assert.equal(r.code, 2, r.output);
    assert.match(r.output, /tag v1\.2\.0 points at a commit that is not on main: nothing published/);
    assert.ok(!r.calls.some((c) => c.includes('build.ts') || c.includes('push.ts')), r.calls.join('\n'));
  });

  it('release: the build stage saves instead of pushing, the push stage loads instead of building', async () => {
    const env = { CI_COMMIT_BRANCH: 'develop', CI_COMMIT_SHORT_SHA: 'abc12345' };
    const build = await runTask('release', ['--from-ci', '--yes', '--save-to', 'images.tar'], env);
    assert.equal(build.code, 0, build.output);
    assert.deepEqual(build.calls.slice(1), [
      `${STEP}build.ts --version develop-abc12345`,
      'docker save --output images.tar docker.io/shipay/shipay-base:develop-abc12345 ' +
        'docker.io/shipay/shipay-api-rest:develop-abc12345 docker.io/shipay/shipay-async-worker:develop-abc12345',
    ]);
    assert.match(build.output, /Push images \[SKIPPED: saved to images.tar; the push stage pushes them\]/);
    const push = await runTask('release', ['--from-ci', '--yes', '--load-from', 'images.tar'], env);
    assert.equal(push.code, 0, push.output);
    assert.deepEqual(push.calls.slice(1), [
      'docker load --input images.tar',
      `${STEP}push.ts --version develop-abc12345`,
    ]);
  });

  it('release: a failed build pushes nothing', async () => {
    const r = await runTask('release', ['--version', '1.0.0', '--yes'], { STANDIN_FAIL: 'build.ts' });
    assert.equal(r.code, 1);
    assert.ok(!r.calls.some((c) => c.includes('push.ts')));
  });

  it('teardown: kind deletes the cluster; --keep-cluster only uninstalls the release; compose goes down', async () => {
    const kind = await runTask('teardown', ['--target', 'kind', '--yes']);
    assert.equal(kind.code, 0, kind.output);
    assert.deepEqual(kind.calls, [`${STEP}kind-down.ts --name shipay`]);
    const keep = await runTask('teardown', ['--target', 'kind', '--yes', '--keep-cluster']);
    assert.deepEqual(keep.calls, [
      'helm uninstall shipay --namespace shipay --wait --ignore-not-found --kube-context kind-shipay',
    ]);
    assert.match(keep.output, /Delete the kind cluster \[SKIPPED: kept by --keep-cluster\]/);
    const compose = await runTask('teardown', ['--target', 'compose', '--yes']);
    assert.deepEqual(compose.calls, ['docker info --format {{.ServerVersion}}', `${STEP}compose.ts down`]);
  });
});
