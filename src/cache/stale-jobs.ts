// Stale job directories on this node (`scr clean`, `scr prerun` with SCR_CLEAN_STALE=1, and the end
// of `scr sim`): a job's control and cache directories, <base>/<user>/scr.<jobid>/, stay behind when
// nothing removes them (a crash, a cancelled job, a node that was not scavenged). A job's
// directories are stale when the job is no longer running:
//  - a live in-use mark (inuse.json of src/cache/in-use.ts: in a node's control directory from the
//    library's init to finalize, and in the job's control directory for the whole of `scr sim`) means
//    it runs; a mark from another host cannot be checked and counts as running;
//  - a resource manager's job id (Slurm's and LSF's are digits, PBS's `123.server`; each manager's
//    module says which are its) runs while that manager's queue lists it (any state: pending,
//    running, requeued, suspended, completing; Slurm: squeue); when no such queue command is
//    installed, or one fails, it cannot be told and is kept (the JobQueue of src/rm/job-queue.ts);
//  - any other id (nojob-…, sim…) runs only while it has a live mark.
// Safety: only <base>/<user> that is a real directory owned by this user is looked into; a job
// directory is removed only if it and everything in it are this user's and none is a symlink
// followed (symlinks inside are removed as links, never followed); the current job is never stale.
// Nothing safely written is lost: a job whose cache holds a complete checkpoint newer than the newest
// one on its prefix's file system (the prefix each cache-index record names) is reported, not
// removed, unless the caller forces it.
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readIndex } from '../pfs/index.js';
import { inUseAlive, inUsePath } from './in-use.js';
import { readCacheIndex } from './records.js';

export interface Base {
  /** The setting it comes from, e.g. SCR_CNTL_BASE, SCR_CACHE_BASE, or STORE=<path>. */
  setting: string;
  kind: 'control' | 'cache';
  path: string;
}

export interface JobDir extends Base {
  /** <base>/<user>/scr.<jobid>. */
  dir: string;
  bytes: number;
}

export interface JobDirs {
  jobId: string;
  dirs: JobDir[];
  bytes: number;
  /** Whether the job still runs, and how that was decided. */
  running: boolean;
  why: string;
  /** For a job that no longer runs: checkpoints its caches hold that are newer than the newest one
   * on its prefix's file system (or a cache index that cannot be read). Removing the directories
   * would lose them, so scr clean and scr sim keep such a job (scr clean --force removes it). */
  unsaved: string[];
}

export interface Skipped {
  path: string;
  why: string;
}

export interface Scan {
  jobs: JobDirs[];
  skipped: Skipped[];
  /** A resource manager's queue did not answer: why (its jobs are kept). */
  queueError?: string;
}

const uid = (): number => process.getuid?.() ?? -1;

/** Bytes under `path` (lstat: links are not followed), or a reason it is not all this user's. */
async function walk(path: string): Promise<{ bytes: number } | { foreign: string }> {
  const st = await lstat(path);
  if (st.uid !== uid()) return { foreign: `${path} belongs to uid ${st.uid}` };
  if (!st.isDirectory()) return { bytes: st.isFile() ? st.size : 0 };
  let bytes = 0;
  for (const name of await readdir(path)) {
    const r = await walk(join(path, name));
    if ('foreign' in r) return r;
    bytes += r.bytes;
  }
  return { bytes };
}

/** The job directories of `user` under each base, by job id; what cannot be looked into is skipped. */
async function collect(bases: readonly Base[], user: string, only?: string): Promise<{ byJob: Map<string, JobDir[]>; skipped: Skipped[] }> {
  const byJob = new Map<string, JobDir[]>();
  const skipped: Skipped[] = [];
  const seen = new Set<string>();
  for (const b of bases) {
    const userDir = join(b.path, user);
    if (seen.has(userDir)) continue;
    seen.add(userDir);
    let st;
    try { st = await lstat(userDir); } catch { continue; } // nothing there
    if (st.isSymbolicLink() || !st.isDirectory()) { skipped.push({ path: userDir, why: `not a real directory (${b.setting}): not followed` }); continue; }
    if (st.uid !== uid()) { skipped.push({ path: userDir, why: `belongs to uid ${st.uid}, not this user (${uid()})` }); continue; }
    for (const name of await readdir(userDir)) {
      const m = /^scr\.(.+)$/.exec(name);
      if (!m || (only !== undefined && m[1] !== only)) continue;
      const dir = join(userDir, name);
      const js = await lstat(dir).catch(() => null);
      if (!js) continue; // removed meanwhile (another node's scr clean, on a shared directory)
      if (js.isSymbolicLink() || !js.isDirectory()) { skipped.push({ path: dir, why: 'not a real directory: not followed' }); continue; }
      const r = await walk(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : { foreign: `${dir}: ${e.message}` }));
      if (r === null) continue;
      if ('foreign' in r) { skipped.push({ path: dir, why: `${r.foreign}: not this user's, left alone` }); continue; }
      const list = byJob.get(m[1]!) ?? [];
      list.push({ ...b, dir, bytes: r.bytes });
      byJob.set(m[1]!, list);
    }
  }
  return { byJob, skipped };
}

