// Errors of the checkpoint API. Each has a stable `code`; messages say what was wrong and what
// to do. A state error is the same on every rank (every rank makes the same calls); after a step
// that can fail locally, the ranks agree (agree.ts) and all throw: the failing rank its own
// error, the others a summary naming it. So no rank runs ahead into a collective.
export { ScrConfigError } from '../config/errors.js';

export class ScrError extends Error {
  constructor(message: string, readonly code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScrError';
  }
}

/** A call made in the wrong state, e.g. "completeOutput() must come before needCheckpoint()". */
export class ScrStateError extends ScrError {
  constructor(message: string) {
    super(message, 'ERR_SCR_STATE');
    this.name = 'ScrStateError';
  }
}

export const CODES = {
  STATE: 'ERR_SCR_STATE',
  /** routeFile() got a path outside SCR_PREFIX. */
  ROUTE: 'ERR_SCR_ROUTE',
  /** Two files of one dataset on one rank share a basename. */
  DUPLICATE: 'ERR_SCR_DUPLICATE_FILE',
  /** Ranks passed different names or flags to a collective call. */
  MISMATCH: 'ERR_SCR_MISMATCH',
  /** routeFile() in a restart asked for a file this rank does not have. */
  NO_FILE: 'ERR_SCR_NO_SUCH_FILE',
  /** Bad arguments (types, flags). */
  ARGUMENT: 'ERR_SCR_ARGUMENT',
  /** Another rank failed in a step all ranks had to agree on. */
  REMOTE: 'ERR_SCR_REMOTE',
  /** Local I/O or setup failed. */
  IO: 'ERR_SCR_IO',
  /** A cache store or the file system had no room (ENOSPC, EDQUOT). */
  NO_SPACE: 'ERR_SCR_NO_SPACE',
} as const;

/** Marks an error that every rank of the job throws alike (agreed across the ranks, as init()'s
 * configuration and directory errors are): uncaught, it is reported once, by rank 0, as
 * `scr: <headline>: <line>` for each line of its message, without a stack, and every rank
 * finalizes MPI and exits with `exitCode` instead of aborting the job (src/mpi/runtime.ts). The
 * marks are not enumerable; the error's class, code and message stay as they were. */
export function sameOnEveryRank<E>(e: E, exitCode: number, headline: string): E {
  if (e === null || typeof e !== 'object' || !(e instanceof Error)) return e;
  const report = e.message.split('\n').map((l) => `${headline}: ${l}`).join('\n');
  for (const [key, value] of Object.entries({ allRanks: true, exitCode, report })) {
    Object.defineProperty(e, key, { value, enumerable: false, configurable: true, writable: true });
  }
  return e;
}
