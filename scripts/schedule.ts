#!/usr/bin/env -S npx tsx
// Challenge step 6: run process-logs once a day, with cron or a systemd timer.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import { type Cli, type CliSpec, isMain, parseCli, runMain } from './lib/cli.ts';
import { setting } from './lib/config.ts';
import { ExitCode, UserError } from './lib/exit-codes.ts';
import { fromRoot, repoRoot } from './lib/paths.ts';
import {
  CRON_TAG,
  cronEntry,
  DEFAULT_AT,
  findEntry,
  mergeCrontab,
  renderService,
  renderTimer,
  type ScheduleTarget,
  stripCrontab,
} from './lib/schedule-render.ts';
import { requireTools } from './lib/tools.ts';

export const spec: CliSpec = {
  command: 'npx tsx scripts/schedule.ts',
  args: 'install|uninstall|status',
  summary:
    'Schedules scripts/process-logs.ts once a day, with a crontab entry (default) or a systemd timer.\n' +
    `Idempotent: the crontab entry is tagged '${CRON_TAG}', replaced in place, never duplicated;\n` +
    'every other crontab line is kept as it is.',
  options: {
    with: { type: 'string', value: 'cron|systemd', description: 'scheduler (default cron)' },
    user: { type: 'boolean', description: 'systemd: a user unit in ~/.config/systemd/user (no root needed)' },
    'base-dir': {
      type: 'string',
      value: 'DIR',
      env: 'LOGS_BASE_DIR',
      description: 'folder holding ARQUIVOS/ and ARQUIVOS_PROCESSADOS/ (default: current directory)',
    },
    at: {
      type: 'string',
      value: 'HH:MM',
      env: 'LOGS_SCHEDULE_AT',
      description: `daily run time, local (default ${DEFAULT_AT})`,
    },
    'log-file': {
      type: 'string',
      value: 'FILE',
      env: 'LOGS_CRON_LOG',
      description: 'cron: file the output is appended to (default <base-dir>/process-logs.log)',
    },
    'crontab-user': {
      type: 'string',
      value: 'NAME',
      description: "cron, as root: edit NAME's crontab (crontab -u)",
    },
    'run-as': {
      type: 'string',
      value: 'NAME',
      description: 'systemd system unit: User= (default: $SUDO_USER or you)',
    },
    'unit-dir': {
      type: 'string',
      value: 'DIR',
      description:
        'systemd: where units go (default /etc/systemd/system, or ~/.config/systemd/user with --user)',
    },
  },
  examples: [
    'npx tsx scripts/schedule.ts install --base-dir /var/lib/shipay/logs',
    'npx tsx scripts/schedule.ts status',
    'npx tsx scripts/schedule.ts install --with systemd --user --base-dir ~/logs --dry-run',
    'npx tsx scripts/schedule.ts uninstall',
  ],
  exitCodes: { [ExitCode.missingPrerequisite]: 'crontab, or a running systemd, is missing; nothing changed' },
};

interface Context {
  cli: Cli;
  target: ScheduleTarget;
  logFile: string;
}

function crontabArgs(cli: Cli): string[] {
  const who = cli.str('crontab-user');
  return who ? ['-u', who] : [];
}

async function readCrontab(c: Context): Promise<string> {
  const result = await c.cli.runner.query(['crontab', ...crontabArgs(c.cli), '-l'], { nothrow: true });
  if (result.exitCode === 0) return result.stdout;
  if (/no crontab for/i.test(result.stderr)) return '';
  throw new UserError(
    `crontab -l failed: ${result.stderr.trim()}`,
    'check that cron is installed and you may use it',
  );
}

async function writeCrontab(c: Context, text: string): Promise<void> {
  if (text === '') {
    // Nothing else was in it: remove the crontab rather than feed an empty stdin.
    await c.cli.runner.run(['crontab', ...crontabArgs(c.cli), '-r']);
    return;
  }
  if (c.cli.dryRun) c.cli.log.raw(`# new crontab:\n${text}`);
  await c.cli.runner.run(['crontab', ...crontabArgs(c.cli), '-'], { input: text });
}

function nextRun(entry: string): string {
  const expression = entry.split(/\s+/).slice(0, 5).join(' ');
  return CronExpressionParser.parse(expression).next().toDate().toString();
}

async function cron(action: string, c: Context): Promise<number> {
  const { log } = c.cli;
  await requireTools(['crontab']);
  const current = await readCrontab(c);
  if (action === 'install') {
    const entry = cronEntry(c.target, c.logFile);
    const merged = mergeCrontab(current, entry);
    if (!merged.changed) {
      log.info('crontab entry already installed, unchanged', { next: nextRun(findEntry(current)!) });
      return ExitCode.ok;
    }
    await writeCrontab(c, merged.text);
    log.info(`${c.cli.dryRun ? 'would install' : 'installed'} the crontab entry`, {
      next: nextRun(findEntry(merged.text)!),
      log: c.logFile,
    });
    if (!existsSync('/run/crond.pid') && !existsSync('/var/run/crond.pid')) {
      log.warn('the cron daemon does not seem to be running: start it (systemctl enable --now cron)');
    }
    return ExitCode.ok;
  }
  if (action === 'uninstall') {
    const stripped = stripCrontab(current);
    if (stripped.removed === 0) {
      log.info('no crontab entry of ours; nothing to remove');
      return ExitCode.ok;
    }
    await writeCrontab(c, stripped.text);
    log.info(
      `${c.cli.dryRun ? 'would remove' : 'removed'} ${stripped.removed} crontab line(s); other entries kept`,
    );
    return ExitCode.ok;
  }
  const entry = findEntry(current);
  if (!entry) {
    log.info('not scheduled with cron (no crontab entry tagged shipay-toolkit:process-logs)');
    return ExitCode.ok;
  }
  log.info('scheduled with cron', { next: nextRun(entry) });
  log.raw(entry);
  const file = /(?:>>\s+)('[^']*'|\S+)\s+2>&1/.exec(entry)?.[1]?.replace(/^'|'$/g, '');
  if (file && existsSync(file)) {
    log.info(`last output (${file}, modified ${statSync(file).mtime.toString()}):`);
    const tail = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-5);
    for (const line of tail) log.raw(`  ${line}`);
  } else {
    log.info(`no output yet${file ? ` in ${file}` : ''}: it has not run since it was installed`);
  }
  return ExitCode.ok;
}

