const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one argument for a POSIX shell, leaving plain words as they are. */
export function quoteArg(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** A command line a user can copy into a shell and run as is. */
export function formatCommand(cmd: readonly string[]): string {
  return cmd.map(quoteArg).join(' ');
}
