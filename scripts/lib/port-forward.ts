import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:https';
import { formatCommand } from './shell-quote.ts';

export interface PortForward {
  /** Local port kubectl picked. */
  port: number;
  close(): void;
}

/**
 * Starts `kubectl port-forward` (a long-running process the Runner cannot hold) on a free local
 * port and resolves once kubectl reports the port, or rejects with its output.
 */
export function startPortForward(cmd: readonly string[], timeoutMs = 30_000): Promise<PortForward> {
  return new Promise((resolve, reject) => {
    const [bin, ...args] = cmd;
    if (!bin) throw new Error('empty command');
    const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`${formatCommand(cmd)}: ${why}${output ? `\n${output.trim()}` : ''}`));
    };
    const timer = setTimeout(() => fail(`no forwarded port after ${timeoutMs / 1000}s`), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ port: Number(match[1]), close: () => child.kill() });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', (error) => fail(error.message));
    child.on('exit', (code) => fail(`exited with ${code}`));
  });
}

export interface TlsGetResult {
  status: number;
  body: string;
}

/**
 * GET over TLS to 127.0.0.1:port, verifying the certificate against `ca` for the name `servername`
 * (the Service's DNS name, as a client in the cluster would see it).
 */
export function httpsGetVerified(
  port: number,
  path: string,
  ca: string,
  servername: string,
  timeoutMs = 10_000,
): Promise<TlsGetResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'GET',
        ca,
        servername,
        timeout: timeoutMs,
        rejectUnauthorized: true,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)));
    req.on('error', reject);
    req.end();
  });
}
