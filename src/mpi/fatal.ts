// Ending the job from one rank with a message the launcher gets to show.
import { writeSync } from 'node:fs';

/** Gives the launcher a moment to forward what this rank just wrote before MPI_Abort tears the
 * job down (MPICH's Hydra sometimes lost the message naming the failing rank). Failure paths only. */
export function pauseForOutput(ms = 100): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Writes `[rank R] message` to stderr (synchronously), waits for the launcher, then aborts. */
export function abortWithMessage(rank: number | string, message: string, abort: (code: number) => never, code = 1): never {
  try {
    writeSync(2, `[rank ${rank}] ${message}\n`);
  } catch {
    // stderr closed: abort anyway
  }
  pauseForOutput();
  return abort(code);
}
