import { constants, type Dirent, linkSync, unlinkSync } from 'node:fs';
import {
  access,
  copyFile,
  type FileHandle,
  link,
  lstat,
  mkdir,
  open,
  opendir,
  realpath,
  stat,
  unlink,
  utimes,
} from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ExitCode, UserError } from './exit-codes.ts';
import { DEFAULT_FORMAT, targetName, timestamp } from './log-names.ts';
import type { Fields, Logger } from './logger.ts';
import { recoverJournal } from './move-journal.ts';
import { acquireLock } from './pid-lock.ts';

/** State kept in the source folder: one run at a time, and what an interrupted run was doing. */
export const LOCK_NAME = '.process-logs.lock';
export const JOURNAL_NAME = '.process-logs.journal';
const OWN_FILES = /^\.process-logs\.(lock|journal)(\.stale\.\d+)?$/;

export interface MoveOptions {
  source: string;
  dest: string;
  log: Logger;
  dryRun?: boolean;
  /** Skip files modified less than this many seconds ago. */
  minAgeSeconds?: number;
  /** date-fns tokens of the timestamp (default yyyyMMdd_HHmmss). */
  format?: string;
  /** The run's start time (default: now). */
  now?: Date;
  /** Files moved at the same time (default 8). */
  concurrency?: number;
  /** Files read from the directory and journalled together (default 256). */
  batchSize?: number;
  /** Stops after the batch in flight (SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

export interface MoveSummary {
  moved: number;
  skipped: number;
  failed: number;
  /** Files whose interrupted move of a previous run was completed. */
  recovered: number;
  seconds: number;
  interrupted: boolean;
  exitCode: number;
}

