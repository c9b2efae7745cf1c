import { readFileSync } from 'node:fs';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { ExitCode, UserError } from './exit-codes.ts';

/** Start time of a process in clock ticks since boot (Linux /proc), to tell a reused PID apart. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Process state letter from /proc (Z = zombie: dead, not yet reaped by its parent). */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

function alive(pid: number, start: string | undefined): boolean {
  if (processState(pid) === 'Z') return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // Same PID but a different start time: the PID was reused by an unrelated process.
  const now = processStart(pid);
  return !(start && now && start !== now);
}

export interface LockOwner {
  pid: number;
  start?: string;
}

function parse(text: string): LockOwner | undefined {
  const [pidLine, start] = text.split('\n');
  const pid = Number(pidLine);
  return Number.isInteger(pid) && pid > 0 ? { pid, ...(start ? { start } : {}) } : undefined;
}

export interface HeldLock {
  path: string;
  /** Whether a stale lock of a dead run was taken over. */
  tookOver?: LockOwner;
  release(): Promise<void>;
}

/**
 * Takes the lock file at `path` (created with O_EXCL, holding our PID and start time). A lock held
 * by a live process makes this throw a busy UserError (exit 3) without touching anything else.
 * A lock left by a dead process is moved aside atomically and taken over; if the file moved aside
 * turns out not to be the one judged dead (another run won the race), it is put back and we are busy.
 */
export async function acquireLock(path: string, what: string): Promise<HeldLock> {
  const content = `${process.pid}\n${processStart(process.pid) ?? ''}\n`;
  let tookOver: LockOwner | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o644);
      await handle.writeFile(content);
      await handle.close();
      return {
        path,
        ...(tookOver ? { tookOver } : {}),
        release: async () => {
          const now = await readFile(path, 'utf8').catch(() => '');
          if (parse(now)?.pid === process.pid) await unlink(path).catch(() => {});
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const before = await stat(path).catch(() => undefined);
    if (!before) continue;
    const owner = parse(await readFile(path, 'utf8').catch(() => ''));
    // A lock file without a PID is a run killed between create and write (a few microseconds):
    // treat it as stale only once it is older than that window could explain.
    const fresh = !owner && Date.now() - before.mtimeMs < 2000;
    if ((owner && alive(owner.pid, owner.start)) || fresh) {
      throw new UserError(
        `another run${owner ? ` (PID ${owner.pid})` : ''} is already ${what}; nothing was touched`,
        `wait for it to finish, or if no such process exists remove ${path}`,
        ExitCode.busy,
      );
    }
    const aside = `${path}.stale.${process.pid}`;
    try {
      await rename(path, aside);
    } catch {
      continue; // someone else moved it first; start over
    }
    const moved = await stat(aside);
    if (moved.ino !== before.ino || moved.dev !== before.dev) {
      await link(aside, path).catch(() => {});
      await unlink(aside).catch(() => {});
      continue;
    }
    await unlink(aside).catch(() => {});
    tookOver = owner ?? { pid: 0 };
  }
  throw new UserError(
    `could not take the lock ${path}`,
    'another run keeps racing for it; retry',
    ExitCode.busy,
  );
}
