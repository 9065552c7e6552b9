// Where the commands find the prefix directory (SPEC §8): --prefix, else SCR_PREFIX, else the
// current directory. Not through loadConfig, so a broken configuration file never stops anyone
// from looking at, halting or repairing a job. Its .scr directory (index, halt file, log) must be
// the user's own real directory: a symlink or another user's is refused before anything in it is
// read or written (src/common/dirs.ts ensurePrefixScrDir).
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DirSafetyError, ensurePrefixScrDir } from '../common/dirs.js';
import { fsErrorText, isFsError } from '../common/errno.js';
import { UserError } from './errors.js';
import type { Io } from './spec.js';

export function prefixOf(opts: Record<string, unknown>, io: Io): string {
  const p = (opts.prefix as string | undefined) ?? (io.env.SCR_PREFIX?.trim() ? io.env.SCR_PREFIX : undefined) ?? io.cwd;
  return resolve(io.cwd, p);
}

/** Where the prefix came from, for messages. */
export function prefixSource(opts: Record<string, unknown>, io: Io): string {
  return opts.prefix !== undefined ? '--prefix' : io.env.SCR_PREFIX?.trim() ? 'SCR_PREFIX' : 'the current directory, as neither --prefix nor SCR_PREFIX is set';
}

/** The prefix, which must be an existing directory; otherwise a UserError with `exitCode`. */
export function existingPrefix(opts: Record<string, unknown>, io: Io, exitCode: number): string {
  const prefix = prefixOf(opts, io);
  let isDir = false;
  try {
    isDir = statSync(prefix).isDirectory();
  } catch {
    throw new UserError(`the prefix directory ${prefix} does not exist`, { exitCode, hint: `it comes from ${prefixSource(opts, io)}; create it, or give another with --prefix DIR or SCR_PREFIX` });
  }
  if (!isDir) throw new UserError(`the prefix ${prefix} is not a directory`, { exitCode, hint: 'give --prefix DIR or SCR_PREFIX' });
  return prefix;
}

/** Checks <prefix>/.scr as ensurePrefixScrDir does, creating it (0700) with `create` (for a
 * command about to write there); a missing one is fine without. A symlink, a non-directory or
 * another user's .scr is a UserError with `exitCode` whose message says what to do. */
export async function checkPrefixScr(prefix: string, exitCode: number, opts: { create?: boolean } = {}): Promise<void> {
  try {
    await ensurePrefixScrDir(prefix, { create: opts.create ?? false });
  } catch (e) {
    if (e instanceof DirSafetyError) throw new UserError(e.message, { exitCode, cause: e });
    if (isFsError(e)) {
      throw new UserError(`the prefix directory ${prefix} (SCR_PREFIX or --prefix) cannot hold scr's .scr directory: ${fsErrorText(e)}`,
        { exitCode, cause: e, hint: 'give a prefix directory on a writable file system that you own (--prefix DIR or SCR_PREFIX)' });
    }
    throw e;
  }
}

/** existingPrefix, then checkPrefixScr: the prefix of a command that reads or writes its .scr. */
export async function usablePrefix(opts: Record<string, unknown>, io: Io, exitCode: number, check: { create?: boolean } = {}): Promise<string> {
  const prefix = existingPrefix(opts, io, exitCode);
  await checkPrefixScr(prefix, exitCode, check);
  return prefix;
}
