import { createReadStream } from 'node:fs';
import { lstat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { targetName } from './log-names.ts';

/**
 * The journal of a run, kept in the source folder:
 *   {"stamp","dest","runTag"}      header
 *   B                              a batch starts; its regular files follow
 *   ["name",seq]                   one file of the batch, written before any of them is touched
 *   D                              every file of the batch is settled
 * A run killed mid-batch leaves a batch without D. For each of its files, the next run either
 * finishes the move (the destination already holds the same inode: unlink the source) or rolls
 * it back (a half-written `.partial` copy: delete it; the source is still there and moves again).
 */
export interface Recovery {
  completed: number;
  rolledBack: number;
}

interface Header {
  stamp: string;
  dest: string;
  runTag: string;
}

async function inode(path: string): Promise<{ dev: number; ino: number; nlink: number } | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The destination name holding the same inode, probing `_1`, `_2`... up to the first free name. */
async function findLinked(header: Header, name: string, dev: number, ino: number): Promise<boolean> {
  for (let n = 0; ; n++) {
    const found = await inode(join(header.dest, targetName(name, header.stamp, n)));
    if (!found) return false;
    if (found.dev === dev && found.ino === ino) return true;
  }
}

async function settle(
  header: Header,
  source: string,
  name: string,
  seq: number,
  result: Recovery,
): Promise<void> {
  const from = join(source, name);
  const partial = join(header.dest, `.process-logs-${header.runTag}-${seq}.partial`);
  const copy = await inode(partial);
  if (copy) {
    if (await findLinked(header, name, copy.dev, copy.ino)) {
      await unlink(from).catch(() => {});
      result.completed++;
    } else {
      result.rolledBack++;
    }
    await unlink(partial);
    return;
  }
  const original = await inode(from);
  if (original && original.nlink > 1 && (await findLinked(header, name, original.dev, original.ino))) {
    await unlink(from);
    result.completed++;
  }
}

/** Settles what a killed run left half-done; undefined when there is no journal. Memory: one batch. */
export async function recoverJournal(path: string, source: string): Promise<Recovery | undefined> {
  if (!(await inode(path))) return undefined;
  const result: Recovery = { completed: 0, rolledBack: 0 };
  let header: Header | undefined;
  let open: Array<[string, number]> = [];
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const settleOpen = async (): Promise<void> => {
    if (header) for (const [name, seq] of open) await settle(header, source, name, seq, result);
    open = [];
  };
  for await (const line of lines) {
    if (line === 'B') await settleOpen();
    else if (line === 'D') open = [];
    else if (line) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue; // a line cut short by the kill: written before its files were touched
      }
      if (Array.isArray(parsed)) open.push(parsed as [string, number]);
      else header = parsed as Header;
    }
  }
  await settleOpen();
  await unlink(path);
  return result;
}
