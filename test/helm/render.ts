// Helpers of the chart tests: real helm and kubeconform, run as processes.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { fromRoot } from '../../scripts/lib/paths.ts';

/** The Kubernetes version the chart is rendered and validated for (schemas: .ci/install.d/45-kube-schemas.sh). */
export const KUBE_VERSION = 'v1.32.13';
export const CHART_DIR = fromRoot('helm/shipay');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field in the tests
  spec?: any;
  data?: Record<string, string>;
}

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export function run(
  cmd: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Run {
  const result = spawnSync(cmd, args, {
    cwd: fromRoot(),
    encoding: 'utf8',
    input: options.input,
    env: options.env ?? process.env,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** `helm template` of the chart (release shipay, namespace shipay) with extra helm args. */
export function template(args: string[] = [], chart = CHART_DIR): Run {
  return run('helm', [
    'template',
    'shipay',
    chart,
    '--namespace',
    'shipay',
    '--kube-version',
    KUBE_VERSION,
    ...args,
  ]);
}

export function parse(yamlText: string): K8sObject[] {
  return parseAllDocuments(yamlText)
    .map((doc) => {
      if (doc.errors.length) throw new Error(doc.errors.map((e) => e.message).join('\n'));
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

/** Renders and parses; fails the test with helm's message when rendering fails. */
export function render(args: string[] = []): K8sObject[] {
  const result = template(args);
  if (result.status !== 0) throw new Error(`helm template ${args.join(' ')} failed:\n${result.stderr}`);
  return parse(result.stdout);
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(
      `no ${kind}/${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
    );
  return found;
}

export function schemaDir(): string {
  const cache = process.env.CI_CACHE ?? join(homedir(), '.cache', 'shipay-ci');
  const dir = join(cache, 'kube-schemas', KUBE_VERSION);
  if (!existsSync(join(dir, '.done'))) {
    throw new Error(`Kubernetes JSON schemas missing in ${dir}: run bash .ci/install.d/45-kube-schemas.sh`);
  }
  return dir;
}

/** Custom resources the chart renders: validated against schemas made from their CRDs (45-kube-schemas.sh). */
export const CRD_KINDS = ['Certificate', 'Issuer', 'ServiceMonitor', 'PodMonitor', 'PrometheusRule'];

/** kubeconform -strict against the offline schemas; returns its JSON report. */
export function kubeconform(manifests: string): {
  status: number;
  summary: Record<string, number>;
  errors: string[];
} {
  const result = run(
    'kubeconform',
    [
      '-strict',
      '-summary',
      '-output',
      'json',
      '-schema-location',
      `${schemaDir()}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
      '-',
    ],
    { input: manifests },
  );
  const report = JSON.parse(result.stdout) as {
    resources?: { kind: string; name: string; status: string; msg: string }[];
    summary: Record<string, number>;
  };
  // Nothing may be skipped: a missing schema is an error, so every kind the chart renders is checked.
  const errors = (report.resources ?? [])
    .filter((r) => r.status !== 'statusValid')
    .map((r) => `${r.kind}/${r.name}: ${r.msg}`);
  return { status: result.status, summary: report.summary, errors };
}

/** Containers of a workload's pod template (or of a Pod), init containers included. */
// biome-ignore lint/suspicious/noExplicitAny: see K8sObject.spec
export function podSpec(o: K8sObject): any {
  return o.kind === 'Pod' ? o.spec : o.spec.template.spec;
}

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'Pod', 'Job', 'DaemonSet'];

/** Does a Service/peer selector pick a pod with these labels? */
export function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
