// Halt conditions: given the halt file's record, the time and the allocation's end, whether the job
// should stop, and why. Pure functions; rank 0 of the library evaluates them in needCheckpoint,
// completeOutput and shouldExit and broadcasts the answer, and the run wrapper (no MPI) uses
// runShouldStop to decide whether to relaunch. Times are epoch seconds.
import type { HaltRecord } from './file.js';

export interface HaltContext {
  /** The current time, epoch seconds. */
  now: number;
  /** End of the allocation (SCR_END_TIME), epoch seconds; null, or ≤ 0, when unknown or unlimited. */
  endTime: number | null;
  /** SCR_HALT_SECONDS: the margin before the allocation's end (and before exitBefore); 0 = off. */
  haltSeconds: number;
}

/**
 * The first halt condition that holds, as a sentence for logs and messages, or null. In order:
 *  1. a non-empty `reason`                       → "halt requested: <reason>"
 *  2. `checkpointsLeft` is 0                      → "checkpoints left reached 0"
 *  3. now ≥ `exitAfter`                           → "exit-after time <ISO> passed"
 *  4. now + seconds ≥ `exitBefore`                → "exit-before time <ISO> is within <s> s" (or "passed")
 *  5. endTime known, seconds > 0, endTime − now < seconds
 *                                                → "allocation ends in <n> s (< <s> s)" (or "passed")
 * where seconds = halt.seconds ?? ctx.haltSeconds. The finalized marker is not a condition here.
 */
export function haltReason(halt: HaltRecord, ctx: HaltContext): string | null {
  if (halt.reason) return `halt requested: ${halt.reason}`;
  if (halt.checkpointsLeft !== undefined && halt.checkpointsLeft <= 0) return 'checkpoints left reached 0';
  if (halt.exitAfter !== undefined && ctx.now >= halt.exitAfter) return `exit-after time ${iso(halt.exitAfter)} passed`;
  const seconds = halt.seconds ?? ctx.haltSeconds;
  if (halt.exitBefore !== undefined && ctx.now + seconds >= halt.exitBefore) {
    return ctx.now >= halt.exitBefore
      ? `exit-before time ${iso(halt.exitBefore)} passed`
      : `exit-before time ${iso(halt.exitBefore)} is within ${seconds} s`;
  }
  if (ctx.endTime !== null && ctx.endTime > 0 && seconds > 0) {
    const left = ctx.endTime - ctx.now;
    if (left < seconds) {
      return left <= 0
        ? `allocation end time ${iso(ctx.endTime)} passed`
        : `allocation ends in ${Math.floor(left)} s (< ${seconds} s)`;
    }
  }
  return null;
}

/** For the run wrapper: why it should not relaunch the job, or null. The finalized marker first
 * ("finalize was called: the job finished"), then any {@link haltReason}. */
export function runShouldStop(halt: HaltRecord, ctx: HaltContext): string | null {
  if (halt.finalized) return 'finalize was called: the job finished';
  return haltReason(halt, ctx);
}

/** The record after one more completed checkpoint: checkpointsLeft decremented, never below 0
 * (absent stays absent). Does not modify `halt`. Use as `updateHalt(prefix, afterCheckpoint)`. */
export function afterCheckpoint(halt: HaltRecord): HaltRecord {
  if (halt.checkpointsLeft === undefined) return { ...halt };
  return { ...halt, checkpointsLeft: Math.max(0, halt.checkpointsLeft - 1) };
}

/** Epoch seconds as "2026-11-22T01:00:00Z" (whole seconds); the number itself if out of range. */
function iso(t: number): string {
  const d = new Date(Math.floor(t) * 1000);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
