import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { fromRoot } from '../../scripts/lib/paths.ts';
import {
  COMPOSE_FILE,
  DASHBOARD_FILE,
  DASHBOARD_PROVIDER_FILE,
  DATASOURCES_FILE,
  dashboard,
  readYaml,
} from './files.ts';

interface ComposeService {
  image: string;
  profiles?: string[];
  volumes?: string[];
  ports?: string[];
  read_only?: boolean;
  cap_drop?: string[];
}

const readYamlText = (text: string) => parse(text) as { services: Record<string, unknown> };
const compose = () => readYaml<{ services: Record<string, ComposeService> }>(COMPOSE_FILE);
/** Bind mounts of a compose service as [absolute source, container target]. */
const binds = (service: ComposeService) =>
  (service.volumes ?? [])
    .filter((v) => v.startsWith('.'))
    .map((v) => {
      const [source, target] = v.split(':') as [string, string];
      return [resolve(dirname(COMPOSE_FILE), source), target] as const;
    });

describe('Grafana dashboard (what provisioning expects)', () => {
  const dash = dashboard();
  const panels = dash.panels.filter((p) => p.type !== 'row');
  const datasources = readYaml<{
    apiVersion: number;
    datasources: { uid: string; type: string; url: string }[];
  }>(DATASOURCES_FILE);

  it('has a uid, a title and a numeric schemaVersion Grafana 10/11 reads without migrating', () => {
    assert.match(dash.uid, /^[a-zA-Z0-9_-]{1,40}$/);
    assert.ok(dash.title);
    assert.equal(typeof dash.schemaVersion, 'number');
    assert.ok(dash.schemaVersion >= 36 && dash.schemaVersion <= 41, `schemaVersion ${dash.schemaVersion}`);
  });

  it('points every panel and query at the provisioned Prometheus datasource uid', () => {
    assert.equal(datasources.apiVersion, 1);
    const prometheus = datasources.datasources.filter((d) => d.type === 'prometheus');
    assert.equal(prometheus.length, 1);
    const uid = prometheus[0]!.uid;
    assert.equal(prometheus[0]!.url, 'http://prometheus:9090', 'the compose service name and port');
    for (const panel of panels) {
      assert.equal(panel.datasource?.uid, uid, `panel '${panel.title}'`);
      assert.ok(panel.targets?.length, `panel '${panel.title}' has no query`);
      for (const t of panel.targets ?? []) {
        assert.equal(t.datasource?.uid ?? uid, uid, `panel '${panel.title}' query ${t.refId}`);
        assert.ok(t.expr.trim(), `panel '${panel.title}' query ${t.refId} is empty`);
      }
      const refIds = (panel.targets ?? []).map((t) => t.refId);
      assert.equal(new Set(refIds).size, refIds.length, `panel '${panel.title}' repeats a refId`);
    }
  });

  it('has unique panel ids and covers every area of the issue', () => {
    const ids = dash.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    const queries = panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    for (const metric of [
      'api_http_requests_total',
      'api_http_request_duration_seconds_bucket',
      'api_outbox_pending',
      'worker_events_processed_total',
      'worker_events_failed_total',
      'worker_dlq_messages_total',
      'worker_consumer_lag',
      'node_cpu_seconds_total',
      'node_memory_MemAvailable_bytes',
    ]) {
      assert.ok(
        queries.some((q) => q.includes(metric)),
        `no panel queries ${metric}`,
      );
    }
    assert.ok(
      queries.some((q) => /by \([^)]*route/.test(q) && q.includes('duration')),
      'duration by route',
    );
  });

  it('is loaded from the folder compose mounts and the provider reads', () => {
    const provider = readYaml<{ providers: { options: { path: string } }[] }>(DASHBOARD_PROVIDER_FILE);
    const grafana = compose().services.grafana!;
    const dashboards = binds(grafana).find(([source]) => source === dirname(DASHBOARD_FILE));
    assert.ok(dashboards, 'compose mounts monitoring/grafana/dashboards');
    assert.equal(provider.providers[0]!.options.path, dashboards[1]);
    assert.ok(
      binds(grafana).some(
        ([source, target]) =>
          source.endsWith('grafana/provisioning') && target === '/etc/grafana/provisioning',
      ),
    );
  });
});

describe('compose monitoring profile', () => {
  const services = compose().services;

  it('runs Prometheus, Grafana and node-exporter from overridable official images', () => {
    const expected: Record<string, RegExp> = {
      prometheus: /^\$\{PROMETHEUS_IMAGE:-prom\/prometheus:v[\d.]+\}$/,
      grafana: /^\$\{GRAFANA_IMAGE:-grafana\/grafana:[\d.]+\}$/,
      'node-exporter': /^\$\{NODE_EXPORTER_IMAGE:-prom\/node-exporter:v[\d.]+\}$/,
    };
    assert.deepEqual(Object.keys(services).sort(), Object.keys(expected).sort());
    for (const [name, image] of Object.entries(expected)) {
      const service = services[name]!;
      assert.match(service.image, image);
      assert.deepEqual(service.profiles, ['monitoring'], `${name} profile`);
      assert.equal(service.read_only, true, `${name} read-only root filesystem`);
      assert.deepEqual(service.cap_drop, ['ALL'], `${name} capabilities`);
      for (const port of service.ports ?? [])
        assert.match(port, /^\$\{MONITORING_BIND_ADDRESS:-127\.0\.0\.1\}:/);
    }
  });

  it('is accepted by docker-compose together with the stack, and demands the Grafana password', () => {
    const config = (env: Record<string, string>) =>
      spawnSync(
        'docker-compose',
        [
          '-f',
          fromRoot('compose/docker-compose.yaml'),
          '-f',
          COMPOSE_FILE,
          '--profile',
          'monitoring',
          'config',
        ],
        { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } },
      );
    const ok = config({ POSTGRES_PASSWORD: 'x', GRAFANA_ADMIN_PASSWORD: 'y' });
    if (ok.error)
      throw new Error(`docker-compose not runnable (apt-get install docker-compose): ${ok.error.message}`);
    assert.equal(ok.status, 0, ok.stderr);
    const services = readYamlText(ok.stdout).services;
    for (const name of ['prometheus', 'grafana', 'node-exporter', 'api_rest', 'async_worker']) {
      assert.ok(services[name], `${name} in the merged config`);
    }
    const missing = config({ POSTGRES_PASSWORD: 'x' });
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /GRAFANA_ADMIN_PASSWORD/);
  });

  it('mounts the chart rule file and the Prometheus config, and every mounted path exists', () => {
    const mounts = binds(services.prometheus!);
    assert.ok(
      mounts.some(
        ([s, t]) =>
          s.endsWith('helm/shipay/files/alert-rules.yaml') && t.startsWith('/etc/prometheus/rules/'),
      ),
    );
    assert.ok(
      mounts.some(
        ([s, t]) =>
          s.endsWith('monitoring/prometheus/prometheus.yml') && t === '/etc/prometheus/prometheus.yml',
      ),
    );
    for (const service of Object.values(services)) {
      for (const [source] of binds(service)) assert.ok(existsSync(source), `${source} does not exist`);
    }
  });
});
