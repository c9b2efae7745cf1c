// Checks on the live kind cluster that `task deploy --target kind` built (run by test/e2e/kind.sh
// after the deploy; nothing here is a stand-in: real nodes, kubelet, scheduler, kube-proxy, CNI).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  API_SERVICE,
  CAPACITY_LABEL,
  CLIENT_POD,
  CONTEXT,
  eventually,
  inClient,
  inClientInBackground,
  isReady,
  kubectl,
  kubectlJson,
  NAMESPACE,
  nodesByName,
  nodeWithCapacity,
  podsOf,
  RELEASE,
  run,
  tryKubectl,
} from './cluster.ts';

const API_URL = `https://${API_SERVICE}.${NAMESPACE}.svc:443`;
const CA = '/etc/shipay/ca/ca.crt';

function clientPod(image: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: CLIENT_POD, labels: { 'app.kubernetes.io/name': 'e2e-client' } },
    spec: {
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'client',
          image,
          imagePullPolicy: 'IfNotPresent',
          command: ['sleep', 'infinity'],
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
          volumeMounts: [
            { name: 'ca', mountPath: '/etc/shipay/ca', readOnly: true },
            { name: 'tmp', mountPath: '/tmp' },
          ],
        },
      ],
      volumes: [
        { name: 'ca', configMap: { name: `${RELEASE}-ca` } },
        { name: 'tmp', emptyDir: {} },
      ],
    },
  });
}

const getJson = (url: string, extra = ''): string => `
import json, ssl, urllib.request
ctx = ssl.create_default_context(cafile="${CA}")
with urllib.request.urlopen(urllib.request.Request("${url}"${extra}), context=ctx, timeout=10) as r:
    print(json.dumps({"status": r.status, "body": json.loads(r.read())}))
`;

/** Comments the worker has counted for a content, read from its own HTTP port in its pod. */
function workerCount(contentId: number): number {
  const [worker] = podsOf('async-worker');
  assert.ok(worker, 'no async-worker pod');
  const out = kubectl([
    'exec',
    worker.metadata.name,
    '--',
    'python3',
    '-c',
    `import json, urllib.request, urllib.error
try:
    print(json.load(urllib.request.urlopen("http://127.0.0.1:8001/stats/${contentId}", timeout=5))["comments"])
except urllib.error.HTTPError as e:
    print(0 if e.code == 404 else 1 / 0)`,
  ]);
  return Number(out.trim());
}

