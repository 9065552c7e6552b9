// Processes of one launch, found by a marker in their environment (`NAME=value`, unique per
// launch): the ranks of an mpirun job are not all in the launcher's process group, and ranks
// started by a daemon (orted, hydra's proxy, slurmstepd) are not its descendants at all. Only
// processes of this user (or all, as root) can be read, so only this machine's own are found.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Pids of the processes whose environment holds every one of `vars` (this process excluded). */
export function pidsByEnv(vars: string[]): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    let env = '';
    try { env = readFileSync(join('/proc', pid, 'environ'), 'latin1'); } catch { continue; }
    if (!env) continue; // a zombie: nothing left to kill
    const have = new Set(env.split('\0'));
    if (vars.every((v) => have.has(v))) out.push(Number(pid));
  }
  return out;
}

/** Sends `signal` to every process whose environment holds all of `vars` (e.g. SCR_JOB_ID=…).
 * Returns how many were signalled. */
export function killByEnv(vars: string[], signal: NodeJS.Signals = 'SIGKILL'): number {
  let n = 0;
  for (const pid of pidsByEnv(vars)) {
    try { process.kill(pid, signal); n++; } catch { /* gone */ }
  }
  return n;
}

/** Whether a process group still has a live member. */
export function groupAlive(pgid: number): boolean {
  try { process.kill(-pgid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** `pid` and every process below it (by parent pid, read from /proc), children before parents'
 * siblings; what is gone or unreadable is left out. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    let stat = '';
    try { stat = readFileSync(join('/proc', p, 'stat'), 'latin1'); } catch { continue; }
    // Fields after the command (which may hold blanks and parentheses): state, ppid, …
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(Number(p));
  }
  const out: number[] = [];
  const walk = (q: number): void => { out.push(q); for (const c of children.get(q) ?? []) walk(c); };
  walk(pid);
  return out;
}
