// An exclusive lock that works on NFS, for read-modify-write of metadata files (the halt file is
// edited by commands while the job runs). flock/fcntl locks are unreliable on NFS (lockd may be
// off, and some clients fake them locally), and O_EXCL create is only atomic on NFSv3+; the classic
// link() method is atomic on every NFS version and local file system:
//   1. write a unique file `<lock>.<host>.<pid>.<random>` holding JSON {host, pid, time, file};
//   2. link() it to `<lock>`; we hold the lock if link succeeds, or if it reports an error but the
//      unique file's link count is 2 (NFS may lose the reply to a link that was made);
//   3. otherwise wait with jittered exponential backoff and retry, up to timeoutMs.
// While held, the lock's mtime is refreshed every staleMs/4, so "not refreshed for staleMs" means
// the holder is dead or hung. A lock is stale when its holder is on this host and its pid is gone,
// or when it has not been refreshed for staleMs (holders on other hosts; pids reused). Stale locks
// are renamed aside (atomic: of two breakers only one rename succeeds), checked to be the very lock
// judged stale (same inode; else put back), then removed with the dead holder's unique file (the
// lock's other link, named in `file`). A waiter killed before it got the lock leaves its unique
// file behind (harmless, never linked). Not re-entrant: a nested withLock on the same path waits
// for its own caller until it times out.
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockError, type LockHolder } from './errors.js';
import { readMetaFileIfExists, writeMetaFile, type WriteMetaOptions } from './file.js';

export interface LockOptions {
  /** Give up (LockError 'ERR_LOCK_TIMEOUT') after this long. Default 90 000 ms (beyond staleMs). */
  timeoutMs?: number;
  /** A lock not refreshed for this long is broken. Default 60 000 ms. Clocks of the hosts sharing
   * the lock must agree to well within this. */
  staleMs?: number;
  /** This process's host name as written in the lock, and compared to decide whether a holder's
   * pid can be checked here. Default os.hostname(). */
  host?: string;
}

const FIRST_WAIT_MS = 5;
const MAX_WAIT_MS = 250;

interface Held {
  lockPath: string;
  mine: string;
  heartbeat: NodeJS.Timeout;
}

interface Seen {
  holder?: LockHolder;
  dev: number;
  ino: number;
  ageMs: number;
  stale?: string;
}

/** Runs `fn` while holding an exclusive lock on `path + '.lock'`; releases it however fn ends.
 * Rejects with LockError 'ERR_LOCK_TIMEOUT' if the lock cannot be taken in time, and with
 * 'ERR_LOCK_LOST' (after fn succeeded) if the lock was broken as stale while fn ran. */
export async function withLock<T>(path: string, fn: () => T | Promise<T>, opts: LockOptions = {}): Promise<T> {
  const held = await acquire(`${path}.lock`, opts);
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await release(held).catch(() => {});
    throw err;
  }
  if (!(await release(held))) {
    throw new LockError('ERR_LOCK_LOST',
      `the lock ${held.lockPath} was broken by another process while this one (pid ${process.pid}) held it, so the work done under it may have raced; it was held longer than staleMs or this process stalled. Check the result, and raise staleMs if the work is slow`,
      held.lockPath);
  }
  return result;
}

/** Read-modify-write of a metadata file under its lock: `fn` gets the current value (undefined if
 * the file does not exist) and returns the new one, which is written atomically; returning
 * undefined leaves the file as it is. Resolves to the value the file now holds. */
export async function updateMetaFile<T>(path: string, kind: string,
  fn: (old: T | undefined) => T | undefined | Promise<T | undefined>,
  opts: LockOptions & WriteMetaOptions = {}): Promise<T | undefined> {
  return withLock(path, async () => {
    const old = await readMetaFileIfExists<T>(path, { expectKind: kind });
    const next = await fn(old);
    if (next === undefined) return old;
    await writeMetaFile(path, kind, next, { mode: opts.mode });
    return next;
  }, opts);
}

async function acquire(lockPath: string, opts: LockOptions): Promise<Held> {
  // Longer than staleMs: a waiter outlasts a holder that died on another host (its lock turns
  // stale and is broken) instead of giving up first.
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const staleMs = opts.staleMs ?? 60_000;
  const host = opts.host ?? hostname();
  const mine = `${lockPath}.${host.replace(/[^A-Za-z0-9._-]/g, '_')}.${process.pid}.${randomBytes(6).toString('hex')}`;
  const me: LockHolder = { host, pid: process.pid, time: Date.now(), file: basename(mine) };
  await fsp.writeFile(mine, JSON.stringify(me), { flag: 'wx', mode: 0o600 });
  try {
    await touch(mine);
    const start = Date.now();
    let wait = FIRST_WAIT_MS;
    for (;;) {
      if (await tryLink(mine, lockPath)) {
        const heartbeat = setInterval(() => { touch(mine).catch(() => {}); }, Math.max(10, staleMs / 4));
        heartbeat.unref();
        return { lockPath, mine, heartbeat };
      }
      const seen = await inspect(lockPath, host, staleMs);
      if (seen?.stale) {
        await breakStale(lockPath, seen, host);
        continue;
      }
      const elapsed = Date.now() - start;
      if (elapsed >= timeoutMs) throw timeoutError(lockPath, timeoutMs, staleMs, seen);
      if (seen === undefined) continue; // released between link and look: try again at once
      await sleep(Math.min(wait * (0.5 + Math.random()), timeoutMs - elapsed));
      wait = Math.min(wait * 2, MAX_WAIT_MS);
    }
  } catch (err) {
    await fsp.unlink(mine).catch(() => {});
    throw err;
  }
}

