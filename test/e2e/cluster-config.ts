// Prints kind/cluster.yaml with what an offline cluster needs on top: kubeadm takes the control
// plane images from ci.local/k8s (built by test/e2e/build, never tagged as registry.k8s.io).
// The nodes, their labels and everything else stay exactly the user's config.
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { fromRoot } from '../../scripts/lib/paths.ts';

export function offlineClusterConfig(source: string, imageRepository: string): string {
  const config = parse(source) as Record<string, unknown>;
  const patches = (config.kubeadmConfigPatches as string[] | undefined) ?? [];
  config.kubeadmConfigPatches = [
    ...patches,
    `kind: ClusterConfiguration\nimageRepository: ${imageRepository}\n`,
  ];
  return stringify(config);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const repository = process.argv[2] ?? 'ci.local/k8s';
  process.stdout.write(offlineClusterConfig(readFileSync(fromRoot('kind/cluster.yaml'), 'utf8'), repository));
}
