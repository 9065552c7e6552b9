// Errors of the checkpoint API. Each has a stable `code`; messages say what was wrong and what
// to do. Every rank throws the same error for the same mistake (the state machine and all
// agreement steps are identical on every rank), so no rank runs ahead into a collective.
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
} as const;