/** Complete checkpoints in the job's node cache indexes that are newer than the newest checkpoint
 * on their prefix's file system, by name; an unreadable cache index counts too (it may list one). */
export async function unsavedCheckpoints(dirs: readonly JobDir[]): Promise<string[]> {
  const found = new Map<string, string>();
  const newestSaved = new Map<string, number>();
  const saved = async (prefix: string | undefined): Promise<number> => {
    if (!prefix) return 0; // a record without its prefix (older versions): nothing is known to be saved
    if (!newestSaved.has(prefix)) {
      const idx = await readIndex(prefix, () => undefined).catch(() => ({ datasets: {} }));
      const ids = Object.values(idx.datasets).filter((d) => d.flags.checkpoint && d.flushed && !d.failed && !d.superseded).map((d) => d.id);
      newestSaved.set(prefix, Math.max(0, ...ids));
    }
    return newestSaved.get(prefix)!;
  };
  for (const d of dirs.filter((x) => x.kind === 'control')) {
    for (const n of (await readdir(d.dir).catch(() => [] as string[])).filter((x) => x.startsWith('node.'))) {
      const idx = await readCacheIndex(join(d.dir, n)).catch((e: Error) => e);
      if (idx instanceof Error) { found.set(join(d.dir, n), `an unreadable cache index in ${join(d.dir, n)} (${idx.message})`); continue; }
      for (const r of Object.values(idx.datasets)) {
        if (!r.flags.checkpoint || !r.complete || r.failed || r.bypass || r.flushed) continue;
        if (r.id > await saved(r.prefix)) found.set(`${r.prefix ?? ''}\0${r.id}`, `${r.name} (id ${r.id}${r.prefix ? `, prefix ${r.prefix}` : ''})`);
      }
    }
  }
  return [...found.values()];
}

/** Whether a live in-use mark is in the job's control directory or one of its node directories. */
async function liveMark(dirs: readonly JobDir[]): Promise<string | null> {
  for (const d of dirs.filter((x) => x.kind === 'control')) {
    const places = [d.dir, ...(await readdir(d.dir).catch(() => [] as string[])).filter((n) => n.startsWith('node.')).map((n) => join(d.dir, n))];
    for (const p of places) {
      const held = await inUseAlive(inUsePath(p));
      if (held) return `in use by process ${held.pid} on ${held.host} (${inUsePath(p)})`;
    }
  }
  return null;
}

/** What the resource managers' queues say of job ids (built by src/rm/job-queue.ts; commands pass
 * it in, so this module does not know the managers). */
export interface JobQueue {
  /** For an id some manager calls its own: whether that manager's queue lists it (`running`, with
   * the query as `why`), or does not (`ended`), or cannot say (`unknown`, with why); null for an id
   * no manager claims. */
  status(jobId: string): Promise<{ state: 'running' | 'ended' | 'unknown'; why: string } | null>;
  /** Queues that failed, one line each (their jobs were kept). */
  errors(): string[];
}

/**
 * This user's job directories under `bases`, each with whether the job still runs. `current`: job
 * ids that are running by definition (the caller's own job). `queue`: the resource manager's
 * queues (null: ask none, e.g. for a job known to be local). `only`: look at this job id alone.
 */
export async function scanJobs(bases: readonly Base[], user: string, opts: { current?: readonly string[]; queue: JobQueue | null; only?: string }): Promise<Scan> {
  const { byJob, skipped } = await collect(bases, user, opts.only);
  const queue = opts.queue;
  const jobs: JobDirs[] = [];
  for (const [jobId, dirs] of [...byJob].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))) {
    const bytes = dirs.reduce((n, d) => n + d.bytes, 0);
    const mark = await liveMark(dirs);
    let running: boolean;
    let why: string;
    if (opts.current?.includes(jobId)) { running = true; why = 'the current job'; }
    else if (mark) { running = true; why = mark; }
    else {
      const q = await queue?.status(jobId);
      if (q) { running = q.state !== 'ended'; why = q.why; }
      else { running = false; why = 'no live in-use mark: no process of it runs'; }
    }
    jobs.push({ jobId, dirs, bytes, running, why, unsaved: running ? [] : await unsavedCheckpoints(dirs) });
  }
  const errors = queue?.errors() ?? [];
  return { jobs, skipped, ...(errors.length ? { queueError: errors.join('; ') } : {}) };
}

/** Removes a stale job's directories (each re-checked as this user's real directory first);
 * resolves to the problems, one line each (empty when all went). */
export async function removeJob(job: JobDirs): Promise<string[]> {
  const problems: string[] = [];
  for (const d of job.dirs) {
    try {
      const st = await lstat(d.dir);
      if (st.isSymbolicLink() || !st.isDirectory() || st.uid !== uid()) { problems.push(`${d.dir} changed since it was looked at: left alone`); continue; }
      // rm does not follow symlinks: a link inside is removed, not what it points to.
      await rm(d.dir, { recursive: true, force: true, maxRetries: 2 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // gone already
      problems.push(`could not remove ${d.dir} (${d.setting}): ${(e as Error).message}`);
    }
  }
  return problems;
}
