#!/usr/bin/env -S npx tsx
// Files per second of process-logs beside the naive bash loop and a raw rename loop (the floor),
// measured in the same run on the same filesystem. Usage: task bench:logs [-- --files 100000]
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseCli } from '../scripts/lib/cli.ts';
import { ExitCode } from '../scripts/lib/exit-codes.ts';
import { processLogs } from '../scripts/lib/log-mover.ts';
import { Logger } from '../scripts/lib/logger.ts';

const cli = (() => {
  try {
    return parseCli({
      command: 'npx tsx bench/process-logs.ts',
      summary:
        'Files/second of process-logs beside the naive bash loop and a raw rename loop (the floor),\n' +
        'measured in the same run on the same filesystem, with ratios and peak RSS.',
      options: {
        files: {
          type: 'string',
          value: 'N',
          description: 'files for process-logs and the raw loop (default 100000)',
        },
        'bash-files': { type: 'string', value: 'N', description: 'files for the bash loop (default 5000)' },
        dir: { type: 'string', value: 'DIR', description: 'where to create the files (default a temp dir)' },
        contender: {
          type: 'string',
          value: 'NAME',
          description: 'internal: run one contender in this process',
        },
        base: { type: 'string', value: 'DIR', description: 'internal: folder of that contender' },
      },
      examples: ['task bench:logs', 'task bench:logs -- --files 1000000 --bash-files 2000'],
    });
  } catch (error) {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(ExitCode.usage);
  }
})();
const values = {
  files: cli.str('files') ?? '100000',
  'bash-files': cli.str('bash-files') ?? '5000',
  dir: cli.str('dir'),
  contender: cli.str('contender'),
  base: cli.str('base'),
};

const BASH_LOOP = `cd "$1" && for f in ARQUIVOS/*; do n=\${f##*/}; mv "$f" "ARQUIVOS_PROCESSADOS/\${n%.*}_$(date +%Y%m%d_%H%M%S).\${n##*.}"; done`;

/** One contender, run in its own process so that its peak RSS is its own. */
async function contender(name: string, base: string): Promise<void> {
  const src = join(base, 'ARQUIVOS');
  const dst = join(base, 'ARQUIVOS_PROCESSADOS');
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  if (name === 'raw') {
    for (const file of readdirSync(src)) renameSync(join(src, file), join(dst, `x_${file}`));
  } else if (name === 'bash') {
    execFileSync('bash', ['-c', BASH_LOOP, 'bench', base]);
  } else {
    // Appends to a log file synchronously, as the CLI's stdout does when cron redirects it to a file.
    const fd = openSync(join(base, 'process-logs.log'), 'a');
    const out = new Writable({
      write(chunk, _encoding, done) {
        writeSync(fd, chunk);
        done();
      },
    });
    await processLogs({
      source: src,
      dest: dst,
      log: new Logger({ stdout: out, stderr: out, color: false }),
    });
    closeSync(fd);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const moved = readdirSync(dst).length;
  process.stdout.write(
    `${JSON.stringify({ seconds, cpuSeconds, moved, rssMiB: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
}

function prepare(root: string, name: string, count: number): string {
  const base = join(root, name);
  mkdirSync(join(base, 'ARQUIVOS'), { recursive: true });
  mkdirSync(join(base, 'ARQUIVOS_PROCESSADOS'));
  execFileSync('sh', ['-c', `seq 1 ${count} | sed 's/.*/log_para_processamento_&.log/' | xargs touch`], {
    cwd: join(base, 'ARQUIVOS'),
  });
  return base;
}

async function main(): Promise<void> {
  if (values.contender && values.base) return contender(values.contender, values.base);
  const files = Number(values.files);
  const bashFiles = Math.min(files, Number(values['bash-files']));
  const root = mkdtempSync(join(values.dir ?? tmpdir(), 'bench-process-logs-'));
  const rows: Array<{
    name: string;
    files: number;
    seconds: number;
    rate: number;
    cpuSeconds: number;
    rssMiB: number | undefined;
  }> = [];
  try {
    for (const [name, count] of [
      ['raw', files],
      ['process-logs', files],
      ['bash', bashFiles],
    ] as const) {
      const base = prepare(root, name, count);
      const run = spawnSync(
        process.execPath,
        [...process.execArgv, process.argv[1]!, '--contender', name, '--base', base],
        { encoding: 'utf8' },
      );
      if (run.status !== 0) throw new Error(`${name} failed: ${run.stderr}`);
      const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
      if (result.moved !== count) throw new Error(`${name} moved ${result.moved} of ${count}`);
      rows.push({
        name,
        files: count,
        seconds: result.seconds,
        rate: count / result.seconds,
        cpuSeconds: result.cpuSeconds,
        rssMiB: name === 'bash' ? undefined : result.rssMiB,
      });
      rmSync(base, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const [raw, ours, bash] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
  console.log(`process-logs benchmark (${files} files; bash loop on ${bashFiles}), node ${process.version}`);
  console.log('contender        files   seconds   files/s   peak RSS');
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(14)} ${String(r.files).padStart(7)} ${r.seconds.toFixed(2).padStart(9)} ${Math.round(
        r.rate,
      )
        .toString()
        .padStart(9)}   ${r.rssMiB === undefined ? 'n/a' : `${r.rssMiB.toFixed(0)} MiB`}`,
    );
  }
  const vsBash = ours.rate / bash.rate;
  const vsRaw = ours.rate / raw.rate;
  console.log(
    `process-logs / bash loop: ${vsBash.toFixed(1)}x (target >= 20x) ${vsBash >= 20 ? 'OK' : 'MISSED'}`,
  );
  console.log(
    `process-logs / raw rename: ${vsRaw.toFixed(2)} (target >= 0.5) ${vsRaw >= 0.5 ? 'OK' : 'MISSED'}`,
  );
  // CPU time of the process itself is steadier than wall time on a shared machine (bash: its cost
  // is in the mv and date processes it forks, which this process cannot see).
  const perFile = (r: (typeof rows)[0]): number => (r.cpuSeconds / r.files) * 1e6;
  console.log(
    `CPU per file: process-logs ${perFile(ours).toFixed(1)} us, raw rename ${perFile(raw).toFixed(1)} us ` +
      `(raw/process-logs ${(perFile(raw) / perFile(ours)).toFixed(2)}, target >= 0.5)`,
  );
}

await main();