async function systemd(action: string, c: Context): Promise<number> {
  const { cli } = c;
  const user = cli.flag('user');
  const unitDir = resolve(
    cli.str('unit-dir') ?? (user ? join(homedir(), '.config/systemd/user') : '/etc/systemd/system'),
  );
  const scope = user ? ['--user'] : [];
  const service = join(unitDir, 'process-logs.service');
  const timer = join(unitDir, 'process-logs.timer');
  // systemctl needs systemd as the init system; refuse before writing anything otherwise.
  if (!cli.dryRun && action !== 'status') {
    await requireTools(['systemctl']);
    if (!existsSync('/run/systemd/system')) {
      throw new UserError(
        'systemd is not running on this machine (PID 1 is not systemd)',
        'use --with cron, or --dry-run to see the units',
        ExitCode.missingPrerequisite,
      );
    }
  }
  if (action === 'install') {
    const runAs = user ? undefined : (cli.str('run-as') ?? process.env.SUDO_USER ?? userInfo().username);
    const files: Array<[string, string]> = [
      [service, renderService(readFileSync(fromRoot('cron/process-logs.service'), 'utf8'), c.target, runAs)],
      [timer, renderTimer(readFileSync(fromRoot('cron/process-logs.timer'), 'utf8'), c.target.at)],
    ];
    for (const [path, text] of files) {
      const same = (await readFile(path, 'utf8').catch(() => undefined)) === text;
      if (cli.dryRun) {
        cli.log.raw(`# ${path}${same ? ' (unchanged)' : ''}\n${text}`);
      } else if (!same) {
        await mkdir(unitDir, { recursive: true });
        await writeFile(path, text, { mode: 0o644 });
        cli.log.info(`wrote ${path}`);
      } else {
        cli.log.info(`${path} unchanged`);
      }
    }
    await cli.runner.run(['systemctl', ...scope, 'daemon-reload']);
    await cli.runner.run(['systemctl', ...scope, 'enable', '--now', 'process-logs.timer']);
    cli.log.info(
      `check it with: systemctl ${scope.join(' ')} list-timers process-logs.timer`.replace('  ', ' '),
    );
    return ExitCode.ok;
  }
  if (action === 'uninstall') {
    const present = existsSync(timer) || existsSync(service);
    if (!present) {
      cli.log.info(`no units of ours in ${unitDir}; nothing to remove`);
      return ExitCode.ok;
    }
    await cli.runner.run(['systemctl', ...scope, 'disable', '--now', 'process-logs.timer'], {
      nothrow: true,
    });
    for (const path of [timer, service]) {
      if (cli.dryRun) cli.log.raw(`+ rm -f ${path}`);
      else await rm(path, { force: true });
    }
    await cli.runner.run(['systemctl', ...scope, 'daemon-reload']);
    return ExitCode.ok;
  }
  const installed = await stat(timer).then(
    () => true,
    () => false,
  );
  cli.log.info(installed ? `units installed in ${unitDir}` : `no units of ours in ${unitDir}`);
  if (installed && existsSync('/run/systemd/system')) {
    await cli.runner.query(['systemctl', ...scope, 'list-timers', 'process-logs.timer'], {
      stream: true,
      nothrow: true,
    });
    cli.log.info(`last runs: journalctl ${scope.join(' ')} -u process-logs.service`.replace('  ', ' '));
  }
  return ExitCode.ok;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const cli = parseCli(spec, argv);
  const [action, ...extra] = cli.positionals;
  if (!action || !['install', 'uninstall', 'status'].includes(action) || extra.length) {
    throw new UserError(
      `expected one action, install, uninstall or status; got '${cli.positionals.join(' ')}'`,
      `run \`${spec.command} --help\``,
    );
  }
  const scheduler = cli.str('with') ?? 'cron';
  if (scheduler !== 'cron' && scheduler !== 'systemd') {
    throw new UserError(`--with '${scheduler}' is not a scheduler`, 'use --with cron or --with systemd');
  }
  if (scheduler === 'cron' && cli.flag('user')) {
    cli.log.warn('--user has no effect with cron: a crontab always belongs to one user (see --crontab-user)');
  }
  const baseDir = resolve(setting(cli.str('base-dir'), 'LOGS_BASE_DIR', '.'));
  const context: Context = {
    cli,
    target: {
      repo: repoRoot,
      baseDir,
      at: setting(cli.str('at'), 'LOGS_SCHEDULE_AT', DEFAULT_AT),
      node: process.execPath,
    },
    logFile: resolve(setting(cli.str('log-file'), 'LOGS_CRON_LOG', join(baseDir, 'process-logs.log'))),
  };
  return scheduler === 'cron' ? cron(action, context) : systemd(action, context);
}

if (isMain(import.meta.url)) await runMain(() => main());
