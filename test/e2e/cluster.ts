// kubectl and helm against the e2e kind cluster, for the checks in test/e2e/*.test.ts.
import { spawn, spawnSync } from 'node:child_process';

export const CLUSTER = process.env.KIND_CLUSTER_NAME ?? 'shipay';
export const CONTEXT = `kind-${CLUSTER}`;
export const NAMESPACE = process.env.KUBE_NAMESPACE ?? 'shipay';
export const RELEASE = 'shipay';
export const API_SERVICE = `${RELEASE}-api-rest`;
export const CLIENT_POD = 'e2e-client';

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], input?: string): Result {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const inCluster = (args: string[]): string[] => ['--context', CONTEXT, '--namespace', NAMESPACE, ...args];

/** Runs kubectl in the e2e context and namespace, whatever its exit code. */
export function tryKubectl(args: string[], input?: string): Result {
  return run('kubectl', inCluster(args), input);
}

/** Runs kubectl in the e2e context and namespace; throws with its stderr when it fails. */
export function kubectl(args: string[], input?: string): string {
  const r = tryKubectl(args, input);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

export function kubectlJson<T>(args: string[]): T {
  return JSON.parse(kubectl([...args, '-o', 'json'])) as T;
}

export interface Pod {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { nodeName?: string; containers: { image: string }[] };
  status: { phase: string; conditions?: { type: string; status: string }[] };
}

export interface Node {
  metadata: { name: string; labels: Record<string, string> };
}

export const CAPACITY_LABEL = 'shipay.com.br/capacity-type';

export function podsOf(component: string): Pod[] {
  const list = kubectlJson<{ items: Pod[] }>([
    'get',
    'pods',
    '-l',
    `app.kubernetes.io/component=${component}`,
  ]);
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

export function nodesByName(): Map<string, Node> {
  const list = kubectlJson<{ items: Node[] }>(['get', 'nodes']);
  return new Map(list.items.map((n) => [n.metadata.name, n]));
}

export function nodeWithCapacity(capacity: string): string {
  for (const node of nodesByName().values()) {
    if (node.metadata.labels[CAPACITY_LABEL] === capacity) return node.metadata.name;
  }
  throw new Error(`no node labelled ${CAPACITY_LABEL}=${capacity}`);
}

export const isReady = (pod: Pod): boolean =>
  pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Python run in the client pod (the api image, the chart's CA mounted at /etc/shipay/ca). */
export function inClient(script: string): string {
  return kubectl(['exec', CLIENT_POD, '--', 'python3', '-c', script]);
}

/** Starts a long-running Python script in the client pod; resolves with its output when it exits. */
export function inClientInBackground(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', inCluster(['exec', CLIENT_POD, '--', 'python3', '-c', script]));
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}`))));
  });
}

export async function eventually<T>(what: string, seconds: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error(`timed out after ${seconds}s waiting for ${what}${last ? `: ${last}` : ''}`);
}
