// The chart, rendered by the real helm and checked object by object (task test:helm).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import {
  CHART_DIR,
  CRD_KINDS,
  find,
  type K8sObject,
  kubeconform,
  parse,
  podSpec,
  render,
  run,
  selects,
  template,
  WORKLOAD_KINDS,
} from './render.ts';

const EXTERNALS = [
  '--set',
  'kafka.enabled=false',
  '--set',
  'externalKafka.bootstrapServers=b-1.msk.example.com:9092\\,b-2.msk.example.com:9092',
  '--set',
  'postgresql.enabled=false',
  '--set',
  'externalDatabase.host=shipay.rds.example.com',
  '--set',
  'externalDatabase.existingSecret=shipay-database',
];

/** The value sets every structural check runs against. */
const VALUE_SETS: Record<string, string[]> = {
  defaults: [],
  externals: EXTERNALS,
  'cert-manager': ['--set', 'apiRest.tls.certManager.enabled=true'],
  'cert-manager with issuer': [
    '--set',
    'apiRest.tls.certManager.enabled=true',
    '--set',
    'apiRest.tls.certManager.issuerRef.name=corp-ca',
  ],
  'network policies': ['--set', 'networkPolicy.enabled=true'],
  'network policies with externals': ['--set', 'networkPolicy.enabled=true', ...EXTERNALS],
  'monitoring and HPA': [
    '--set',
    'metrics.serviceMonitor.enabled=true',
    '--set',
    'metrics.prometheusRule.enabled=true',
    '--set',
    'apiRest.autoscaling.enabled=true',
  ],
  'EKS example': ['--values', join(CHART_DIR, 'values-eks.yaml')],
  'kind environment': ['--values', join(CHART_DIR, 'values-kind.yaml')],
};

const API = 'shipay-api-rest';
const WORKER = 'shipay-async-worker';
const CAPACITY = 'shipay.com.br/capacity-type';

const podLabels = (o: K8sObject): Record<string, string> =>
  o.kind === 'Pod' ? (o.metadata.labels ?? {}) : o.spec.template.metadata.labels;

describe('helm lint --strict and kubeconform -strict (Kubernetes 1.32 schemas, offline)', () => {
  for (const [name, args] of Object.entries(VALUE_SETS)) {
    it(`${name}: lints and every manifest is valid`, () => {
      const lint = run('helm', ['lint', '--strict', CHART_DIR, ...args]);
      assert.equal(lint.status, 0, lint.stdout + lint.stderr);
      const rendered = template(args);
      assert.equal(rendered.status, 0, rendered.stderr);
      const report = kubeconform(rendered.stdout);
      assert.deepEqual(report.errors, []);
      assert.equal(report.status, 0);
      assert.ok((report.summary.valid ?? 0) >= 8, `only ${report.summary.valid} resources validated`);
      assert.equal(report.summary.skipped ?? 0, 0);
    });
  }

  it('the custom resources (cert-manager, Prometheus Operator) are validated, not skipped', () => {
    const rendered = template([
      '--set',
      'apiRest.tls.certManager.enabled=true',
      '--set',
      'metrics.serviceMonitor.enabled=true',
      '--set',
      'metrics.prometheusRule.enabled=true',
    ]);
    const kinds = new Set(parse(rendered.stdout).map((o) => o.kind));
    for (const kind of CRD_KINDS) assert.ok(kinds.has(kind), `${kind} not rendered`);
    const broken = rendered.stdout.replaceAll('interval: 30s', 'interval: 30s\n      scrapeEvery: 1m');
    const report = kubeconform(broken);
    assert.notEqual(report.status, 0);
    assert.equal(report.errors.length, 2, report.errors.join('\n'));
    assert.match(report.errors.join('\n'), /ServiceMonitor\/shipay-api-rest: .*scrapeEvery/);
    assert.match(report.errors.join('\n'), /PodMonitor\/shipay-async-worker: .*scrapeEvery/);
  });

  it('kubeconform rejects a misspelt field (the check can fail)', () => {
    const broken = template().stdout.replace('targetPort: https', 'targetPort: https\n      tragetPort: 1');
    const report = kubeconform(broken);
    assert.notEqual(report.status, 0);
    assert.match(report.errors.join('\n'), /tragetPort/);
  });
});

