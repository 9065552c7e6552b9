// Where the commands find the prefix directory (SPEC §8): --prefix, else SCR_PREFIX, else the
// current directory. Not through loadConfig, so a broken configuration file never stops anyone
// from looking at, halting or repairing a job.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from './errors.js';
import type { Io } from './spec.js';

export function prefixOf(opts: Record<string, unknown>, io: Io): string {
  const p = (opts.prefix as string | undefined) ?? (io.env.SCR_PREFIX?.trim() ? io.env.SCR_PREFIX : undefined) ?? io.cwd;
  return resolve(io.cwd, p);
}

/** The prefix, which must be an existing directory; otherwise a UserError with `exitCode`. */
export function existingPrefix(opts: Record<string, unknown>, io: Io, exitCode: number): string {
  const prefix = prefixOf(opts, io);
  let isDir = false;
  try {
    isDir = statSync(prefix).isDirectory();
  } catch {
    throw new UserError(`the prefix directory ${prefix} does not exist`, { exitCode, hint: 'give --prefix DIR or set SCR_PREFIX' });
  }
  if (!isDir) throw new UserError(`the prefix ${prefix} is not a directory`, { exitCode, hint: 'give --prefix DIR or set SCR_PREFIX' });
  return prefix;
}
