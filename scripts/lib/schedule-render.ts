import { UserError } from './exit-codes.ts';
import { quoteArg } from './shell-quote.ts';

/** Marks the crontab lines this toolkit owns; every other line is left exactly as it is. */
export const CRON_TAG = '# shipay-toolkit:process-logs';

/** The paths baked into cron/process-logs.service, replaced by this checkout's at install time. */
export const DEFAULT_REPO = '/opt/shipay-toolkit';
export const DEFAULT_BASE_DIR = '/var/lib/shipay/logs';
export const DEFAULT_RUN_AS = 'shipay';
export const DEFAULT_AT = '02:00';

export interface ScheduleTarget {
  /** Absolute path of the toolkit checkout. */
  repo: string;
  /** Absolute folder holding ARQUIVOS/ and ARQUIVOS_PROCESSADOS/. */
  baseDir: string;
  /** HH:MM, local time of the machine. */
  at: string;
  /** Absolute path of node. */
  node: string;
}

export function parseAt(at: string): { hour: number; minute: number } {
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(at.trim());
  if (!match)
    throw new UserError(
      `--at '${at}' is not a time of day`,
      'use HH:MM in 24-hour local time, e.g. --at 02:00',
    );
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

function checkPath(path: string, what: string): string {
  if (!path.startsWith('/'))
    throw new UserError(`${what} '${path}' must be an absolute path`, 'cron and systemd start in /');
  // cron turns % into a newline and a newline would end the entry; systemd would split on it too.
  if (/[%\n\r\\]/.test(path)) {
    throw new UserError(`${what} '${path}' contains %, a backslash or a newline`, 'use a path without them');
  }
  return path;
}

/** The command that runs process-logs with no help from PATH, cwd or the user's shell profile. */
export function command(t: ScheduleTarget): string[] {
  return [
    checkPath(t.node, 'node'),
    '--import',
    `${checkPath(t.repo, 'toolkit folder')}/node_modules/tsx/dist/loader.mjs`,
    `${t.repo}/scripts/process-logs.ts`,
    '--base-dir',
    checkPath(t.baseDir, '--base-dir'),
  ];
}

/**
 * Two crontab lines: a comment saying what it is, and the job. It sets nothing global (no PATH= or
 * MAILTO= lines, which would change the user's other entries); the environment is given inline.
 */
export function cronEntry(t: ScheduleTarget, logFile: string): string {
  const { hour, minute } = parseAt(t.at);
  const env = 'env -i PATH=/usr/bin:/bin LANG=C.UTF-8 NO_COLOR=1';
  const job = `cd / && ${env} ${command(t).map(quoteArg).join(' ')} >> ${quoteArg(checkPath(logFile, '--log-file'))} 2>&1`;
  return [
    `# process-logs: move ${t.baseDir}/ARQUIVOS/* to ARQUIVOS_PROCESSADOS/ daily (scripts/schedule.ts) ${CRON_TAG}`,
    `${minute} ${hour} * * * ${job} ${CRON_TAG}`,
    '',
  ].join('\n');
}

function lines(text: string): string[] {
  return text.split('\n').filter((line, i, all) => !(i === all.length - 1 && line === ''));
}

/** The crontab without our lines, and how many were removed. */
export function stripCrontab(current: string): { text: string; removed: number } {
  const all = lines(current);
  const kept = all.filter((line) => !line.includes(CRON_TAG));
  return { text: kept.length ? `${kept.join('\n')}\n` : '', removed: all.length - kept.length };
}

/** The crontab with exactly one copy of our entry appended; `changed` is false when it already was. */
export function mergeCrontab(current: string, entry: string): { text: string; changed: boolean } {
  const { text } = stripCrontab(current);
  const merged = `${text}${entry}`;
  return { text: merged, changed: merged !== current };
}

/** The entry's job line, if present. */
export function findEntry(current: string): string | undefined {
  return lines(current).find((line) => line.includes(CRON_TAG) && !line.startsWith('#'));
}

/** cron/process-logs.service with this checkout's paths and user; `user` drops User= (a --user unit). */
export function renderService(template: string, t: ScheduleTarget, runAs: string | undefined): string {
  let text = template
    .replaceAll(DEFAULT_REPO, checkPath(t.repo, 'toolkit folder'))
    .replaceAll(DEFAULT_BASE_DIR, checkPath(t.baseDir, '--base-dir'))
    .replace('ExecStart=/usr/bin/node ', `ExecStart=${checkPath(t.node, 'node')} `);
  if (/\s/.test(t.repo + t.baseDir)) {
    throw new UserError(
      'systemd units here need paths without spaces',
      'move the checkout or the logs folder',
    );
  }
  if (runAs === undefined) {
    // A user manager cannot switch users or apply most sandboxing; it runs as the user already.
    text = text
      .replace(/^User=.*\n/m, '')
      .replace(/^(PrivateDevices|PrivateNetwork|ProtectKernel\w+|ProtectClock|ProtectHostname)=.*\n/gm, '');
  } else {
    if (!/^[a-z_][a-z0-9_-]*\$?$/i.test(runAs)) throw new UserError(`--run-as '${runAs}' is not a user name`);
    text = text.replace(/^User=.*$/m, `User=${runAs}`);
  }
  return text;
}

export function renderTimer(template: string, at: string): string {
  const { hour, minute } = parseAt(at);
  const hh = String(hour).padStart(2, '0');
  const mm = String(minute).padStart(2, '0');
  return template.replace(/^OnCalendar=.*$/m, `OnCalendar=*-*-* ${hh}:${mm}:00`);
}
