// The chart ships the same rules: its optional PrometheusRule must carry the rule file verbatim.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { fromRoot } from '../../scripts/lib/paths.ts';
import { RULES_FILE } from './files.ts';

function helmTemplate(...set: string[]): Record<string, unknown>[] {
  const r = spawnSync(
    'helm',
    [
      'template',
      't',
      fromRoot('helm/shipay'),
      '--kube-version',
      '1.30.0',
      ...set.flatMap((s) => ['--set', s]),
    ],
    { encoding: 'utf8' },
  );
  if (r.error)
    throw new Error(`helm not runnable (go install helm.sh/helm/v3/cmd/helm@v3.19.0): ${r.error.message}`);
  assert.equal(r.status, 0, r.stderr);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Record<string, unknown>)
    .filter(Boolean);
}

describe('alert rules in the Helm chart', () => {
  it('PrometheusRule (metrics.prometheusRule.enabled) carries helm/shipay/files/alert-rules.yaml as is', () => {
    const rule = helmTemplate('metrics.prometheusRule.enabled=true').find((d) => d.kind === 'PrometheusRule');
    assert.ok(rule, 'no PrometheusRule rendered');
    assert.deepEqual(rule.spec, parse(readFileSync(RULES_FILE, 'utf8')));
  });

  it('is off by default, and both workloads carry the annotations for annotation-based scraping', () => {
    const docs = helmTemplate();
    assert.ok(!docs.some((d) => d.kind === 'PrometheusRule'));
    const pods = docs
      .filter((d) => d.kind === 'Deployment')
      .map((d) => (d as { spec: { template: { metadata: { annotations?: Record<string, string> } } } }).spec)
      .map((s) => s.template.metadata.annotations ?? {});
    const scraped = pods.filter((a) => a['prometheus.io/scrape'] === 'true');
    assert.ok(scraped.length >= 2, 'api_rest and async_worker pods are annotated');
    for (const a of scraped) assert.equal(a['prometheus.io/path'], '/metrics');
  });
});
