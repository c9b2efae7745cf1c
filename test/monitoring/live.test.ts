// A real Prometheus (Debian's binary) scraping the real api and worker, which run from their
// virtualenvs against real PostgreSQL and Kafka (test/servers/). Ports from the monitoring
// part's range: Prometheus 19090, api 19000, worker 19001, PostgreSQL 19432, Kafka 19092/19093.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalStack, postComment } from '../../scripts/lib/local-stack.ts';
import { Logger } from '../../scripts/lib/logger.ts';
import {
  type LocalPrometheus,
  type Sample,
  scrapeConfig,
  startPrometheus,
} from '../../scripts/lib/prometheus.ts';
import { Runner } from '../../scripts/lib/runner.ts';
import { waitFor } from '../../scripts/lib/wait.ts';
import { alertRules, dashboard, RULES_FILE, resolveGrafanaVariables } from './files.ts';

const PORTS = { api: 19000, worker: 19001, postgres: 19432, kafka: 19092, kafkaController: 19093 };
const PROMETHEUS_PORT = 19090;
const COMMENTS = 5;

const total = (samples: Sample[]) => samples.reduce((sum, s) => sum + Number(s.value[1]), 0);

describe('Prometheus scraping the running services', { timeout: 300_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'shipay-monitoring-'));
  const stack = new LocalStack(PORTS, work, new Runner(new Logger({ quiet: true })));
  let prometheus: LocalPrometheus | undefined;

  before(async () => {
    await stack.startAll();
    const config = join(work, 'prometheus.yml');
    writeFileSync(
      config,
      scrapeConfig(
        { api_rest: [`127.0.0.1:${PORTS.api}`], async_worker: [`127.0.0.1:${PORTS.worker}`] },
        [RULES_FILE],
        '2s',
      ),
    );
    const check = spawnSync('promtool', ['check', 'config', config], { encoding: 'utf8' });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    prometheus = await startPrometheus({
      configFile: config,
      port: PROMETHEUS_PORT,
      workDir: join(work, 'prom'),
    });
  });

  after(async () => {
    await prometheus?.stop();
    await stack.stopAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('scrapes both services as healthy targets', async () => {
    const targets = await waitFor('both targets up', async () => {
      const t = await prometheus!.api.targets();
      return t.length === 2 && t.every((x) => x.health === 'up') ? t : undefined;
    });
    assert.deepEqual(targets.map((t) => t.labels.job).sort(), ['api_rest', 'async_worker']);
  });

  it("returns the api's and the worker's counters for real traffic", async () => {
    const api = prometheus!.api;
    const before = total(await api.query('sum(worker_events_processed_total)'));
    for (let i = 0; i < COMMENTS; i++) {
      assert.equal((await postComment(stack.url('api'), 4242)).status, 201);
    }
    const created = await waitFor('api_http_requests_total to count the comments', async () => {
      const s = await api.query(
        'sum(api_http_requests_total{job="api_rest",route="/api/comment/new",method="POST",status="201"})',
      );
      return total(s) >= COMMENTS ? total(s) : undefined;
    });
    assert.ok(created >= COMMENTS);
    // The events travel api outbox -> Kafka -> worker; both ends are counted.
    await waitFor('api_outbox_published_total to count the events', async () =>
      total(await api.query('sum(api_outbox_published_total{job="api_rest"})')) >= COMMENTS
        ? true
        : undefined,
    );
    await waitFor(
      'worker_events_processed_total to grow by the comments',
      async () =>
        total(await api.query('sum(worker_events_processed_total{job="async_worker"})')) >= before + COMMENTS
          ? true
          : undefined,
      { timeoutMs: 90_000 },
    );
    const p99 = await waitFor('a p99 of the write route', async () => {
      const s = await api.query(
        'histogram_quantile(0.99, sum by (le) (api_http_request_duration_seconds_bucket{route="/api/comment/new"}))',
      );
      // over the process' lifetime: a rate() needs two scrapes on each side of the requests
      return s.length === 1 ? Number(s[0]!.value[1]) : undefined;
    });
    assert.ok(p99 > 0 && p99 < 5, `p99 of a healthy write is ${p99}s`);
  });

  it('loads every alert rule and evaluates it without error on the real series', async () => {
    const names = alertRules().map((r) => r.alert);
    const rules = await waitFor('every rule evaluated', async () => {
      const all = (await prometheus!.api.ruleGroups()).flatMap((g) => g.rules);
      return all.length === names.length && all.every((r) => r.health === 'ok') ? all : undefined;
    });
    assert.deepEqual(rules.map((r) => r.name).sort(), [...names].sort());
    // The not-scraped alerts look for the real metric names: with both services up they are quiet.
    const quiet = await prometheus!.api.query(
      'ALERTS{alertname=~"ShipayApiNotScraped|ShipayWorkerNotScraped|ShipayTargetDown"}',
    );
    assert.deepEqual(quiet, []);
  });

  it('accepts every dashboard query, and the service metrics they name exist', async () => {
    const api = prometheus!.api;
    const panels = dashboard().panels.filter((p) => p.type !== 'row');
    const named = new Set(
      panels.flatMap((p) => p.targets ?? []).flatMap((t) => t.expr.match(/\b(api|worker)_[a-z_]+/g) ?? []),
    );
    // Some series appear only after the first event (the lag once a partition is assigned).
    const known = await waitFor(
      `every service metric the dashboard names (${[...named].join(', ')})`,
      async () => {
        const names = new Set(await api.metricNames());
        return [...named].every((m) => names.has(m)) ? names : undefined;
      },
      { timeoutMs: 60_000 },
    );
    let checked = 0;
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        const expr = resolveGrafanaVariables(target.expr);
        await assert.doesNotReject(api.query(expr), `panel '${panel.title}' ${target.refId}: ${expr}`);
        for (const metric of expr.match(/\b(api|worker)_[a-z_]+/g) ?? []) {
          assert.ok(known.has(metric), `panel '${panel.title}' queries ${metric}, which no service exports`);
        }
        checked++;
      }
    }
    assert.ok(checked >= 10);
    // The check itself rejects a broken query.
    await assert.rejects(api.query('sum(rate(api_http_requests_total[1m]) by'), /bad_data/);
  });
});
