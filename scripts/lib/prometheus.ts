import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Daemon } from './daemon.ts';

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt?: string;
  value?: string;
}

/** Prometheus' HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/). */
export class PrometheusApi {
  constructor(readonly baseUrl: string) {}

  private async get<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { status: string; data: T; error?: string; errorType?: string };
    if (body.status !== 'success') {
      throw new Error(`${url.pathname} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
    }
    return body.data;
  }

  /** An instant query; throws with Prometheus' parse or execution error. */
  async query(expr: string): Promise<Sample[]> {
    const data = await this.get<{ resultType: string; result: Sample[] }>('/api/v1/query', { query: expr });
    return data.resultType === 'vector' ? data.result : [];
  }

  async alerts(): Promise<Alert[]> {
    return (await this.get<{ alerts: Alert[] }>('/api/v1/alerts')).alerts;
  }

  async ruleGroups(): Promise<
    { name: string; rules: { name: string; health: string; lastError?: string }[] }[]
  > {
    return (await this.get<{ groups: never[] }>('/api/v1/rules')).groups;
  }

  async targets(): Promise<{ labels: Record<string, string>; health: string; lastError: string }[]> {
    return (await this.get<{ activeTargets: never[] }>('/api/v1/targets')).activeTargets;
  }

  async metricNames(): Promise<string[]> {
    return this.get<string[]>('/api/v1/label/__name__/values');
  }

  async ready(): Promise<boolean> {
    try {
      return (await fetch(new URL('/-/ready', this.baseUrl), { signal: AbortSignal.timeout(2_000) })).ok;
    } catch {
      return false;
    }
  }
}

export interface LocalPrometheus {
  api: PrometheusApi;
  process: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Runs the prometheus binary (Debian's by default) on 127.0.0.1:`port` with its TSDB and log
 * under `workDir`, and waits until it is ready.
 */
export async function startPrometheus(options: {
  configFile: string;
  port: number;
  workDir: string;
  binary?: string;
}): Promise<LocalPrometheus> {
  mkdirSync(options.workDir, { recursive: true });
  const logFile = join(options.workDir, 'prometheus.log');
  const daemon = new Daemon(
    'prometheus',
    options.binary ?? process.env.PROMETHEUS_BIN ?? 'prometheus',
    [
      `--config.file=${options.configFile}`,
      `--storage.tsdb.path=${join(options.workDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
      '--web.enable-lifecycle',
      '--log.level=warn',
    ],
    { logFile, installHint: 'apt-get install prometheus' },
  );
  const api = new PrometheusApi(`http://127.0.0.1:${options.port}`);
  const stop = () => daemon.stop(10_000);
  try {
    await daemon.waitReady(`Prometheus on port ${options.port} (log: ${logFile})`, () => api.ready());
  } catch (error) {
    await stop();
    throw error;
  }
  return { api, process: daemon.child, logFile, stop };
}

/**
 * A Prometheus config (JSON is valid YAML) scraping `targets` by job name every `interval`,
 * evaluating `ruleFiles` at the same pace.
 */
export function scrapeConfig(
  targets: Record<string, string[]>,
  ruleFiles: string[],
  interval = '5s',
): string {
  return `${JSON.stringify(
    {
      global: { scrape_interval: interval, evaluation_interval: interval },
      rule_files: ruleFiles,
      scrape_configs: Object.entries(targets).map(([job, addresses]) => ({
        job_name: job,
        static_configs: [{ targets: addresses }],
      })),
    },
    null,
    2,
  )}\n`;
}
