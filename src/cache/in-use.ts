// A node's control directory belongs to one running job at a time. Two runs with the same job id
// on one node (two job steps of one allocation in different prefixes, say) would share the cache
// index and the dataset numbering, and could delete each other's files. The node leader therefore
// marks the directory in use (`inuse.json`, created exclusively) from init to finalize; a second
// run is refused with a message saying which run holds it and what to do. A mark whose process is
// gone (killed, crashed: it is a zombie or no longer exists, or its pid was reused by a process
// started at another time) is stale and taken over.
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface InUse {
  pid: number;
  /** The process's start time (field 22 of /proc/<pid>/stat), to tell a reused pid apart. */
  start: string | null;
  host: string;
  prefix: string;
  /** Epoch milliseconds. */
  at: number;
}

export const inUsePath = (cntlDir: string): string => join(cntlDir, 'inuse.json');

function startOf(pid: number): { start: string; zombie: boolean } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { start: rest[19]!, zombie: rest[0] === 'Z' };
  } catch {
    return null;
  }
}

/** Whether the run that made the mark is still alive (on this host). */
function alive(m: InUse): boolean {
  if (m.host !== hostname()) return true; // another host's process cannot be checked: respected
  try { process.kill(m.pid, 0); } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
  const now = startOf(m.pid);
  if (!now) return m.start === null;
  return !now.zombie && (m.start === null || m.start === now.start);
}

export class InUseError extends Error {
  readonly code = 'ERR_SCR_IN_USE';
}

/** Marks `cntlDir` in use by this process for `prefix`; resolves to the release function. */
export async function markInUse(cntlDir: string, jobId: string, prefix: string): Promise<() => Promise<void>> {
  const path = inUsePath(cntlDir);
  const mine: InUse = { pid: process.pid, start: startOf(process.pid)?.start ?? null, host: hostname(), prefix, at: Date.now() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      try { await fh.writeFile(JSON.stringify(mine)); } finally { await fh.close(); }
      return async () => {
        const now = await readFile(path, 'utf8').then((t) => JSON.parse(t) as InUse, () => null);
        if (now?.pid === mine.pid && now.at === mine.at) await rm(path, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw e;
    }
    let held: InUse | null = null;
    try { held = JSON.parse(await readFile(path, 'utf8')) as InUse; } catch { /* torn or gone: stale */ }
    // Our own mark (an init of this process that failed before finalize) is ours to retake.
    if (held && !(held.pid === mine.pid && held.host === mine.host) && alive(held)) {
      throw new InUseError(`${cntlDir} is in use by another run with the same job id (${jobId}): process ${held.pid} on ${held.host}, prefix ${held.prefix}, since ${new Date(held.at).toISOString()}. ` +
        `Two runs at once must not share a job's node directories: give this one its own SCR_JOB_ID (e.g. SCR_JOB_ID=${jobId}.2), or wait for the other to finish`);
    }
    await rm(path, { force: true });
  }
}

/** The mark at `path` if its process is alive (or on another host, so cannot be checked); null when
 * there is none, it is torn, or its process is gone. For `scr clean` (src/cache/stale-jobs.ts). */
export async function inUseAlive(path: string): Promise<InUse | null> {
  let held: InUse;
  try { held = JSON.parse(await readFile(path, 'utf8')) as InUse; } catch { return null; }
  return typeof held?.pid === 'number' && alive(held) ? held : null;
}
