import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { fromRoot } from '../../scripts/lib/paths.ts';

/** The monitoring files under test, read from the repository. */
export const RULES_FILE = fromRoot('helm/shipay/files/alert-rules.yaml');
export const RULE_TESTS_FILE = fromRoot('monitoring/rules-tests/alert-rules.test.yaml');
export const PROMETHEUS_CONFIG = fromRoot('monitoring/prometheus/prometheus.yml');
export const DASHBOARD_FILE = fromRoot('monitoring/grafana/dashboards/shipay.json');
export const DATASOURCES_FILE = fromRoot('monitoring/grafana/provisioning/datasources/prometheus.yaml');
export const DASHBOARD_PROVIDER_FILE = fromRoot('monitoring/grafana/provisioning/dashboards/shipay.yaml');
export const COMPOSE_FILE = fromRoot('compose/docker-compose.monitoring.yaml');
export const RUNBOOKS_FILE = fromRoot('docs/runbooks.md');

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function readYaml<T>(path: string): T {
  return parse(readFileSync(path, 'utf8'), { merge: true }) as T;
}

export function alertRules(path = RULES_FILE): AlertRule[] {
  const doc = readYaml<{ groups: { rules: AlertRule[] }[] }>(path);
  return doc.groups.flatMap((g) => g.rules).filter((r) => r.alert);
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { type: string; uid: string } }[];
}

export function dashboard(): { uid: string; title: string; schemaVersion: number; panels: Panel[] } {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'));
}

/** Grafana's built-in interval variables replaced by fixed ranges, so Prometheus can run the query. */
export function resolveGrafanaVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '1h');
}
