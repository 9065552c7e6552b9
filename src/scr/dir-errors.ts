// init()'s directory errors in words a user can act on: which setting named the directory, its
// value, the path that failed and what to do — instead of a bare "EROFS: read-only file system,
// mkdir '/x/.scr'". Only file-system errors (EROFS, EACCES, ENOENT, …) are reworded; the error
// keeps its class and code (Node's EROFS keeps code 'EROFS'). A DirSafetyError's refusal already
// names the path and the settings, and is left as it is.
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { describeSource } from '../config/errors.js';
import type { ResolvedConfig } from '../config/resolve.js';

const WHY: Record<string, string> = {
  EROFS: 'is on a read-only file system',
  EACCES: 'cannot be written by this user (permission denied)',
  EPERM: 'cannot be written by this user (operation not permitted)',
  ENOENT: 'cannot be created: a directory above it does not exist',
  ENOTDIR: 'cannot be created: something above it is a file, not a directory',
  ENOSPC: 'cannot be written: its file system is full',
  EDQUOT: 'cannot be written: the disk quota is exhausted',
};

const under = (path: string, base: string): boolean => {
  const b = resolve(base);
  return path === b || path.startsWith(b.endsWith(sep) ? b : b + sep);
};

/** The setting that names the directory holding `path`: SCR_PREFIX, SCR_CNTL_BASE, SCR_CACHE_BASE
 * or a STORE line (with where it was set). */
export function settingOf(cfg: ResolvedConfig, path: string): { setting: string; value: string } {
  const prefix = cfg.str('SCR_PREFIX');
  if (under(path, prefix)) return { setting: 'SCR_PREFIX', value: prefix };
  const cntl = cfg.str('SCR_CNTL_BASE');
  if (under(path, cntl)) return { setting: 'SCR_CNTL_BASE', value: cntl };
  const store = cfg.stores.find((s) => under(path, s.path));
  if (store && store.source.kind !== 'implied') return { setting: `the STORE=${store.path} line (${describeSource(store.source)})`, value: store.path };
  return { setting: 'SCR_CACHE_BASE', value: store?.path ?? cfg.optStr('SCR_CACHE_BASE') ?? path };
}

/** Rewrites the message of a directory error of init() to name the setting, its value and the
 * path; returns the same error. */
export function explainDirError(cfg: ResolvedConfig, e: unknown, fallbackPath: string): unknown {
  if (!(e instanceof Error)) return e;
  const err = e as Error & { code?: string; path?: string };
  let path = resolve(err.path ?? fallbackPath);
  let code = err.code;
  const { setting, value } = settingOf(cfg, path);
  // mkdir -p on a read-only or unwritable file system says ENOENT: the real cause is found at
  // the deepest directory that exists.
  if (code === 'ENOENT') {
    let up = path;
    while (dirname(up) !== up && !existsSync(up)) up = dirname(up);
    try { accessSync(up, constants.W_OK); } catch (x) { code = (x as NodeJS.ErrnoException).code ?? code; path = up; }
  }
  const name = setting.startsWith('SCR_') ? `${setting}=${value}` : setting;
  const why = code ? WHY[code] : undefined;
  // Other errors (e.g. DirSafetyError's refusals) already say what and where.
  if (why) err.message = `${name}: ${path} ${why} (${code}); choose a directory this user can write, and set ${setting.startsWith('SCR_') ? setting : 'that line'} to it`;
  return err;
}
