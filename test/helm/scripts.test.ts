// kind-up, kind-down and helm-install run as processes: --dry-run command sequences and error
// paths. No cluster can start here, so a real run is not exercised; where a test needs a kind
// that reports an existing cluster, a stub `kind` on PATH stands in for it (said per test).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { fullname, namespaceManifest, releaseNames } from '../../scripts/helm-install.ts';
import { fromRoot } from '../../scripts/lib/paths.ts';
import { httpsGetVerified } from '../../scripts/lib/port-forward.ts';
import { find, render, run } from './render.ts';

const work = mkdtempSync(join(tmpdir(), 'shipay-scripts-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Result {
  status: number;
  stdout: string;
  stderr: string;
  /** The `+ command` lines a dry run printed. */
  plan: string[];
}

function script(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Result {
  const result = spawnSync(process.execPath, ['--import', 'tsx', fromRoot('scripts', name), ...args], {
    cwd: fromRoot(),
    encoding: 'utf8',
    env: {
      ...process.env,
      NO_COLOR: '1',
      IMAGE_REGISTRY: '',
      IMAGE_NAMESPACE: '',
      DOCKERHUB_USERNAME: '',
      ...env,
    },
  });
  return {
    status: result.status ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    plan: result.stdout.split('\n').filter((l) => l.startsWith('+ ')),
  };
}

/** A PATH holding only the named real tools (so the others are "missing"). */
function pathWith(tools: string[]): string {
  const dir = mkdtempSync(join(work, 'bin-'));
  for (const tool of tools) {
    const found = run('sh', ['-c', `command -v ${tool}`]).stdout.trim();
    if (found) symlinkSync(found, join(dir, tool));
  }
  return dir;
}

/** Stand-in for kind (no cluster can run here): `get clusters` lists CLUSTERS, other calls fail. */
function stubKind(clusters: string[]): string {
  const dir = mkdtempSync(join(work, 'stub-'));
  const file = join(dir, 'kind');
  writeFileSync(
    file,
    `#!/bin/sh\nif [ "$1 $2" = "get clusters" ]; then printf '${clusters.join('\\n')}\\n'; exit 0; fi\necho "stub kind: $*" >&2; exit 99\n`,
  );
  chmodSync(file, 0o755);
  return `${dir}${delimiter}${process.env.PATH}`;
}

describe('kind-up', () => {
  it('--dry-run: create, wait for Ready nodes, load the two service images, in that order', () => {
    const r = script('kind-up.ts', ['--dry-run', '--version', '1.2.3'], { PATH: stubKind([]) });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.plan, [
      `+ kind create cluster --name shipay --config ${fromRoot('kind/cluster.yaml')}`,
      '+ kubectl --context kind-shipay wait --for=condition=Ready node --all --timeout=180s',
      '+ kind load docker-image --name shipay docker.io/shipay/shipay-api-rest:1.2.3',
      '+ kind load docker-image --name shipay docker.io/shipay/shipay-async-worker:1.2.3',
    ]);
  });

  it('--dry-run on an existing cluster (stub kind lists it): reuses it, no create', () => {
    const r = script('kind-up.ts', ['--dry-run', '--version', '1.2.3', '--name', 'demo', '--no-load'], {
      PATH: stubKind(['other', 'demo']),
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /kind cluster demo exists; reusing it/);
    assert.deepEqual(r.plan, [
      '+ kubectl --context kind-demo wait --for=condition=Ready node --all --timeout=180s',
    ]);
  });

  it('image names follow IMAGE_REGISTRY / IMAGE_NAMESPACE', () => {
    const r = script('kind-up.ts', ['--dry-run', '--version', '2.0.0'], {
      PATH: stubKind([]),
      IMAGE_REGISTRY: '127.0.0.1:5000',
      IMAGE_NAMESPACE: 'acme',
    });
    assert.ok(
      r.plan.includes('+ kind load docker-image --name shipay 127.0.0.1:5000/acme/shipay-api-rest:2.0.0'),
      r.stdout,
    );
  });

  it('KIND_CONFIG, KIND_NODE_IMAGE and KIND_LOAD_IMAGES: config, node image and extra images to load', () => {
    const config = join(work, 'offline-cluster.yaml');
    writeFileSync(config, 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n');
    const r = script('kind-up.ts', ['--dry-run', '--version', '1.2.3'], {
      PATH: stubKind([]),
      KIND_CONFIG: config,
      KIND_NODE_IMAGE: 'ci.local/kind-node:v1.32.13',
      KIND_LOAD_IMAGES: 'ci.local/postgres:15-debian, ci.local/kafka:3.9.1-debian',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.plan[0],
      `+ kind create cluster --name shipay --config ${config} --image ci.local/kind-node:v1.32.13`,
    );
    assert.deepEqual(r.plan.slice(-2), [
      '+ kind load docker-image --name shipay ci.local/postgres:15-debian',
      '+ kind load docker-image --name shipay ci.local/kafka:3.9.1-debian',
    ]);
    const flags = script('kind-up.ts', ['--dry-run', '--no-load', '--image', 'n:1', '--load', 'x:1'], {
      PATH: stubKind([]),
      KIND_NODE_IMAGE: 'ignored:0',
    });
    assert.match(flags.plan[0] ?? '', / --image n:1$/, 'the flag wins over KIND_NODE_IMAGE');
    assert.equal(flags.plan.length, 2, '--no-load loads nothing, not even --load images');
  });

  it('--load of an image the engine lacks: exit 2 naming it', () => {
    const r = script('kind-up.ts', ['--version', '1.2.3', '--load', 'ci.local/never-built:0'], {
      PATH: stubKind([]),
      KIND_LOAD_IMAGES: '',
    });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /image ci\.local\/never-built:0 \(--load\) is not in the local Docker engine/);
    assert.match(r.stderr, /docker pull ci\.local\/never-built:0/);
  });

  it('a real run refuses to load an image that was never built (exit 2, says how to build it)', () => {
    const r = script('kind-up.ts', ['--version', 'never-built-0'], { PATH: stubKind([]) });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /image docker\.io\/shipay\/shipay-api-rest:never-built-0 is not in the local Docker engine/,
    );
    assert.match(r.stderr, /scripts\/build\.ts --version never-built-0/);
  });

  it('missing kind/kubectl/docker: exit 4 naming each with how to install it', () => {
    const r = script('kind-up.ts', ['--dry-run'], { PATH: pathWith([]) });
    assert.equal(r.status, 4, r.stderr);
    assert.match(r.stderr, /required tools not found on PATH: kind, kubectl, docker/);
    assert.match(r.stderr, /go install sigs\.k8s\.io\/kind@v0\.30\.0/);
    assert.match(r.stderr, /kubernetes\.io\/docs\/tasks\/tools/);
  });

  it('only kind missing: exit 4 naming kind alone', () => {
    const r = script('kind-up.ts', ['--dry-run'], { PATH: pathWith(['kubectl', 'docker', 'git']) });
    assert.equal(r.status, 4, r.stderr);
    assert.match(r.stderr, /required tool not found on PATH: kind\n/);
  });

  it('bad flags: exit 2 with the reason', () => {
    const badName = script('kind-up.ts', ['--dry-run', '--name', 'Bad_Name']);
    assert.equal(badName.status, 2);
    assert.match(badName.stderr, /--name 'Bad_Name' is not a valid kind cluster name/);
    const badConfig = script('kind-up.ts', ['--dry-run', '--config', 'nope.yaml']);
    assert.equal(badConfig.status, 2);
    assert.match(badConfig.stderr, /kind config not found: .*nope\.yaml/);
  });
});

describe('kind/cluster.yaml', () => {
  it('one control plane and two workers labelled with the capacity types the chart schedules on', () => {
    const cluster = parseYaml(readFileSync(fromRoot('kind/cluster.yaml'), 'utf8')) as {
      kind: string;
      apiVersion: string;
      nodes: { role: string; labels?: Record<string, string> }[];
    };
    assert.equal(cluster.kind, 'Cluster');
    assert.equal(cluster.apiVersion, 'kind.x-k8s.io/v1alpha4');
    assert.deepEqual(
      cluster.nodes.map((n) => n.role),
      ['control-plane', 'worker', 'worker'],
    );
    const values = parseYaml(readFileSync(fromRoot('helm/shipay/values.yaml'), 'utf8'));
    const key = values.scheduling.capacityTypeLabel;
    const workers = cluster.nodes.filter((n) => n.role === 'worker').map((n) => n.labels?.[key]);
    assert.deepEqual(workers, [
      values.apiRest.scheduling.capacityType,
      values.asyncWorker.scheduling.capacityType,
    ]);
    assert.deepEqual(workers, ['spot', 'ondemand']);
  });
});

describe('kind-down', () => {
  it('--dry-run deletes an existing cluster (stub kind lists it)', () => {
    const r = script('kind-down.ts', ['--dry-run'], { PATH: stubKind(['shipay']) });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.plan, ['+ kind delete cluster --name shipay']);
  });

  it('is a no-op (exit 0) when the cluster does not exist', () => {
    const r = script('kind-down.ts', [], { PATH: stubKind([]) });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /does not exist; nothing to delete/);
  });
});

