// Directory safety for cache and control directories: shared node-local storage such as /dev/shm
// is hostile ground, where another user can plant a symlink or a directory of their own where scr
// is about to write. ensureSafeDir creates what is missing with mode 0700 and refuses what is not
// safe to use.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';

export type DirSafetyReason = 'symlink' | 'not-directory' | 'other-owner' | 'changed';

/** A directory scr was asked to use is not safe: a symlink, not a directory, or another user's. */
export class DirSafetyError extends Error {
  readonly code = 'ERR_UNSAFE_DIR';
  constructor(message: string, readonly path: string, readonly reason: DirSafetyReason) {
    super(message);
    this.name = 'DirSafetyError';
  }
}

export interface SafeDirOptions {
  /** Permission bits for the directories checked. Default 0o700. */
  mode?: number;
  /** Also check the components strictly below this ancestor that already existed (e.g. the
   * `<user>` and `scr.<jobid>` directories under SCR_CACHE_BASE). Default: none. */
  base?: string;
}

export interface SafeDirResult {
  /** The absolute directory. */
  path: string;
  /** Directories this call found missing and created (or saw created by a racing process). */
  created: string[];
  /** Existing directories whose permission bits were set to `mode`. */
  modeFixed: string[];
}

/**
 * Makes sure `path` is a directory that only this user controls, creating it and missing parents.
 * Checked: the final component, every component this call found missing, and with `base` every
 * component below base. A checked component must not be a symlink (lstat), must be a directory,
 * and must belong to this process's uid; otherwise DirSafetyError 'ERR_UNSAFE_DIR'. Components
 * above those (e.g. /dev/shm itself, or a symlinked /scratch) are followed as they are.
 * Permissions of a checked directory we own are set to exactly `mode` (0700 unless told): a
 * group- or world-writable directory of ours is fixed with chmod and listed in `modeFixed`, not
 * refused. The chmod goes through a handle opened with O_NOFOLLOW and checked to be the inode
 * that was inspected, so a swap between the check and the chmod cannot redirect it.
 */
export async function ensureSafeDir(path: string, opts: SafeDirOptions = {}): Promise<SafeDirResult> {
  const mode = opts.mode ?? 0o700;
  const abs = resolve(path);
  const base = opts.base === undefined ? undefined : resolve(opts.base);
  if (base !== undefined && base !== abs && !abs.startsWith(base.endsWith(sep) ? base : base + sep)) {
    throw new RangeError(`ensureSafeDir: base ${base} is not an ancestor of ${abs}`);
  }
  const result: SafeDirResult = { path: abs, created: [], modeFixed: [] };
  for (const dir of components(abs)) {
    const missing = !(await exists(dir));
    if (missing) {
      try {
        await fsp.mkdir(dir, { mode });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      result.created.push(dir);
    }
    const belowBase = base !== undefined && dir !== base && relative(base, dir).split(sep)[0] !== '..';
    if (missing || dir === abs || belowBase) {
      await checkOne(dir, abs, mode, missing ? undefined : result.modeFixed);
    } else if (!(await fsp.stat(dir)).isDirectory()) {
      throw unsafe(dir, abs, 'not-directory', 'it exists but is not a directory; move it out of the way or choose another base directory');
    }
  }
  return result;
}

/** The ancestors of an absolute path below the root, outermost first, ending with the path. */
function components(abs: string): string[] {
  const out: string[] = [];
  for (let p = abs; dirname(p) !== p; p = dirname(p)) out.unshift(p);
  return out;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function checkOne(dir: string, target: string, mode: number, fixed: string[] | undefined): Promise<void> {
  const st = await fsp.lstat(dir);
  if (st.isSymbolicLink()) {
    const to = await fsp.readlink(dir).catch(() => '?');
    throw unsafe(dir, target, 'symlink',
      `it is a symbolic link (to ${to}); on shared storage another user could redirect scr's files through it. Remove the link or choose another base directory (SCR_CACHE_BASE, SCR_CNTL_BASE)`);
  }
  if (!st.isDirectory()) {
    throw unsafe(dir, target, 'not-directory', 'it exists but is not a directory; move it out of the way or choose another base directory (SCR_CACHE_BASE, SCR_CNTL_BASE)');
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw unsafe(dir, target, 'other-owner',
      `it belongs to uid ${st.uid}, not to this user (uid ${uid}), who could read or replace scr's files there. Have its owner remove it, or choose another base directory (SCR_CACHE_BASE, SCR_CNTL_BASE)`);
  }
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENOENT') {
      throw unsafe(dir, target, 'changed', `it was replaced while being checked (${code}); someone else is changing it, so it is not safe to use`);
    }
    throw err;
  }
  try {
    const now = await fh.stat();
    if (now.dev !== st.dev || now.ino !== st.ino) {
      throw unsafe(dir, target, 'changed', "it was replaced while being checked; someone else is changing it, so it is not safe to use");
    }
    if ((now.mode & 0o7777) !== mode) {
      await fh.chmod(mode);
      fixed?.push(dir);
    }
  } finally {
    await fh.close();
  }
}

function unsafe(dir: string, target: string, reason: DirSafetyReason, why: string): DirSafetyError {
  const where = dir === target ? dir : `${dir} (on the way to ${target})`;
  return new DirSafetyError(`refusing to use directory ${where}: ${why}`, dir, reason);
}

// ---- the prefix's .scr directory ----
// <SCR_PREFIX>/.scr holds the index, the halt file, the flush file and the log; the commands and
// the library read and write them there. The prefix directory itself may well be shared (a
// project directory owned by someone else); its .scr must be this user's own real directory, or
// another user could plant a symlink that redirects scr's writes, or edit what scr reads.

