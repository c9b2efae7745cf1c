import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { fromRoot } from '../../scripts/lib/paths.ts';
import { offlineClusterConfig } from '../e2e/cluster-config.ts';

describe('test/e2e/cluster-config.ts', () => {
  const source = readFileSync(fromRoot('kind/cluster.yaml'), 'utf8');

  it("keeps the user's nodes and labels and adds only kubeadm's image repository", () => {
    const original = parse(source);
    const offline = parse(offlineClusterConfig(source, 'ci.local/k8s'));
    assert.deepEqual(offline.nodes, original.nodes);
    assert.deepEqual(offline.kubeadmConfigPatches, [
      'kind: ClusterConfiguration\nimageRepository: ci.local/k8s\n',
    ]);
    assert.deepEqual(
      { ...offline, kubeadmConfigPatches: undefined },
      { ...original, kubeadmConfigPatches: undefined },
    );
  });

  it('appends to patches the config already has', () => {
    const withPatch = `${source}\nkubeadmConfigPatches:\n  - |\n    kind: InitConfiguration\n`;
    const offline = parse(offlineClusterConfig(withPatch, 'r.example/k8s'));
    assert.equal(offline.kubeadmConfigPatches.length, 2);
    assert.match(offline.kubeadmConfigPatches[0], /InitConfiguration/);
    assert.match(offline.kubeadmConfigPatches[1], /imageRepository: r\.example\/k8s/);
  });
});