describe(`release ${RELEASE} on kind (${CONTEXT})`, () => {
  before(() => {
    const [api] = podsOf('api-rest');
    assert.ok(api, 'no api-rest pod: did the deploy run?');
    tryKubectl(['delete', 'pod', CLIENT_POD, '--ignore-not-found', '--wait']);
    kubectl(['apply', '-f', '-'], clientPod(api.spec.containers[0]?.image ?? ''));
    kubectl(['wait', '--for=condition=Ready', `pod/${CLIENT_POD}`, '--timeout=120s']);
  });
  after(() => {
    tryKubectl(['delete', 'pod', CLIENT_POD, '--ignore-not-found']);
  });

  it('every pod of the release is Ready and `helm test` passes', () => {
    kubectl([
      'wait',
      '--for=condition=Ready',
      'pod',
      '-l',
      `app.kubernetes.io/instance=${RELEASE}`,
      '--timeout=300s',
    ]);
    for (const component of ['api-rest', 'async-worker', 'kafka', 'postgresql']) {
      const pods = podsOf(component);
      assert.ok(pods.length > 0, `no ${component} pod`);
      for (const pod of pods) assert.ok(isReady(pod), `${pod.metadata.name} is not Ready`);
    }
    const test = run('helm', ['test', RELEASE, '--namespace', NAMESPACE, '--kube-context', CONTEXT]);
    assert.equal(test.status, 0, test.stdout + test.stderr);
    assert.match(test.stdout, /Phase:\s+Succeeded/);
  });

  it('api_rest runs on the spot node, async_worker on the ondemand node (read from the API)', () => {
    const nodes = nodesByName();
    const capacityOf = (pod: { spec: { nodeName?: string } }) =>
      nodes.get(pod.spec.nodeName ?? '')?.metadata.labels[CAPACITY_LABEL];
    for (const pod of podsOf('api-rest')) assert.equal(capacityOf(pod), 'spot', `${pod.metadata.name}`);
    for (const pod of podsOf('async-worker'))
      assert.equal(capacityOf(pod), 'ondemand', `${pod.metadata.name}`);
  });

  it('the namespace enforces Pod Security restricted: every pod was admitted, a privileged one is refused', () => {
    const ns = kubectlJson<{ metadata: { labels: Record<string, string> } }>(['get', 'namespace', NAMESPACE]);
    assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
    const privileged = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'e2e-privileged' },
      spec: { containers: [{ name: 'c', image: 'ci.local/none:0', securityContext: { privileged: true } }] },
    });
    const r = tryKubectl(['apply', '--dry-run=server', '-f', '-'], privileged);
    assert.notEqual(r.status, 0, 'a privileged pod was admitted');
    assert.match(r.stderr, /violates PodSecurity "restricted/);
  });

  it(`from a pod, ${API_URL}/health answers over TLS trusted through the chart's CA only`, () => {
    const health = JSON.parse(inClient(getJson(`${API_URL}/health`)));
    assert.deepEqual(health, { status: 200, body: { status: 'ok' } });
    const untrusted = tryKubectl([
      'exec',
      CLIENT_POD,
      '--',
      'python3',
      '-c',
      `import urllib.request; urllib.request.urlopen("${API_URL}/health", timeout=10)`,
    ]);
    assert.notEqual(untrusted.status, 0, 'the certificate verified without the chart CA');
    assert.match(untrusted.stderr, /CERTIFICATE_VERIFY_FAILED/);
  });

  it('a comment posted through the Service is processed by the worker (its stats change)', async () => {
    const contentId = 900_000 + Math.floor(Math.random() * 99_999);
    const before = workerCount(contentId);
    const body = JSON.stringify({
      email: 'e2e@example.com',
      comment: 'from the e2e test',
      content_id: contentId,
    });
    const post = JSON.parse(
      inClient(
        getJson(
          `${API_URL}/api/comment/new`,
          `, data=${JSON.stringify(body)}.encode(), headers={"Content-Type": "application/json"}, method="POST"`,
        ),
      ),
    );
    assert.equal(post.status, 201);
    assert.equal(post.body.content_id, contentId);
    const count = await eventually('the worker to count the comment', 90, () => {
      const n = workerCount(contentId);
      return n > before ? n : undefined;
    });
    assert.equal(count, before + 1);
  });

  it('helm upgrade of a setting rolls the pods by itself, with no failed /health during the rollout', async () => {
    const apiBefore = new Set(podsOf('api-rest').map((p) => p.metadata.name));
    const workerBefore = new Set(podsOf('async-worker').map((p) => p.metadata.name));
    const poller = inClientInBackground(`
import os, ssl, time, urllib.request
ctx = ssl.create_default_context(cafile="${CA}")
ok = failed = 0
deadline = time.time() + 600
while time.time() < deadline and not os.path.exists("/tmp/stop"):
    try:
        with urllib.request.urlopen("${API_URL}/health", context=ctx, timeout=2) as r:
            ok += r.status == 200
            failed += r.status != 200
    except Exception as e:
        failed += 1
        print("failed:", repr(e), flush=True)
    time.sleep(0.1)
print(f"ok={ok} failed={failed}")
`);
    try {
      await new Promise((r) => setTimeout(r, 3000));
      const level = kubectlJson<{ data: Record<string, string> }>(['get', 'configmap', `${RELEASE}-config`])
        .data.LOG_LEVEL;
      const next = level === 'DEBUG' ? 'INFO' : 'DEBUG';
      const upgrade = run('helm', [
        'upgrade',
        RELEASE,
        'helm/shipay',
        '--namespace',
        NAMESPACE,
        '--kube-context',
        CONTEXT,
        '--reuse-values',
        '--set',
        `config.logLevel=${next}`,
        '--wait',
        '--timeout',
        '10m',
      ]);
      assert.equal(upgrade.status, 0, upgrade.stdout + upgrade.stderr);
      kubectl(['rollout', 'status', `deployment/${API_SERVICE}`, '--timeout=300s']);
      kubectl(['rollout', 'status', `deployment/${RELEASE}-async-worker`, '--timeout=300s']);
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      tryKubectl(['exec', CLIENT_POD, '--', 'touch', '/tmp/stop']);
    }
    const report = await poller;
    const [, ok, failed] = /ok=(\d+) failed=(\d+)/.exec(report) ?? [];
    assert.ok(Number(ok) > 20, `too few /health answers during the rollout: ${report}`);
    assert.equal(Number(failed), 0, `requests failed during the rollout:\n${report}`);
    const apiAfter = podsOf('api-rest').map((p) => p.metadata.name);
    assert.ok(
      apiAfter.every((name) => !apiBefore.has(name)),
      'api-rest pods were not replaced',
    );
    assert.ok(
      podsOf('async-worker').every((p) => !workerBefore.has(p.metadata.name)),
      'async-worker pods were not replaced',
    );
  });

  it('spot cordoned: api pods move to another node (preferred); ondemand cordoned: a worker pod stays Pending (required)', async () => {
    const spot = nodeWithCapacity('spot');
    const ondemand = nodeWithCapacity('ondemand');
    try {
      tryKubectl(['cordon', spot]);
      kubectl(['delete', 'pod', '-l', 'app.kubernetes.io/component=api-rest', '--wait=false']);
      const moved = await eventually('api pods Ready off the spot node', 300, () => {
        const pods = podsOf('api-rest');
        return pods.length > 0 && pods.every(isReady) ? pods : undefined;
      });
      for (const pod of moved)
        assert.notEqual(pod.spec.nodeName, spot, `${pod.metadata.name} on cordoned ${spot}`);

      tryKubectl(['cordon', ondemand]);
      kubectl(['delete', 'pod', '-l', 'app.kubernetes.io/component=async-worker', '--wait=true']);
      await new Promise((r) => setTimeout(r, 15_000));
      const pending = podsOf('async-worker');
      assert.ok(pending.length > 0, 'the worker Deployment made no new pod');
      for (const pod of pending) {
        assert.equal(
          pod.spec.nodeName,
          undefined,
          `${pod.metadata.name} was scheduled on ${pod.spec.nodeName}`,
        );
        assert.equal(pod.status.phase, 'Pending');
      }
    } finally {
      tryKubectl(['uncordon', spot, ondemand]);
    }
    const back = await eventually('the worker pod Ready again', 300, () => {
      const pods = podsOf('async-worker');
      return pods.length > 0 && pods.every(isReady) ? pods : undefined;
    });
    for (const pod of back) assert.equal(pod.spec.nodeName, ondemand);
  });
});