describe('helm-install', () => {
  const sets = [
    '--set-string apiRest.image.tag=1.2.3',
    '--set asyncWorker.image.registry=docker.io',
    '--set asyncWorker.image.repository=shipay/shipay-async-worker',
    '--set-string asyncWorker.image.tag=1.2.3',
  ];

  it('--dry-run: namespace with Pod Security labels, helm upgrade --install --atomic --wait, smoke check', () => {
    const extra = join(work, 'extra.yaml');
    writeFileSync(extra, 'apiRest:\n  replicaCount: 3\n');
    const r = script('helm-install.ts', [
      '--dry-run',
      '--version',
      '1.2.3',
      '--kube-context',
      'kind-shipay',
      '--values',
      extra,
      '--set',
      'config.logLevel=DEBUG',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.plan, [
      '+ kubectl --context kind-shipay apply -f -',
      [
        '+ helm upgrade --install shipay helm/shipay --namespace shipay --kube-context kind-shipay --atomic --wait',
        `--timeout 10m --values helm/shipay/values-kind.yaml --values ${extra}`,
        '--set apiRest.image.registry=docker.io --set apiRest.image.repository=shipay/shipay-api-rest',
        ...sets,
        '--set config.logLevel=DEBUG',
      ].join(' '),
      '+ kubectl --context kind-shipay --namespace shipay port-forward service/shipay-api-rest :443 &',
      '+ GET https://shipay-api-rest.shipay.svc/health via the forwarded port, CA from configmap shipay-ca',
    ]);
  });

  it('HELM_VALUES adds comma-separated values files after values-<env>.yaml; a missing one is exit 2', () => {
    const a = join(work, 'a.yaml');
    const b = join(work, 'b.yaml');
    writeFileSync(a, 'apiRest:\n  replicaCount: 1\n');
    writeFileSync(b, 'asyncWorker:\n  replicaCount: 1\n');
    const r = script('helm-install.ts', ['--dry-run', '--version', '1.2.3', '--no-smoke'], {
      HELM_VALUES: `${a},${b}`,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.plan[1] ?? '',
      new RegExp(`--values helm/shipay/values-kind.yaml --values ${a} --values ${b} `),
    );
    const missing = script('helm-install.ts', ['--dry-run', '--version', '1.2.3'], {
      HELM_VALUES: 'nope.yaml',
    });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /values file not found: nope\.yaml/);
  });

  it('an environment without values-<env>.yaml gets no -f for it; --no-smoke drops the check', () => {
    const r = script('helm-install.ts', [
      '--dry-run',
      '--env',
      'staging',
      '--version',
      '1.2.3',
      '--no-smoke',
      '--release',
      'web',
      '--namespace',
      'stage',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.plan.length, 2);
    assert.doesNotMatch(r.plan[1] ?? '', /--values/);
    assert.match(
      r.plan[1] ?? '',
      /^\+ helm upgrade --install web helm\/shipay --namespace stage --atomic --wait --timeout 10m /,
    );
  });

  it('the values it passes are accepted by the chart (same args through helm template)', () => {
    const r = script('helm-install.ts', ['--dry-run', '--version', '1.2.3', '--no-smoke']);
    const helmLine = (r.plan[1] ?? '').replace(/^\+ helm upgrade --install /, '');
    const args = helmLine.split(' ').filter((a) => !['--atomic', '--wait'].includes(a));
    const timeout = args.indexOf('--timeout');
    args.splice(timeout, 2);
    const rendered = run('helm', ['template', ...args, '--kube-version', 'v1.32.13']);
    assert.equal(rendered.status, 0, rendered.stderr);
    assert.match(rendered.stdout, /image: docker\.io\/shipay\/shipay-api-rest:1\.2\.3/);
    assert.match(rendered.stdout, /image: docker\.io\/shipay\/shipay-async-worker:1\.2\.3/);
  });

  it('missing helm/kubectl: exit 4 naming them with how to install', () => {
    const r = script('helm-install.ts', ['--dry-run', '--version', '1.2.3'], { PATH: pathWith([]) });
    assert.equal(r.status, 4, r.stderr);
    assert.match(r.stderr, /required tools not found on PATH: helm, kubectl/);
    assert.match(r.stderr, /go install helm\.sh\/helm\/v3\/cmd\/helm@v3\.19\.0/);
  });

  it('an unreachable cluster: exit 4 before anything changes', () => {
    const r = script('helm-install.ts', ['--version', '1.2.3'], {
      KUBECONFIG: join(work, 'no-such-kubeconfig'),
    });
    assert.equal(r.status, 4, r.stdout + r.stderr);
    assert.match(r.stderr, /the Kubernetes cluster is unreachable/);
    assert.doesNotMatch(r.stdout, /helm upgrade/);
  });

  it('bad input: exit 2 naming it', () => {
    const env = script('helm-install.ts', ['--dry-run', '--env', 'prod']);
    assert.equal(env.status, 2);
    assert.match(env.stderr, /--env 'prod' is not one of kind, dev, staging, production/);
    const values = script('helm-install.ts', ['--dry-run', '--values', 'missing.yaml']);
    assert.equal(values.status, 2);
    assert.match(values.stderr, /values file not found: missing\.yaml/);
    const set = script('helm-install.ts', ['--dry-run', '--set', 'novalue']);
    assert.equal(set.status, 2);
    assert.match(set.stderr, /--set 'novalue' is not KEY=VALUE/);
  });

  it('names match the chart: fullname rule, Service, CA ConfigMap', () => {
    assert.equal(fullname('shipay'), 'shipay');
    assert.equal(fullname('web'), 'web-shipay');
    const names = releaseNames('web', 'stage');
    const rendered = run('helm', [
      'template',
      'web',
      'helm/shipay',
      '--namespace',
      'stage',
      '--kube-version',
      'v1.32.13',
    ]);
    assert.match(rendered.stdout, new RegExp(`kind: Service\\nmetadata:\\n  name: ${names.service}\\n`));
    assert.match(
      rendered.stdout,
      new RegExp(`kind: ConfigMap\\nmetadata:\\n  name: ${names.caConfigMap}\\n`),
    );
    assert.equal(names.serviceDns, 'web-shipay-api-rest.stage.svc');
  });

  it('the namespace enforces Pod Security restricted', () => {
    const ns = JSON.parse(namespaceManifest('shipay'));
    assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
    assert.equal(ns.metadata.labels['pod-security.kubernetes.io/warn'], 'restricted');
  });
});

describe('smoke check TLS verification (against a local HTTPS server using the chart-generated certificate)', () => {
  const objects = render();
  const secret = find(objects, 'Secret', 'shipay-api-rest-tls');
  const decode = (b64 = '') => Buffer.from(b64, 'base64').toString();
  const ca = decode(secret.data?.['ca.crt']);

  async function serve(): Promise<{ port: number; close: () => void }> {
    const server = createServer(
      { cert: decode(secret.data?.['tls.crt']), key: decode(secret.data?.['tls.key']) },
      (req, res) => {
        res.writeHead(req.url === '/health' ? 200 : 404).end('{"status":"ok"}');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, close: () => server.close() };
  }

  it('accepts the API certificate for the Service name with the chart CA', async () => {
    const s = await serve();
    try {
      const result = await httpsGetVerified(s.port, '/health', ca, 'shipay-api-rest.shipay.svc');
      assert.equal(result.status, 200);
    } finally {
      s.close();
    }
  });

  it('rejects a wrong name and an untrusted CA', async () => {
    const s = await serve();
    try {
      await assert.rejects(httpsGetVerified(s.port, '/health', ca, 'other.shipay.svc'), /altnames|Hostname/i);
      const otherCa = decode(find(render(), 'Secret', 'shipay-api-rest-tls').data?.['ca.crt']);
      await assert.rejects(
        httpsGetVerified(s.port, '/health', otherCa, 'shipay-api-rest.shipay.svc'),
        /certificate/i,
      );
    } finally {
      s.close();
    }
  });
});
