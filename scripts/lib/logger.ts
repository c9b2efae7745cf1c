import type { Writable } from 'node:stream';
import { Chalk, type ChalkInstance } from 'chalk';
import { format } from 'date-fns';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Fields = Record<string, unknown>;

export interface LoggerOptions {
  /** One JSON object per line instead of text. */
  json?: boolean;
  /** Only warnings and errors. */
  quiet?: boolean;
  /** Also debug lines. */
  verbose?: boolean;
  /** Force colours on or off; by default only on a TTY and never when NO_COLOR is set. */
  color?: boolean;
  stdout?: Writable;
  stderr?: Writable;
  clock?: () => Date;
}

const LABEL: Record<Level, string> = { debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR' };

function wantsColor(stream: Writable): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return Boolean((stream as { isTTY?: boolean }).isTTY);
}

function formatValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/**
 * Timestamped logger readable on a terminal, in cron mail and in a log file.
 * Text mode: info/debug on stdout, warn/error on stderr. JSON mode: every record on stdout.
 */
export class Logger {
  private readonly out: Writable;
  private readonly err: Writable;
  private readonly paint: ChalkInstance;
  private readonly clock: () => Date;

  constructor(
    private readonly options: LoggerOptions = {},
    private readonly bound: Fields = {},
  ) {
    this.out = options.stdout ?? process.stdout;
    this.err = options.stderr ?? process.stderr;
    this.clock = options.clock ?? (() => new Date());
    this.paint = new Chalk({ level: (options.color ?? wantsColor(this.out)) ? 1 : 0 });
  }

  get json(): boolean {
    return Boolean(this.options.json);
  }

  child(fields: Fields): Logger {
    return new Logger(this.options, { ...this.bound, ...fields });
  }

  debug(msg: string, fields?: Fields): void {
    if (this.options.verbose) this.write('debug', msg, fields);
  }

  info(msg: string, fields?: Fields): void {
    if (!this.options.quiet) this.write('info', msg, fields);
  }

  warn(msg: string, fields?: Fields): void {
    this.write('warn', msg, fields);
  }

  error(msg: string, fields?: Fields): void {
    this.write('error', msg, fields);
  }

  /** A line with no timestamp or level, for machine-readable output such as dry-run commands. */
  raw(line: string): void {
    this.out.write(`${line}\n`);
  }

  private write(level: Level, msg: string, fields: Fields = {}): void {
    const now = this.clock();
    const all = { ...this.bound, ...fields };
    if (this.options.json) {
      const record = { time: format(now, "yyyy-MM-dd'T'HH:mm:ss.SSSxxx"), level, msg, ...all };
      this.out.write(`${JSON.stringify(record)}\n`);
      return;
    }
    const stream = level === 'warn' || level === 'error' ? this.err : this.out;
    const extras = Object.entries(all)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(' ');
    const colour = {
      debug: this.paint.gray,
      info: this.paint.cyan,
      warn: this.paint.yellow,
      error: this.paint.red,
    }[level];
    const line = `${this.paint.dim(format(now, 'yyyy-MM-dd HH:mm:ss'))} ${colour(LABEL[level])} ${msg}${extras ? ` ${this.paint.dim(extras)}` : ''}`;
    stream.write(`${line}\n`);
  }
}