/** True if `mine` is now linked as the lock. */
async function tryLink(mine: string, lockPath: string): Promise<boolean> {
  try {
    await fsp.link(mine, lockPath);
    return true;
  } catch (err) {
    // On NFS the link may have been made though the reply was lost: the link count tells.
    const st = await fsp.stat(mine).catch(() => undefined);
    if (st?.nlink === 2) return true;
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err; // e.g. ENOENT (no directory), EPERM (a file system without hard links)
  }
}

/** Looks at the current lock through one open file, so content, inode and mtime belong together
 * (and NFS revalidates attributes on open). Undefined if there is no lock now. */
async function inspect(lockPath: string, host: string, staleMs: number): Promise<Seen | undefined> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(lockPath, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const st = await fh.stat();
    const holder = parseHolder(await fh.readFile('utf8').catch(() => ''));
    const ageMs = Date.now() - st.mtimeMs;
    const seen: Seen = { holder, dev: st.dev, ino: st.ino, ageMs };
    if (holder && holder.host === host && !pidAlive(holder.pid)) {
      seen.stale = `its holder, pid ${holder.pid} on this host (${host}), no longer exists`;
    } else if (ageMs > staleMs) {
      seen.stale = `it has not been refreshed for ${Math.round(ageMs)} ms (stale after ${staleMs} ms)`;
    }
    return seen;
  } finally {
    await fh.close();
  }
}

/** Removes the stale lock `seen`, unless another breaker got there first. */
async function breakStale(lockPath: string, seen: Seen, host: string): Promise<void> {
  const aside = `${lockPath}.stale.${host.replace(/[^A-Za-z0-9._-]/g, '_')}.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    await fsp.rename(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // already broken or released
    throw err;
  }
  const st = await fsp.lstat(aside);
  if (st.dev !== seen.dev || st.ino !== seen.ino) {
    // Between our look and our rename the stale lock was broken and a live one taken: put it back.
    // (If a third process took the name in the meantime, the live holder sees ERR_LOCK_LOST.)
    await fsp.link(aside, lockPath).catch(() => {});
    await fsp.unlink(aside);
    return;
  }
  await fsp.unlink(aside);
  // The dead holder's unique file is another link to the same inode: remove it too, if it is.
  const file = seen.holder?.file;
  if (file && file.startsWith(`${basename(lockPath)}.`) && !file.includes('/')) {
    const theirs = join(dirname(lockPath), file);
    const st2 = await fsp.lstat(theirs).catch(() => undefined);
    if (st2 && st2.dev === seen.dev && st2.ino === seen.ino) await fsp.unlink(theirs).catch(() => {});
  }
}

/** Ends the heartbeat and removes the lock if it is still ours; false if it was not. */
async function release(held: Held): Promise<boolean> {
  clearInterval(held.heartbeat);
  try {
    const [lock, mine] = await Promise.all([fsp.lstat(held.lockPath).catch(() => undefined), fsp.stat(held.mine).catch(() => undefined)]);
    if (!lock || !mine || lock.dev !== mine.dev || lock.ino !== mine.ino) return false;
    await fsp.unlink(held.lockPath);
    return true;
  } finally {
    await fsp.unlink(held.mine).catch(() => {});
  }
}

function timeoutError(lockPath: string, timeoutMs: number, staleMs: number, seen: Seen | undefined): LockError {
  const h = seen?.holder;
  const who = h
    ? `held by pid ${h.pid} on ${h.host} since ${new Date(h.time).toISOString()}, last refreshed ${Math.round((seen?.ageMs ?? 0) / 1000)} s ago`
    : seen ? 'held by an unknown process (the lock file does not say who)' : 'repeatedly taken by others';
  return new LockError('ERR_LOCK_TIMEOUT',
    `timed out after ${timeoutMs} ms waiting for the lock ${lockPath}: ${who}. It is broken automatically once not refreshed for ${staleMs} ms; if its holder is surely gone, remove ${lockPath}`,
    lockPath, h);
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.host === 'string' && Number.isInteger(v.pid) && (v.pid as number) > 0 && typeof v.time === 'number') {
      return { host: v.host, pid: v.pid as number, time: v.time, ...(typeof v.file === 'string' ? { file: v.file } : {}) };
    }
  } catch { /* not ours, or empty */ }
  return undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'; // EPERM: alive, someone else's
  }
}

async function touch(path: string): Promise<void> {
  const now = new Date();
  await fsp.utimes(path, now, now);
}
