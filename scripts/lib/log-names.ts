import { extname } from 'node:path';
import { format } from 'date-fns';
import { UserError } from './exit-codes.ts';

/** The default timestamp: `20261122_020000` (date-fns tokens). */
export const DEFAULT_FORMAT = 'yyyyMMdd_HHmmss';

/** Compressed suffixes kept together with the extension before them (`a.tar.gz`, `app.log.2.gz`). */
const COMPRESSED = new Set(['.gz', '.bz2', '.xz', '.zst', '.lz4', '.z']);

/**
 * Splits a file name into stem and extension. The extension is the last dot-part (`.log`), or
 * the last two when the last is a compression suffix (`.tar.gz`). A leading dot is part of the
 * stem, so `.bashrc` has no extension; a name without a dot has none either.
 */
export function splitName(name: string): { stem: string; ext: string } {
  let ext = extname(name);
  const rest = name.slice(0, name.length - ext.length);
  if (COMPRESSED.has(ext.toLowerCase())) {
    const inner = extname(rest);
    if (inner) ext = inner + ext;
  }
  return { stem: name.slice(0, name.length - ext.length), ext };
}

/** `<stem>_<timestamp><ext>`, then `<stem>_<timestamp>_<n><ext>` for n >= 1 when the name is taken. */
export function targetName(name: string, stamp: string, n = 0): string {
  const { stem, ext } = splitName(name);
  return `${stem}_${stamp}${n > 0 ? `_${n}` : ''}${ext}`;
}

const FORBIDDEN = /[./:\\\0\n]/;

/**
 * Formats the run's start time with date-fns tokens, rejecting a format that is not valid date-fns
 * or that could produce a dot, a slash, a colon (or a backslash or control character) on any date.
 */
export function timestamp(when: Date, tokens: string = DEFAULT_FORMAT): string {
  const samples = [when, new Date(2026, 0, 1, 0, 0, 0), new Date(2026, 11, 31, 23, 59, 59, 999)];
  for (const sample of samples) {
    let text: string;
    try {
      text = format(sample, tokens);
    } catch (error) {
      throw new UserError(
        `--format '${tokens}' is not a valid date-fns format: ${(error as Error).message}`,
        'use date-fns tokens (https://date-fns.org/docs/format) and quote literal text: --format "yyyyMMdd\'T\'HHmmss"',
      );
    }
    if (text === '' || FORBIDDEN.test(text)) {
      throw new UserError(
        `--format '${tokens}' produces '${text}', which ${text === '' ? 'is empty' : 'contains a dot, slash, colon or backslash'}`,
        `file names must get a timestamp without those characters, e.g. --format ${DEFAULT_FORMAT}`,
      );
    }
  }
  return format(when, tokens);
}
