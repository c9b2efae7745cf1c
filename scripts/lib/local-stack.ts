import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Daemon } from './daemon.ts';
import { ExitCode, UserError } from './exit-codes.ts';
import { fromRoot } from './paths.ts';
import type { Runner } from './runner.ts';

/**
 * The whole system on one machine without containers: real PostgreSQL and Kafka from
 * test/servers/ and both services run from their poetry virtualenvs. Used by the monitoring
 * tests and bench/alerts.ts, which need processes they can stop to cause real failures.
 */
export interface StackPorts {
  api: number;
  worker: number;
  postgres: number;
  kafka: number;
  kafkaController: number;
}

type Service = 'api' | 'worker';

const SERVICES: Record<Service, { app: string; bin: string; entry: string }> = {
  api: { app: 'apps/api_rest', bin: 'api-rest', entry: 'api_rest.server' },
  worker: { app: 'apps/async_worker', bin: 'async-worker', entry: 'async_worker.main' },
};

export class LocalStack {
  private readonly children = new Map<Service, Daemon>();
  /** Services that exited without stop() being asked, with how they ended. */
  readonly unexpectedExits: string[] = [];

  constructor(
    readonly ports: StackPorts,
    readonly workDir: string,
    readonly runner: Runner,
  ) {
    mkdirSync(workDir, { recursive: true });
  }

  get serverEnv(): Record<string, string> {
    return {
      PG_TEST_PORT: String(this.ports.postgres),
      KAFKA_TEST_PORT: String(this.ports.kafka),
      KAFKA_TEST_CONTROLLER_PORT: String(this.ports.kafkaController),
    };
  }

  url(service: Service): string {
    return `http://127.0.0.1:${service === 'api' ? this.ports.api : this.ports.worker}`;
  }

  /** Fails before starting anything when a service's virtualenv is missing. */
  static checkInstalled(): void {
    for (const { app } of Object.values(SERVICES)) {
      if (!existsSync(fromRoot(app, '.venv', 'bin', 'python'))) {
        throw new UserError(
          `${app} is not installed (no .venv/bin/python)`,
          `run: (cd ${app} && poetry install --only main)`,
          ExitCode.missingPrerequisite,
        );
      }
    }
  }

  async server(name: 'postgres' | 'kafka', action: 'start' | 'stop'): Promise<void> {
    await this.runner.run([fromRoot('test/servers', `${name}.sh`), action], { env: this.serverEnv });
  }

  async postgresUrl(): Promise<string> {
    const r = await this.runner.query([fromRoot('test/servers/postgres.sh'), 'url'], { env: this.serverEnv });
    return r.stdout.trim();
  }

  /** Starts a service and waits until its /health answers. */
  async start(service: Service): Promise<void> {
    const { app, bin, entry } = SERVICES[service];
    const env = {
      ...process.env,
      DATABASE_URL: await this.postgresUrl(),
      KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${this.ports.kafka}`,
      API_HOST: '127.0.0.1',
      API_PORT: String(this.ports.api),
      WORKER_HTTP_HOST: '127.0.0.1',
      WORKER_HTTP_PORT: String(this.ports.worker),
      LOG_LEVEL: 'INFO',
    };
    // The console script's own code, run by the venv's python: `poetry install` elsewhere rewrites
    // .venv/bin/<script>, and a spawn that lands in that window fails with ENOENT.
    const code = `import sys; from ${entry} import main; sys.exit(main())`;
    const logFile = join(this.workDir, `${service}.log`);
    const daemon = new Daemon(bin, fromRoot(app, '.venv', 'bin', 'python'), ['-c', code], { env, logFile });
    this.children.set(service, daemon);
    daemon.child.once('exit', (code, signal) => {
      if (this.children.get(service) === daemon) {
        this.unexpectedExits.push(
          `${service} exited on its own (${signal ?? `exit code ${code}`}) at ${new Date().toISOString()}`,
        );
      }
    });
    await daemon.waitReady(
      `${service} /health on ${this.url(service)} (log: ${logFile})`,
      async () => (await fetch(`${this.url(service)}/health`, { signal: AbortSignal.timeout(2_000) })).ok,
      { timeoutMs: 90_000, intervalMs: 500 },
    );
  }

  /** Stops a service with SIGTERM (SIGKILL after 15 s). */
  async stop(service: Service): Promise<void> {
    const daemon = this.children.get(service);
    this.children.delete(service);
    await daemon?.stop(15_000, { killAfterGrace: true });
  }

  async startAll(): Promise<void> {
    LocalStack.checkInstalled();
    await this.server('postgres', 'start');
    await this.server('kafka', 'start');
    await this.start('api');
    await this.start('worker');
  }

  async stopAll(): Promise<void> {
    await this.stop('worker');
    await this.stop('api');
    await this.server('kafka', 'stop').catch(() => undefined);
    await this.server('postgres', 'stop').catch(() => undefined);
  }
}

/** Writes a comment through the api; returns the HTTP status and the time it took. */
export async function postComment(
  apiUrl: string,
  contentId: number,
  timeoutMs = 30_000,
): Promise<{ status: number; seconds: number }> {
  const started = performance.now();
  try {
    const r = await fetch(`${apiUrl}/api/comment/new`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'load@example.com', comment: 'monitoring load', content_id: contentId }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await r.arrayBuffer();
    return { status: r.status, seconds: (performance.now() - started) / 1000 };
  } catch {
    return { status: 0, seconds: (performance.now() - started) / 1000 };
  }
}
