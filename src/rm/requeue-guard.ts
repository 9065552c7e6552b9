// When a job that ran out of time must not be requeued, and why (the wrapper's requeue guard):
//  - it made no progress: the newest checkpoint the prefix can restart from is the same as when
//    the wrapper started, so a requeued job would start again from the same point (and, halted
//    the same way, requeue itself forever, one start per requeue);
//  - its time limit is not longer than SCR_HALT_SECONDS: a requeued job would be halted for time
//    as soon as it starts.
import { fetchable, readIndex } from '../pfs/index.js';

export interface Newest { id: number; name: string }

/** The newest checkpoint in the prefix's index that a job can restart from; null when there is
 * none; undefined when the index cannot be read (then progress is not judged). */
export async function newestCheckpoint(prefix: string, warn: (line: string) => void): Promise<Newest | null | undefined> {
  try {
    const idx = await readIndex(prefix, (m) => warn(`warning: ${m}`));
    const best = Object.values(idx.datasets).filter((e) => fetchable(e)).sort((a, b) => b.id - a.id)[0];
    return best ? { id: best.id, name: best.name } : null;
  } catch (e) {
    warn(`warning: could not read the index of ${prefix} (${(e as Error).message}): the requeue guard cannot tell whether the job made progress`);
    return undefined;
  }
}

export interface GuardInput {
  prefix: string;
  /** SCR_HALT_SECONDS. */
  haltSeconds: number;
  /** The job's time limit in seconds; null when unlimited or unknown. */
  timeLimit: number | null;
  /** The newest restartable checkpoint when the wrapper started, and after the scavenge. */
  before: Newest | null | undefined;
  after: Newest | null | undefined;
}

/** Why the job must not be requeued (empty: it may be). */
export function requeueBlockers(g: GuardInput): string[] {
  const why: string[] = [];
  if (g.timeLimit !== null && g.haltSeconds > 0 && g.timeLimit <= g.haltSeconds) {
    why.push(`its time limit (${g.timeLimit} s) is not longer than SCR_HALT_SECONDS=${g.haltSeconds}, so a requeued job would be halted ` +
      'as soon as it starts: give the job more time (sbatch --time) or lower SCR_HALT_SECONDS');
  }
  if (g.before !== undefined && g.after !== undefined && (g.after?.id ?? -1) <= (g.before?.id ?? -1)) {
    why.push(`it made no progress: no new checkpoint reached ${g.prefix} since it started (newest: ${g.after ? g.after.name : 'none'}), ` +
      'so a requeued job would start again from the same point; check why it did not checkpoint (its output, the event log ' +
      `${g.prefix}/.scr/log), then resubmit it`);
  }
  return why;
}