/** Quotes a file name for a log line when it has spaces, quotes or control characters. */
export function showName(name: string): string {
  return /^[^\s"'\\\p{Cc}]+$/u.test(name) ? name : JSON.stringify(name);
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

async function checkSource(source: string): Promise<void> {
  const hint = `create it (mkdir -p '${source}') or point --source, SOURCE_DIR, --base-dir or LOGS_BASE_DIR at the folder holding the files`;
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(source);
  } catch (error) {
    if (errno(error) === 'ENOENT') throw new UserError(`source folder ${source} does not exist`, hint);
    throw new UserError(`cannot read source folder ${source}: ${(error as Error).message}`, hint);
  }
  if (!info.isDirectory()) throw new UserError(`source ${source} is not a directory`, hint);
}

async function prepareDest(source: string, dest: string, dryRun: boolean, log: Logger): Promise<void> {
  const info = await stat(dest).catch((error) => {
    if (errno(error) === 'ENOENT') return undefined;
    throw new UserError(
      `cannot use destination ${dest}: ${(error as Error).message}`,
      'check its permissions',
    );
  });
  if (info && !info.isDirectory()) {
    throw new UserError(
      `destination ${dest} exists but is not a directory`,
      'move that file away or point --dest / DEST_DIR elsewhere',
    );
  }
  if (info && (await realpath(dest)) === (await realpath(source))) {
    throw new UserError(
      `source and destination are the same folder (${dest})`,
      'give --dest a different folder',
    );
  }
  if (info) return;
  if (dryRun) {
    log.info(`would create destination ${dest}`);
    return;
  }
  try {
    await mkdir(dest, { recursive: true });
  } catch (error) {
    throw new UserError(
      `cannot create destination ${dest}: ${(error as Error).message}`,
      'create it yourself with the right owner, or run as a user allowed to',
    );
  }
  log.info(`created destination ${dest}`);
}

async function countEntries(source: string): Promise<{ files: number; others: number }> {
  let files = 0;
  let others = 0;
  for await (const entry of await opendir(source, { bufferSize: 1024 })) {
    if (OWN_FILES.test(entry.name)) continue;
    if (entry.isFile()) files++;
    else others++;
  }
  return { files, others };
}

type Outcome = 'moved' | 'skipped' | 'failed';

/**
 * Moves every regular file directly in `source` into `dest`, renamed `<stem>_<stamp>[_n]<ext>`.
 * Never overwrites (hard link or link of a fsynced copy, both failing on an existing name) and
 * never loses a file: the source is unlinked only once the destination name holds it, and a
 * journal of each batch lets the next run finish or roll back whatever a killed run left half-done.
 */
export async function processLogs(options: MoveOptions): Promise<MoveSummary> {
  const started = process.hrtime.bigint();
  const { log } = options;
  const dryRun = Boolean(options.dryRun);
  const source = resolve(options.source);
  const dest = resolve(options.dest);
  const minAge = options.minAgeSeconds ?? 0;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const batchSize = Math.max(1, options.batchSize ?? 256);
  const now = options.now ?? new Date();
  const stamp = timestamp(now, options.format ?? DEFAULT_FORMAT);
  const json = log.json;
  const fields = (f: Fields): Fields | undefined => (json ? f : undefined);

  await checkSource(source);

  const counts = { moved: 0, skipped: 0, failed: 0, recovered: 0 };
  let lock: Awaited<ReturnType<typeof acquireLock>> | undefined;
  let journal: FileHandle | undefined;
  const journalPath = join(source, JOURNAL_NAME);
  const runTag = `${process.pid}-${now.getTime()}`;
  let copyMode = false;

  const skip = (name: string, reason: string): Outcome => {
    log.info(`skipped ${showName(name)}: ${reason}`, fields({ event: 'skipped', file: name, reason }));
    return 'skipped';
  };
  const fail = (name: string, error: unknown): Outcome => {
    log.error(
      `failed ${showName(name)}: ${(error as Error).message}`,
      fields({ event: 'failed', file: name, code: errno(error) }),
    );
    return 'failed';
  };
  const moved = (name: string, to: string, how: string): Outcome => {
    log.info(`moved ${showName(name)} -> ${showName(to)}`, fields({ event: 'moved', file: name, to, how }));
    return 'moved';
  };

  /** Links `from` under the first free `<stem>_<stamp>[_n]<ext>` in dest; link() never replaces a name. */
  const linkFree = async (from: string, name: string): Promise<string> => {
    for (let n = 0; ; n++) {
      const candidate = targetName(name, stamp, n);
      try {
        await link(from, join(dest, candidate));
        return candidate;
      } catch (error) {
        if (errno(error) !== 'EEXIST') throw error;
      }
    }
  };

  /**
   * The same with blocking calls, for the same-filesystem path: link and unlink in one folder
   * serialize in the kernel anyway, and skipping the thread pool round trips roughly halves the
   * CPU per file. Copies (slow, I/O bound) keep the concurrent async path.
   */
  const linkFreeSync = (from: string, name: string): string => {
    for (let n = 0; ; n++) {
      const candidate = targetName(name, stamp, n);
      try {
        linkSync(from, join(dest, candidate));
        return candidate;
      } catch (error) {
        if (errno(error) !== 'EEXIST') throw error;
      }
    }
  };

  const copyMove = async (name: string, seq: number): Promise<Outcome> => {
    const from = join(source, name);
    try {
      await access(from, constants.R_OK);
    } catch {
      return skip(name, 'not readable');
    }
    const partial = join(dest, `.process-logs-${runTag}-${seq}.partial`);
    try {
      const before = await stat(from);
      await copyFile(from, partial, constants.COPYFILE_EXCL);
      const handle = await open(partial, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      const copied = await stat(partial);
      if (copied.size !== before.size) {
        await unlink(partial);
        throw new Error(`size mismatch after copy (${before.size} -> ${copied.size} bytes): file changed?`);
      }
      await utimes(partial, before.atime, before.mtime);
      const to = await linkFree(partial, name);
      await unlink(from);
      await unlink(partial);
      return moved(name, to, 'copy');
    } catch (error) {
      await unlink(partial).catch(() => {});
      return fail(name, error);
    }
  };

  const moveOne = async (entry: Dirent, seq: number): Promise<Outcome> => {
    const { name } = entry;
    const from = join(source, name);
    if (entry.isDirectory()) return skip(name, 'directory');
    if (entry.isSymbolicLink()) return skip(name, 'symlink');
    if (!entry.isFile()) return skip(name, 'not a regular file');
    if (minAge > 0) {
      const info = await lstat(from).catch(() => undefined);
      if (!info) return skip(name, 'vanished before it could be moved');
      const age = (now.getTime() - info.mtimeMs) / 1000;
      if (age < minAge)
        return skip(name, `too recent (modified ${Math.max(0, Math.round(age))}s ago, --min-age ${minAge})`);
    }
    if (dryRun) {
      for (let n = 0; ; n++) {
        const candidate = targetName(name, stamp, n);
        const taken = await lstat(join(dest, candidate)).then(
          () => true,
          () => false,
        );
        if (!taken) {
          log.info(
            `would move ${showName(name)} -> ${showName(candidate)}`,
            fields({ event: 'would-move', file: name, to: candidate }),
          );
          return 'moved';
        }
      }
    }
    if (copyMode) return copyMove(name, seq);
    try {
      const to = linkFreeSync(from, name);
      unlinkSync(from);
      return moved(name, to, 'rename');
    } catch (error) {
      const code = errno(error);
      if (code === 'ENOENT' && !(await lstat(from).catch(() => undefined))) {
        return skip(name, 'vanished before it could be moved');
      }
      // Another filesystem, or one without hard links: fall back to copy + fsync + verify + unlink.
      if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
        if (!copyMode)
          log.info(`destination is on another filesystem or lacks hard links (${code}): copying`);
        copyMode = true;
        return copyMove(name, seq);
      }
      return fail(name, error);
    }
  };

  let clean = false;
  try {
    if (!dryRun) {
      try {
        lock = await acquireLock(join(source, LOCK_NAME), `moving files from ${source}`);
      } catch (error) {
        if (error instanceof UserError) throw error;
        throw new UserError(
          `cannot create the lock file in ${source}: ${(error as Error).message}`,
          'run as a user who can write to the source folder (moving files out of it needs that too)',
        );
      }
      await prepareDest(source, dest, dryRun, log);
      if (lock.tookOver)
        log.warn(`took over a stale lock left by PID ${lock.tookOver.pid}, which is no longer running`);
      const recovery = await recoverJournal(journalPath, source);
      if (recovery) {
        counts.recovered = recovery.completed;
        log.warn(
          `finished an interrupted run: ${recovery.completed} move(s) completed, ${recovery.rolledBack} half-copied file(s) removed`,
          fields({ event: 'recovered', ...recovery }),
        );
      }
    }
    if (dryRun) await prepareDest(source, dest, dryRun, log);
    const { files, others } = await countEntries(source);
    log.info(
      `start: ${dryRun ? 'dry run, ' : ''}moving ${files} file(s) from ${source} to ${dest}, renamed <name>_${stamp}<ext>`,
      fields({ event: 'start', source, dest, files, otherEntries: others, stamp, dryRun }),
    );
    if (files + others === 0) {
      log.info(`nothing to do: ${source} is empty`);
    } else {
      if (!dryRun) {
        journal = await open(journalPath, 'w', 0o644);
        await journal.write(`${JSON.stringify({ stamp, dest, runTag })}\n`);
      }
      let seq = 0;
      let batch: Dirent[] = [];
      const flush = async (): Promise<void> => {
        const work = batch;
        batch = [];
        const first = seq;
        seq += work.length;
        if (journal) {
          const lines = work.filter((e) => e.isFile()).map((e, i) => JSON.stringify([e.name, first + i]));
          await journal.write(`B\n${lines.join('\n')}${lines.length ? '\n' : ''}`);
        }
        // Regular files get consecutive sequence numbers in journal order (filter before index).
        const files = work.filter((e) => e.isFile());
        const rest = work.filter((e) => !e.isFile());
        for (const e of rest) counts[await moveOne(e, -1)]++;
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < files.length) {
            const i = next++;
            counts[await moveOne(files[i]!, first + i)]++;
          }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
        if (journal) await journal.write('D\n');
      };
      for await (const entry of await opendir(source, { bufferSize: 1024 })) {
        if (OWN_FILES.test(entry.name)) continue;
        batch.push(entry);
        if (batch.length >= batchSize) await flush();
        if (options.signal?.aborted) break;
      }
      if (batch.length && !options.signal?.aborted) await flush();
      if (counts.moved === 0 && counts.failed === 0) log.info('nothing to do: no file to move');
    }
    clean = true;
  } finally {
    if (journal) {
      await journal.close();
      // An unexpected error keeps the journal so that the next run can finish the batch in flight.
      if (clean) await unlink(journalPath).catch(() => {});
    }
    await lock?.release();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const interrupted = Boolean(options.signal?.aborted);
  const exitCode = interrupted
    ? ExitCode.interrupted
    : counts.failed > 0
      ? ExitCode.partialFailure
      : ExitCode.ok;
  const summary = { ...counts, seconds: Number(seconds.toFixed(3)), interrupted, exitCode };
  const line = `summary: ${dryRun ? 'would move' : 'moved'} ${counts.moved}, skipped ${counts.skipped}, failed ${counts.failed} in ${summary.seconds}s`;
  if (counts.failed > 0) log.error(line, fields({ event: 'summary', ...summary }));
  else log.info(line, fields({ event: 'summary', ...summary }));
  return summary;
}
