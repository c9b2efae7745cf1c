// After `task kind:down` (run by test/e2e/kind.sh): nothing of the cluster is left behind.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CLUSTER, CONTEXT, run } from './cluster.ts';

const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

describe(`task kind:down removed kind cluster ${CLUSTER}`, () => {
  it('kind no longer lists it and no node container is left, running or stopped', () => {
    assert.ok(!lines(run('kind', ['get', 'clusters']).stdout).includes(CLUSTER));
    const containers = run('docker', [
      'ps',
      '-a',
      '-q',
      '--filter',
      `label=io.x-k8s.kind.cluster=${CLUSTER}`,
    ]);
    assert.equal(containers.status, 0, containers.stderr);
    assert.deepEqual(lines(containers.stdout), []);
  });

  it('no Docker volume appeared that was not there before the cluster', () => {
    const snapshot = process.env.E2E_VOLUMES_BEFORE;
    assert.ok(snapshot, 'E2E_VOLUMES_BEFORE (the volume list before the cluster) is set by test/e2e/kind.sh');
    const before = new Set(lines(readFileSync(snapshot, 'utf8')));
    const now = lines(run('docker', ['volume', 'ls', '-q']).stdout);
    assert.deepEqual(
      now.filter((v) => !before.has(v)),
      [],
    );
  });

  it(`kubeconfig has no ${CONTEXT} context, cluster or user`, () => {
    const config = run('kubectl', ['config', 'view', '-o', 'json']);
    assert.equal(config.status, 0, config.stderr);
    const view = JSON.parse(config.stdout) as Record<string, { name: string }[] | null>;
    for (const key of ['contexts', 'clusters', 'users']) {
      assert.deepEqual(
        (view[key] ?? []).map((e) => e.name).filter((n) => n === CONTEXT),
        [],
        key,
      );
    }
  });
});
