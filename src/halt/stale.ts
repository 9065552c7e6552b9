// What an earlier job left in the halt file, seen when a new job starts (scr prerun, and the run
// wrapper of scr srun / scr run / scr sim): the "finalize was called" marker and halt conditions.
// Unannounced, these stop the next job after one step (SCR's users trip on this: its issue #13).
//  - A finalize marker of another job id (or from a halt file that did not record the job id) is an
//    earlier job's: it does not stop this one, and the wrapper clears it, saying so.
//  - A finalize marker of this job id is a finished run of this same job (scr srun called twice
//    in one batch script, say): the wrapper does not launch again.
//  - A halt condition that holds now would stop the job at its first check: the wrapper does not
//    launch it (as SCR's scr_srun), and says which command clears it.
//  - Conditions set but not holding yet (e.g. 3 checkpoints left) are named, with their command.
import type { HaltContext } from './conditions.js';
import { haltReason, runShouldStop } from './conditions.js';
import { haltFilePath, type HaltRecord, readHalt, updateHalt } from './file.js';

export interface LeftCondition {
  /** The field, e.g. 'reason'. */
  key: keyof HaltRecord;
  /** What it says now: the halt reason if it holds, else a description. */
  what: string;
  holds: boolean;
  /** The command that removes it. */
  clear: string;
}

export interface LeftOver {
  path: string;
  /** The finalize marker: the job that set it (null: not recorded) and whether that is this job. */
  finalized?: { job: string | null; thisJob: boolean };
  conditions: LeftCondition[];
  /** The halt file could not be read (damaged): why. */
  unreadable?: string;
}

const UNSET: ReadonlyArray<readonly [keyof HaltRecord, string]> = [
  ['reason', '--unset-reason'], ['checkpointsLeft', '--unset-checkpoints'], ['exitAfter', '--unset-after'],
  ['exitBefore', '--unset-before'], ['seconds', '--unset-seconds'],
];

const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** `scr halt <opt> --prefix <prefix>`. */
export function clearCommand(prefix: string, option: string): string {
  return `scr halt ${option} --prefix ${quote(prefix)}`;
}

/** What the halt file of `prefix` holds, seen by job `jobId` at its start. The conditions are
 * evaluated without the allocation's end (that is this job's own, not a leftover). */
export async function leftOver(prefix: string, jobId: string, haltSeconds: number, now = Date.now() / 1000): Promise<LeftOver> {
  const path = haltFilePath(prefix);
  let h: HaltRecord;
  try {
    h = await readHalt(prefix);
  } catch (e) {
    return { path, conditions: [], unreadable: (e as Error).message };
  }
  const out: LeftOver = { path, conditions: [] };
  if (h.finalized) {
    const job = h.finalizedJob ?? null;
    out.finalized = { job, thisJob: job !== null && job === jobId };
  }
  const ctx: HaltContext = { now, endTime: null, haltSeconds };
  for (const [key, option] of UNSET) {
    const v = h[key];
    if (v === undefined || (key === 'reason' && v === '')) continue;
    // Each condition on its own (with the record's margin), so every one that holds is named.
    const alone: HaltRecord = key === 'exitBefore' ? { exitBefore: h.exitBefore, seconds: h.seconds } : { [key]: v };
    const holds = key === 'seconds' ? null : haltReason(alone, ctx);
    const what = holds ?? describe(key, v);
    out.conditions.push({ key, what, holds: holds !== null, clear: clearCommand(prefix, option) });
  }
  return out;
}

function describe(key: keyof HaltRecord, v: unknown): string {
  const iso = (t: number) => new Date(Math.floor(t) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  switch (key) {
    case 'checkpointsLeft': return `halt after ${String(v)} more checkpoint(s)`;
    case 'exitAfter': return `halt after ${iso(v as number)}`;
    case 'exitBefore': return `halt before ${iso(v as number)}`;
    case 'seconds': return `halt when fewer than ${String(v)} s of the allocation remain (overrides SCR_HALT_SECONDS)`;
    default: return `${key} = ${JSON.stringify(v)}`;
  }
}

/** Lines announcing `l` for job `jobId` (empty when the halt file holds nothing of an earlier job).
 * `clears`: the caller (a run wrapper) clears an earlier job's finalize marker and does not launch
 * when a condition holds; otherwise (scr prerun) it says that the wrapper will. */
export function announce(l: LeftOver, prefix: string, jobId: string, clears: boolean): string[] {
  const lines: string[] = [];
  if (l.unreadable) lines.push(`warning: ${l.unreadable}`);
  const removeAll = clearCommand(prefix, '--remove');
  if (l.finalized && !l.finalized.thisJob) {
    const who = l.finalized.job === null ? 'an earlier job (its id was not recorded)' : `job ${l.finalized.job}, an earlier job`;
    lines.push(`${l.path} holds the "finalize was called" marker of ${who}: it does not stop job ${jobId}` +
      (clears ? '; cleared' : ' (scr srun / scr run / scr sim clear it when they start)'));
  } else if (l.finalized) {
    lines.push(`job ${jobId} already finished in this prefix (its finalize was called; ${l.path}): ` +
      `${clears ? 'not launching it again' : 'scr srun / scr run do not launch it again'}; to run it again, clear the marker: ${removeAll}`);
  }
  const holding = l.conditions.filter((c) => c.holds);
  for (const c of holding) {
    lines.push(`a halt condition left in ${l.path} holds: ${c.what}; the job would stop at its first check, so ` +
      `${clears ? 'it is not launched' : 'scr srun / scr run / scr sim do not launch it'}. Clear it: ${c.clear}`);
  }
  for (const c of l.conditions.filter((x) => !x.holds)) {
    lines.push(`note: a halt condition is set in ${l.path}: ${c.what} (clear it: ${c.clear})`);
  }
  if (holding.length > 1) lines.push(`clear every condition at once: ${removeAll}`);
  return lines;
}

/**
 * The run wrapper's start (first thing in the run loop): announces what an earlier job left,
 * clears another job's finalize marker, and resolves to why the job must not be launched at all
 * (this job already finished, or a halt condition holds), or null to go on.
 */
export async function startJob(prefix: string, jobId: string, haltSeconds: number, say: (line: string) => void): Promise<{ finalized: boolean; reason: string } | null> {
  const l = await leftOver(prefix, jobId, haltSeconds);
  for (const line of announce(l, prefix, jobId, true)) say(line);
  if (l.finalized && !l.finalized.thisJob) {
    // Under the lock, and only if it is still that other job's marker.
    await updateHalt(prefix, (h) => (h.finalized && h.finalizedJob !== jobId ? { ...h, finalized: undefined, finalizedJob: undefined } : undefined));
  }
  if (l.finalized?.thisJob) return { finalized: true, reason: 'finalize was called: the job finished' };
  if (l.conditions.some((c) => c.holds)) {
    const h = await readHalt(prefix).catch(() => ({}));
    const stop = runShouldStop(h, { now: Date.now() / 1000, endTime: null, haltSeconds });
    if (stop) return { finalized: false, reason: stop };
  }
  return null;
}
