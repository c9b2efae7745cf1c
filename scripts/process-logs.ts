#!/usr/bin/env -S npx tsx
// Challenge step 5: move ARQUIVOS/* into ARQUIVOS_PROCESSADOS/, renamed with the run's date and time.
import { join, resolve } from 'node:path';
import { type CliSpec, isMain, parseCli, runMain } from './lib/cli.ts';
import { nonNegativeInt, setting } from './lib/config.ts';
import { ExitCode } from './lib/exit-codes.ts';
import { processLogs } from './lib/log-mover.ts';
import { DEFAULT_FORMAT } from './lib/log-names.ts';

export const spec: CliSpec = {
  command: 'npx tsx scripts/process-logs.ts',
  summary:
    'Moves every regular file directly in the source folder into the destination, renamed\n' +
    `<stem>_<timestamp><ext> with the run's start time (local time, TZ honoured; default ${DEFAULT_FORMAT}).\n` +
    'Never overwrites (a taken name gets _1, _2, ...), one run at a time, and a killed run is finished by the next.',
  options: {
    'base-dir': {
      type: 'string',
      value: 'DIR',
      env: 'LOGS_BASE_DIR',
      description: 'folder holding ARQUIVOS/ and ARQUIVOS_PROCESSADOS/ (default: current directory)',
    },
    source: {
      type: 'string',
      value: 'DIR',
      env: 'SOURCE_DIR',
      description: 'folder to empty (default: <base>/ARQUIVOS)',
    },
    dest: {
      type: 'string',
      value: 'DIR',
      env: 'DEST_DIR',
      description: 'folder to fill, created if missing (default: <base>/ARQUIVOS_PROCESSADOS)',
    },
    'min-age': {
      type: 'string',
      value: 'SECONDS',
      env: 'LOGS_MIN_AGE',
      description: 'skip files modified less than SECONDS ago, still being written (default 0)',
    },
    format: {
      type: 'string',
      value: 'TOKENS',
      env: 'LOGS_TIMESTAMP_FORMAT',
      description: `date-fns tokens of the timestamp; no dot, slash or colon (default ${DEFAULT_FORMAT})`,
    },
  },
  examples: [
    'npx tsx scripts/process-logs.ts --base-dir /var/log/app',
    'npx tsx scripts/process-logs.ts --source ./in --dest ./out --min-age 300 --dry-run',
    'TZ=America/Sao_Paulo npx tsx scripts/process-logs.ts --format "yyyy-MM-dd\'T\'HHmmss"',
  ],
  exitCodes: {
    [ExitCode.partialFailure]:
      'some files could not be moved (each is logged with the OS error); the rest were',
    [ExitCode.usage]: 'bad flag, or the source folder is missing or not a directory; nothing changed',
    [ExitCode.busy]: 'another run holds the lock; nothing changed',
    [ExitCode.interrupted]: 'stopped by SIGINT/SIGTERM after the files in flight; rerun to finish',
  },
};

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const cli = parseCli(spec, argv);
  const base = resolve(setting(cli.str('base-dir'), 'LOGS_BASE_DIR', '.'));
  const stop = new AbortController();
  const onSignal = (signal: string): void => {
    cli.log.warn(`${signal} received: finishing the files in flight, then stopping`);
    stop.abort();
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const summary = await processLogs({
    source: setting(cli.str('source'), 'SOURCE_DIR', join(base, 'ARQUIVOS')),
    dest: setting(cli.str('dest'), 'DEST_DIR', join(base, 'ARQUIVOS_PROCESSADOS')),
    minAgeSeconds: nonNegativeInt(setting(cli.str('min-age'), 'LOGS_MIN_AGE', '0'), '--min-age'),
    format: setting(cli.str('format'), 'LOGS_TIMESTAMP_FORMAT', DEFAULT_FORMAT),
    dryRun: cli.dryRun,
    log: cli.log,
    signal: stop.signal,
  });
  return summary.exitCode;
}

if (isMain(import.meta.url)) await runMain(() => main());