describe('structure', () => {
  for (const [name, args] of Object.entries(VALUE_SETS)) {
    it(`${name}: exactly one Service selects the api pods (ClusterIP, 443 -> https 8443); none selects the worker`, () => {
      const objects = render(args);
      const services = objects.filter((o) => o.kind === 'Service');
      const api = find(objects, 'Deployment', API);
      const apiServices = services.filter((s) => selects(s.spec.selector, podLabels(api)));
      assert.deepEqual(
        apiServices.map((s) => s.metadata.name),
        [API],
      );
      const [svc] = apiServices;
      assert.equal(svc?.spec.type, 'ClusterIP');
      assert.equal(svc?.spec.ports.length, 1);
      assert.equal(svc?.spec.ports[0].port, 443);
      const container = podSpec(api).containers[0];
      const target = container.ports.find((p: { name: string }) => p.name === svc?.spec.ports[0].targetPort);
      assert.equal(target?.containerPort, 8443);
      const worker = find(objects, 'Deployment', WORKER);
      assert.deepEqual(
        services.filter((s) => selects(s.spec.selector, podLabels(worker))).map((s) => s.metadata.name),
        [],
      );
    });

    it(`${name}: every container has limits and the restricted security context; services and stores have probes`, () => {
      const objects = render(args);
      const workloads = objects.filter((o) => WORKLOAD_KINDS.includes(o.kind));
      assert.ok(workloads.length >= 3);
      for (const w of workloads) {
        const pod = podSpec(w);
        const where = `${w.kind}/${w.metadata.name}`;
        assert.equal(pod.automountServiceAccountToken, false, `${where}: token automount`);
        assert.equal(pod.securityContext?.runAsNonRoot, true, `${where}: pod runAsNonRoot`);
        assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${where}: pod seccomp`);
        const isHook = w.kind === 'Pod';
        for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
          const at = `${where} container ${c.name}`;
          assert.ok(c.resources?.limits?.cpu && c.resources?.limits?.memory, `${at}: limits`);
          assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${at}: requests`);
          const sc = c.securityContext ?? {};
          assert.equal(sc.allowPrivilegeEscalation, false, `${at}: allowPrivilegeEscalation`);
          assert.equal(sc.readOnlyRootFilesystem, true, `${at}: readOnlyRootFilesystem`);
          assert.equal(sc.runAsNonRoot, true, `${at}: runAsNonRoot`);
          assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${at}: drop ALL`);
          assert.equal(sc.capabilities?.add, undefined, `${at}: no added capabilities`);
          assert.equal(sc.seccompProfile?.type, 'RuntimeDefault', `${at}: seccomp`);
        }
        if (!isHook) {
          for (const c of pod.containers) {
            for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
              assert.ok(c[probe], `${where} container ${c.name}: ${probe}`);
            }
          }
        }
      }
    });
  }

  it('api and worker pods carry the Prometheus scrape annotations of the service contract', () => {
    const objects = render();
    const api = find(objects, 'Deployment', API).spec.template.metadata.annotations;
    assert.equal(api['prometheus.io/scrape'], 'true');
    assert.equal(api['prometheus.io/port'], '8443');
    assert.equal(api['prometheus.io/scheme'], 'https');
    assert.equal(api['prometheus.io/path'], '/metrics');
    const worker = find(objects, 'Deployment', WORKER).spec.template.metadata.annotations;
    assert.equal(worker['prometheus.io/port'], '8001');
    assert.equal(worker['prometheus.io/path'], '/metrics');
  });

  it('the api runs migrations in an init container and gets its TLS files from the Secret', () => {
    const pod = podSpec(find(render(), 'Deployment', API));
    assert.deepEqual(pod.initContainers[0].command, ['api-rest-migrate']);
    assert.deepEqual(pod.containers[0].command, ['api-rest']);
    const env = Object.fromEntries(
      pod.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    assert.equal(env.API_TLS_PORT, '8443');
    assert.equal(env.API_TLS_CERT_FILE, '/etc/shipay/tls/tls.crt');
    assert.equal(pod.volumes.find((v: { name: string }) => v.name === 'tls').secret.secretName, `${API}-tls`);
    assert.equal(pod.securityContext.runAsUser, 10001);
  });

  it('PostgreSQL runs unprivileged: PGDATA in a subdirectory, emptyDirs for the socket and /tmp, a PVC', () => {
    const sts = find(render(), 'StatefulSet', 'shipay-postgresql');
    const c = podSpec(sts).containers[0];
    assert.match(c.image, /^docker\.io\/postgres:/);
    assert.equal(
      c.env.find((e: { name: string }) => e.name === 'PGDATA').value,
      '/var/lib/postgresql/data/pgdata',
    );
    const mounts = Object.fromEntries(
      c.volumeMounts.map((m: { name: string; mountPath: string }) => [m.mountPath, m.name]),
    );
    assert.equal(mounts['/var/run/postgresql'], 'run');
    assert.equal(mounts['/tmp'], 'tmp');
    assert.equal(sts.spec.volumeClaimTemplates[0].metadata.name, mounts['/var/lib/postgresql/data']);
  });

  it('Kafka is a KRaft StatefulSet of the official image behind a headless Service', () => {
    const objects = render(['--set', 'kafka.replicaCount=3']);
    const sts = find(objects, 'StatefulSet', 'shipay-kafka');
    const c = podSpec(sts).containers[0];
    assert.match(c.image, /^docker\.io\/apache\/kafka:/);
    const env = Object.fromEntries(c.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    assert.equal(env.KAFKA_PROCESS_ROLES, 'broker,controller');
    assert.equal(env.KAFKA_CONTROLLER_QUORUM_VOTERS.split(',').length, 3);
    assert.equal(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, '3');
    const headless = find(objects, 'Service', 'shipay-kafka-headless');
    assert.equal(headless.spec.clusterIP, 'None');
    assert.equal(sts.spec.serviceName, 'shipay-kafka-headless');
    assert.equal(sts.spec.volumeClaimTemplates.length, 1);
    const config = find(objects, 'ConfigMap', 'shipay-config');
    assert.equal(config.data?.KAFKA_BOOTSTRAP_SERVERS, 'shipay-kafka-headless.shipay.svc.cluster.local:9092');
  });

  it('external Kafka and PostgreSQL replace the in-cluster ones', () => {
    const objects = render(EXTERNALS);
    assert.equal(objects.filter((o) => o.kind === 'StatefulSet').length, 0);
    const config = find(objects, 'ConfigMap', 'shipay-config');
    assert.equal(config.data?.KAFKA_BOOTSTRAP_SERVERS, 'b-1.msk.example.com:9092,b-2.msk.example.com:9092');
    assert.equal(config.data?.POSTGRES_HOST, 'shipay.rds.example.com');
    assert.equal(config.data?.POSTGRES_SSLMODE, 'require');
    assert.equal(
      objects.filter((o) => o.kind === 'Secret' && o.metadata.name === 'shipay-database').length,
      0,
    );
    const env = podSpec(find(objects, 'Deployment', API)).containers[0].env;
    assert.deepEqual(
      env.find((e: { name: string }) => e.name === 'POSTGRES_PASSWORD').valueFrom.secretKeyRef,
      {
        name: 'shipay-database',
        key: 'password',
      },
    );
  });

  it('a ServiceAccount per service, none mounting a token', () => {
    const accounts = render().filter((o) => o.kind === 'ServiceAccount');
    assert.deepEqual(accounts.map((a) => a.metadata.name).sort(), [API, WORKER]);
    // biome-ignore lint/suspicious/noExplicitAny: ServiceAccount has a top-level field
    for (const a of accounts) assert.equal((a as any).automountServiceAccountToken, false);
  });

  it('a PodDisruptionBudget keeps the api available; the HPA replaces replicas when enabled', () => {
    const objects = render(['--set', 'apiRest.autoscaling.enabled=true']);
    const pdb = find(objects, 'PodDisruptionBudget', API);
    assert.equal(pdb.spec.maxUnavailable, 1);
    assert.ok(selects(pdb.spec.selector.matchLabels, podLabels(find(objects, 'Deployment', API))));
    const hpa = find(objects, 'HorizontalPodAutoscaler', API);
    assert.equal(hpa.spec.scaleTargetRef.name, API);
    assert.equal(find(objects, 'Deployment', API).spec.replicas, undefined);
  });
});

describe('scheduling', () => {
  const nodeAffinity = (objects: K8sObject[], name: string) =>
    podSpec(find(objects, 'Deployment', name)).affinity?.nodeAffinity;

  it('api_rest prefers spot (weight 100) and requires nothing; async_worker requires ondemand', () => {
    const objects = render();
    assert.deepEqual(nodeAffinity(objects, API), {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          preference: { matchExpressions: [{ key: CAPACITY, operator: 'In', values: ['spot'] }] },
        },
      ],
    });
    assert.deepEqual(nodeAffinity(objects, WORKER), {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: CAPACITY, operator: 'In', values: ['ondemand'] }] }],
      },
    });
  });

  it('api_rest replicas spread across nodes (topology spread + soft anti-affinity); the worker does not', () => {
    const objects = render();
    const api = podSpec(find(objects, 'Deployment', API));
    const keys = api.topologySpreadConstraints.map((t: { topologyKey: string }) => t.topologyKey);
    assert.deepEqual(keys, ['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
    for (const t of api.topologySpreadConstraints) {
      assert.equal(t.whenUnsatisfiable, 'ScheduleAnyway');
      assert.ok(selects(t.labelSelector.matchLabels, podLabels(find(objects, 'Deployment', API))));
    }
    const anti = api.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
    assert.equal(anti.podAffinityTerm.topologyKey, 'kubernetes.io/hostname');
    assert.equal(podSpec(find(objects, 'Deployment', WORKER)).topologySpreadConstraints, undefined);
  });

  it('both are overridable from values: mode, capacity type, label key, or a whole affinity', () => {
    const objects = render([
      '--set',
      'scheduling.capacityTypeLabel=karpenter.sh/capacity-type',
      '--set',
      'apiRest.scheduling.mode=required',
      '--set',
      'apiRest.scheduling.capacityType=ondemand',
      '--set',
      'asyncWorker.scheduling.mode=none',
    ]);
    assert.deepEqual(
      nodeAffinity(objects, API).requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
      [{ matchExpressions: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['ondemand'] }] }],
    );
    assert.equal(podSpec(find(objects, 'Deployment', WORKER)).affinity, undefined);
    const custom = render(['--set-json', 'asyncWorker.affinity={"nodeAffinity":{"x":1}}']);
    assert.deepEqual(nodeAffinity(custom, WORKER), { x: 1 });
  });
});

describe('checksum annotations roll the pods on a settings change, and only then', () => {
  const checksums = (args: string[]) => {
    const objects = render(args);
    const a = find(objects, 'Deployment', API).spec.template.metadata.annotations;
    const w = find(objects, 'Deployment', WORKER).spec.template.metadata.annotations;
    assert.equal(a['checksum/config'], w['checksum/config']);
    return { config: a['checksum/config'], secret: a['checksum/secret'] };
  };
  const base = checksums([]);

  it('is stable across renders and unrelated changes', () => {
    assert.match(base.config, /^[0-9a-f]{64}$/);
    assert.deepEqual(checksums([]), base);
    assert.deepEqual(
      checksums(['--set', 'apiRest.replicaCount=5', '--set', 'apiRest.pdb.enabled=false']),
      base,
    );
  });

  it('changes the config checksum when a setting changes', () => {
    const changed = checksums(['--set', 'config.logLevel=DEBUG']);
    assert.notEqual(changed.config, base.config);
    assert.equal(changed.secret, base.secret);
    assert.notEqual(checksums(['--set', 'config.kafkaTopicPartitions=6']).config, base.config);
  });

  it('changes the secret checksum when the password source changes', () => {
    const changed = checksums(['--set', 'postgresql.auth.password=s3cret-from-values']);
    assert.notEqual(changed.secret, base.secret);
    assert.equal(changed.config, base.config);
  });
});

describe('TLS', () => {
  const work = mkdtempSync(join(tmpdir(), 'shipay-chart-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  /**
   * `helm template` has no cluster, so `lookup` returns nothing. To test the reuse branch, a copy of
   * the chart gets one extra template that calls the same helper with a stubbed lookup result.
   */
  function tlsMaterial(existing: string): Record<string, string | boolean> {
    const chart = join(work, `chart-${Math.random().toString(36).slice(2)}`);
    cpSync(CHART_DIR, chart, { recursive: true });
    writeFileSync(
      join(chart, 'templates', 'zz-stub.yaml'),
      `stub: {{ include "shipay.apiRest.tlsMaterial" (dict "root" . "existing" ${existing}) | fromYaml | toJson | quote }}\n`,
    );
    const result = template(['--show-only', 'templates/zz-stub.yaml'], chart);
    assert.equal(result.status, 0, result.stderr);
    return JSON.parse((parseYaml(result.stdout) as { stub: string }).stub);
  }

  it('reuses the certificate of an existing Secret (an upgrade keeps what clients trust)', () => {
    const existing = '(dict "data" (dict "tls.crt" "Q1JU" "tls.key" "S0VZ" "ca.crt" "Q0E="))';
    assert.deepEqual(tlsMaterial(existing), { ca: 'Q0E=', crt: 'Q1JU', key: 'S0VZ', reused: true });
  });

  it('generates a new CA and certificate when there is no Secret or it is incomplete', () => {
    for (const existing of ['(dict)', '(dict "data" (dict "tls.crt" "Q1JU"))']) {
      const material = tlsMaterial(existing);
      assert.equal(material.reused, false);
      assert.notEqual(material.crt, 'Q1JU');
    }
  });

  it('the rendered certificate is signed by the published CA and names every Service DNS name', () => {
    const objects = render();
    const secret = find(objects, 'Secret', `${API}-tls`);
    const published = find(objects, 'ConfigMap', 'shipay-ca').data?.['ca.crt'] ?? '';
    const decode = (b64 = '') => Buffer.from(b64, 'base64').toString();
    assert.equal(decode(secret.data?.['ca.crt']), published);
    const ca = new X509Certificate(published);
    const cert = new X509Certificate(decode(secret.data?.['tls.crt']));
    assert.ok(ca.ca);
    assert.ok(
      cert.checkIssued(ca) && cert.verify(ca.publicKey),
      'certificate not signed by the published CA',
    );
    for (const name of [API, `${API}.shipay`, `${API}.shipay.svc`, `${API}.shipay.svc.cluster.local`]) {
      assert.ok(cert.checkHost(name), `${name} missing from ${cert.subjectAltName}`);
    }
    assert.equal(cert.checkHost('evil.example.com'), undefined);
  });

  it('with cert-manager, a Certificate (and a bootstrap CA issuer) replaces the generated Secret', () => {
    const objects = render(['--set', 'apiRest.tls.certManager.enabled=true']);
    assert.equal(objects.filter((o) => o.kind === 'Secret' && o.metadata.name === `${API}-tls`).length, 0);
    const cert = find(objects, 'Certificate', API);
    assert.equal(cert.spec.secretName, `${API}-tls`);
    assert.ok(cert.spec.dnsNames.includes(`${API}.shipay.svc`));
    assert.equal(cert.spec.issuerRef.name, 'shipay-ca');
    find(objects, 'Issuer', 'shipay-ca');
    const test = find(objects, 'Pod', 'shipay-test-health');
    assert.deepEqual(podSpec(test).volumes[0].secret, {
      secretName: `${API}-tls`,
      items: [{ key: 'ca.crt', path: 'ca.crt' }],
    });
  });

  it('the helm test hook calls https://<service>:443/health trusting only the chart CA', () => {
    const pod = find(render(), 'Pod', 'shipay-test-health');
    assert.equal(pod.metadata.annotations?.['helm.sh/hook'], 'test');
    const script = podSpec(pod).containers[0].command.join(' ');
    assert.match(script, /https:\/\/shipay-api-rest\.shipay\.svc:443\/health/);
    assert.match(script, /cafile="\/etc\/shipay\/ca\/ca\.crt"/);
    assert.doesNotMatch(script, /CERT_NONE|check_hostname\s*=\s*False/);
    assert.deepEqual(podSpec(pod).volumes[0].configMap, { name: 'shipay-ca' });
  });
});

describe('database password', () => {
  const work = mkdtempSync(join(tmpdir(), 'shipay-chart-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  /** Calls the password helper in a copy of the chart with a stubbed `lookup` result (see TLS). */
  function password(existing: string, args: string[] = []): string {
    const chart = join(work, `chart-${Math.random().toString(36).slice(2)}`);
    cpSync(CHART_DIR, chart, { recursive: true });
    writeFileSync(
      join(chart, 'templates', 'zz-stub.yaml'),
      `stub: {{ include "shipay.databasePassword" (dict "root" . "existing" ${existing}) | quote }}\n`,
    );
    const result = template(['--show-only', 'templates/zz-stub.yaml', ...args], chart);
    assert.equal(result.status, 0, result.stderr);
    return (parseYaml(result.stdout) as { stub: string }).stub;
  }

  it('keeps the password of the existing Secret on upgrade', () => {
    assert.equal(password('(dict "data" (dict "password" "a2VwdC1wYXNzd29yZA=="))'), 'kept-password');
  });

  it('generates a 32-character one on first install, and a password in values wins', () => {
    const generated = password('(dict)');
    assert.match(generated, /^[A-Za-z0-9]{32}$/);
    assert.notEqual(password('(dict)'), generated);
    assert.equal(
      password('(dict "data" (dict "password" "b2xk"))', ['--set', 'postgresql.auth.password=from-values']),
      'from-values',
    );
  });

  it('the Secret is kept on uninstall and both services and PostgreSQL read it', () => {
    const objects = render();
    const secret = find(objects, 'Secret', 'shipay-database');
    assert.equal(secret.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
    for (const [kind, name] of [
      ['Deployment', API],
      ['Deployment', WORKER],
      ['StatefulSet', 'shipay-postgresql'],
    ]) {
      const env = podSpec(find(objects, kind as string, name as string)).containers[0].env;
      const ref = env.find((e: { name: string }) => e.name === 'POSTGRES_PASSWORD').valueFrom.secretKeyRef;
      assert.deepEqual(ref, { name: 'shipay-database', key: 'password' }, `${kind}/${name}`);
    }
  });
});

describe('NOTES.txt', () => {
  const work = mkdtempSync(join(tmpdir(), 'shipay-notes-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  /** `helm template` never prints NOTES.txt, so a copy of the chart renders it as a value. */
  function notes(args: string[] = []): string {
    const chart = join(work, `chart-${Math.random().toString(36).slice(2)}`);
    cpSync(CHART_DIR, chart, { recursive: true });
    const body = readFileSync(join(chart, 'templates', 'NOTES.txt'), 'utf8');
    writeFileSync(
      join(chart, 'templates', '_zz_notes.tpl'),
      `{{- define "zz.notes" -}}\n${body}{{- end }}\n`,
    );
    writeFileSync(join(chart, 'templates', 'zz-notes.yaml'), 'notes: {{ include "zz.notes" . | quote }}\n');
    const result = template(['--show-only', 'templates/zz-notes.yaml', ...args], chart);
    assert.equal(result.status, 0, result.stderr);
    return (parseYaml(result.stdout) as { notes: string }).notes;
  }

  it('tells how to reach the API over TLS with the chart CA, and how to run helm test', () => {
    const text = notes();
    assert.match(text, /port-forward svc\/shipay-api-rest 8443:443/);
    assert.match(text, /get configmap shipay-ca -o jsonpath='\{\.data\.ca\\\.crt\}' > shipay-ca\.crt/);
    assert.match(
      text,
      /curl --cacert shipay-ca\.crt --resolve shipay-api-rest\.shipay\.svc:8443:127\.0\.0\.1 https:\/\/shipay-api-rest\.shipay\.svc:8443\/health/,
    );
    assert.match(text, /helm test shipay -n shipay/);
  });

  it('with cert-manager the CA comes from the TLS Secret; externals are named', () => {
    const text = notes(['--set', 'apiRest.tls.certManager.enabled=true', ...EXTERNALS]);
    assert.match(text, /get secret shipay-api-rest-tls .*base64 -d > shipay-ca\.crt/);
    assert.match(text, /Kafka: external \(b-1\.msk\.example\.com:9092,b-2/);
    assert.match(text, /PostgreSQL: external \(shipay\.rds\.example\.com:5432\)/);
  });
});

describe('NetworkPolicies', () => {
  it('default deny for every pod of the release, then DNS and the flows the system needs', () => {
    const objects = render(['--set', 'networkPolicy.enabled=true']);
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const deny = find(objects, 'NetworkPolicy', 'shipay-default-deny');
    assert.deepEqual(deny.spec.policyTypes, ['Ingress', 'Egress']);
    assert.equal(deny.spec.ingress, undefined);
    assert.equal(deny.spec.egress, undefined);
    for (const w of objects.filter((o) => WORKLOAD_KINDS.includes(o.kind))) {
      assert.ok(
        selects(deny.spec.podSelector.matchLabels, podLabels(w)),
        `${w.metadata.name} not under default deny`,
      );
    }
    const dns = find(objects, 'NetworkPolicy', 'shipay-allow-dns');
    assert.deepEqual(dns.spec.egress[0].ports, [
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ]);
    const apiPolicy = find(objects, 'NetworkPolicy', API);
    assert.deepEqual(apiPolicy.spec.ingress[0].ports, [{ port: 8443, protocol: 'TCP' }]);
    const egressPorts = apiPolicy.spec.egress.flatMap((e: { ports: { port: number }[] }) =>
      e.ports.map((p) => p.port),
    );
    assert.deepEqual(egressPorts.sort(), [5432, 9092]);
    const pg = find(objects, 'NetworkPolicy', 'shipay-postgresql');
    assert.equal(pg.spec.ingress[0].from.length, 2);
    assert.ok(policies.length >= 7);
  });
});

describe('monitoring', () => {
  it('off by default; when on, the PrometheusRule carries files/alert-rules.yaml verbatim', () => {
    assert.equal(render().filter((o) => o.apiVersion.startsWith('monitoring.coreos.com')).length, 0);
    const objects = render([
      '--set',
      'metrics.serviceMonitor.enabled=true',
      '--set',
      'metrics.prometheusRule.enabled=true',
    ]);
    const rule = find(objects, 'PrometheusRule', 'shipay');
    assert.deepEqual(
      rule.spec,
      parseYaml(readFileSync(join(CHART_DIR, 'files', 'alert-rules.yaml'), 'utf8')),
    );
    assert.ok(rule.spec.groups[0].rules.length >= 1);
    const sm = find(objects, 'ServiceMonitor', API);
    assert.equal(sm.spec.endpoints[0].port, 'https');
    assert.equal(find(objects, 'PodMonitor', WORKER).spec.podMetricsEndpoints[0].port, 'http');
  });
});

describe('values.schema.json rejects bad values, naming the key', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'unknown capacity type',
      ['--set', 'apiRest.scheduling.capacityType=preemptible'],
      /\/apiRest\/scheduling\/capacityType': value must be one of 'spot', 'ondemand'/,
    ],
    [
      'unknown worker capacity type',
      ['--set', 'asyncWorker.scheduling.capacityType=SPOT'],
      /\/asyncWorker\/scheduling\/capacityType': value must be one of/,
    ],
    [
      'unknown scheduling mode',
      ['--set', 'apiRest.scheduling.mode=sometimes'],
      /\/apiRest\/scheduling\/mode': value must be one of 'preferred', 'required', 'none'/,
    ],
    [
      'wrong type',
      ['--set', 'apiRest.replicaCount=two'],
      /\/apiRest\/replicaCount': got string, want integer/,
    ],
    ['wrong type (boolean)', ['--set', 'kafka.enabled=maybe'], /\/kafka\/enabled': got string, want boolean/],
    [
      'missing image repository',
      ['--set', 'asyncWorker.image.repository=null'],
      /\/asyncWorker\/image': missing property 'repository'/,
    ],
    [
      'empty image repository',
      ['--set', 'apiRest.image.repository='],
      /\/apiRest\/image\/repository': minLength/,
    ],
    [
      'misspelt key',
      ['--set', 'apiRest.replicas=3'],
      /\/apiRest': additional properties 'replicas' not allowed/,
    ],
    ['bad service port', ['--set', 'apiRest.service.port=70000'], /\/apiRest\/service\/port': maximum/],
    [
      'bad bootstrap servers',
      ['--set', 'externalKafka.bootstrapServers=kafka'],
      /\/externalKafka\/bootstrapServers': .*pattern/,
    ],
    ['bad log level', ['--set', 'config.logLevel=LOUD'], /\/config\/logLevel': value must be one of/],
  ];
  for (const [what, args, message] of cases) {
    it(what, () => {
      const result = template(args);
      assert.notEqual(result.status, 0, `accepted: ${args.join(' ')}`);
      assert.match(result.stderr, message);
    });
  }

  it('external endpoints are required once the in-cluster ones are off', () => {
    const kafka = template(['--set', 'kafka.enabled=false']);
    assert.notEqual(kafka.status, 0);
    assert.match(kafka.stderr, /externalKafka\.bootstrapServers is required when kafka\.enabled=false/);
    const db = template(['--set', 'postgresql.enabled=false', '--set', 'externalDatabase.host=db']);
    assert.notEqual(db.status, 0);
    assert.match(db.stderr, /externalDatabase\.password or externalDatabase\.existingSecret is required/);
  });
});

describe('checkov', () => {
  it('finds nothing on the rendered chart beyond the skips documented in test/helm/checkov.yaml', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipay-checkov-'));
    try {
      const file = join(dir, 'shipay.yaml');
      writeFileSync(
        file,
        template(['--set', 'networkPolicy.enabled=true', '--set', 'apiRest.autoscaling.enabled=true']).stdout,
      );
      const result = run('checkov', ['--config-file', 'test/helm/checkov.yaml', '-f', file, '-o', 'json']);
      const report = JSON.parse(result.stdout) as {
        summary: { passed: number; failed: number; skipped: number };
        results: { failed_checks: { check_id: string; resource: string }[] };
      };
      assert.deepEqual(
        report.results.failed_checks.map((f) => `${f.check_id} ${f.resource}`),
        [],
      );
      assert.equal(result.status, 0);
      assert.ok(report.summary.passed > 100, `only ${report.summary.passed} checks passed`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