const PREFIX_SCR_WHAT = "the prefix's .scr directory, where scr keeps the index, the halt file and the log";
const OTHER_PREFIX = 'use a prefix directory of your own (--prefix DIR or SCR_PREFIX)';

export interface PrefixScrDirOptions {
  /** Create the prefix (if missing, with parents) and <prefix>/.scr (mode 0700) when they do not
   * exist. Default true. With false nothing is created and a missing one gives `exists: false`. */
  create?: boolean;
}

export interface PrefixScrDirResult {
  /** <prefix>/.scr, absolute. */
  path: string;
  /** Whether it exists now (always true with `create`). */
  exists: boolean;
  /** Whether this call created it. */
  created: boolean;
}

/** Refuses a <prefix>/.scr that is a symlink, not a directory, or another user's (`st` from lstat). */
function checkPrefixScr(path: string, st: fs.Stats, linkTarget: () => string): void {
  if (st.isSymbolicLink()) {
    throw new DirSafetyError(`refusing to use ${path} (${PREFIX_SCR_WHAT}): it is a symbolic link (to ${linkTarget()}), through which ` +
      `another user could redirect or read what scr keeps there. Replace the link with a real directory, or ${OTHER_PREFIX}`, path, 'symlink');
  }
  if (!st.isDirectory()) {
    throw new DirSafetyError(`refusing to use ${path} (${PREFIX_SCR_WHAT}): it exists but is not a directory. Move it out of the way, or ${OTHER_PREFIX}`,
      path, 'not-directory');
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new DirSafetyError(`refusing to use ${path} (${PREFIX_SCR_WHAT}): it belongs to uid ${st.uid}, not to this user (uid ${uid}), ` +
      `who could change or replace what scr reads and writes there. Either ${OTHER_PREFIX}, or have its owner remove ${path} or give it to you`,
    path, 'other-owner');
  }
}

function prefixNotDirectory(prefix: string): DirSafetyError {
  return new DirSafetyError(`the prefix ${prefix} exists but is not a directory; give a directory with --prefix DIR or SCR_PREFIX`, prefix, 'not-directory');
}

const isMissing = (err: unknown) => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * Makes sure `<prefix>/.scr` is safe to read and write: a real directory (not a symlink) owned by
 * this process's uid; otherwise DirSafetyError 'ERR_UNSAFE_DIR' (reason 'symlink', 'not-directory'
 * or 'other-owner') whose message names the path and what to do. Only .scr is checked for its
 * owner: the prefix itself may be shared and belong to others, but it must be a directory (it may
 * be a symlink to one). With `create` (the default) a missing prefix is created (with parents) and
 * a missing .scr is created with mode 0700; its mode is then checked through a handle opened with
 * O_NOFOLLOW, so a swap between the mkdir and the check is refused. An existing .scr of ours keeps
 * its permission bits (the user may share it with the group on purpose).
 */
export async function ensurePrefixScrDir(prefix: string, opts: PrefixScrDirOptions = {}): Promise<PrefixScrDirResult> {
  const create = opts.create ?? true;
  const abs = resolve(prefix);
  const path = resolve(abs, '.scr');
  try {
    if (!(await fsp.stat(abs)).isDirectory()) throw prefixNotDirectory(abs);
  } catch (err) {
    if (!isMissing(err)) throw err;
    if (!create) return { path, exists: false, created: false };
    await fsp.mkdir(abs, { recursive: true, mode: 0o700 });
  }
  let created = false;
  let st: fs.Stats;
  try {
    st = await fsp.lstat(path);
  } catch (err) {
    if (!isMissing(err)) throw err;
    if (!create) return { path, exists: false, created: false };
    try {
      await fsp.mkdir(path, { mode: 0o700 });
      created = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    st = await fsp.lstat(path);
  }
  const to = st.isSymbolicLink() ? await fsp.readlink(path).catch(() => '?') : '';
  checkPrefixScr(path, st, () => to);
  if (created) {
    // Through a handle on the very inode inspected: 0700 whatever the umask.
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(path, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENOENT') {
        throw new DirSafetyError(`refusing to use ${path} (${PREFIX_SCR_WHAT}): it was replaced right after scr created it (${code}); someone else is changing it, so ${OTHER_PREFIX}`, path, 'changed');
      }
      throw err;
    }
    try {
      const now = await fh.stat();
      if (now.dev !== st.dev || now.ino !== st.ino) {
        throw new DirSafetyError(`refusing to use ${path} (${PREFIX_SCR_WHAT}): it was replaced right after scr created it; someone else is changing it, so ${OTHER_PREFIX}`, path, 'changed');
      }
      if ((now.mode & 0o7777) !== 0o700) await fh.chmod(0o700);
    } finally {
      await fh.close();
    }
  }
  return { path, exists: true, created };
}

/** The check of ensurePrefixScrDir on <prefix>/.scr without creating anything, synchronously (for
 * loadConfig, which reads <prefix>/.scr/app.conf): a missing .scr, or a prefix that is missing or
 * not a directory (so has no .scr), gives `exists: false`. */
export function checkPrefixScrDirSync(prefix: string): PrefixScrDirResult {
  const abs = resolve(prefix);
  const path = resolve(abs, '.scr');
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch (err) {
    if (isMissing(err)) return { path, exists: false, created: false };
    throw err;
  }
  checkPrefixScr(path, st, () => { try { return fs.readlinkSync(path); } catch { return '?'; } });
  return { path, exists: true, created: false };
}
