// MPI thread levels: which ones the binding can run at, and the messages when it cannot.
// The binding's progress thread (completing requests) and helper thread (split/dup/free) call MPI,
// so it needs SERIALIZED (it then serialises every MPI call with a lock) or MULTIPLE.
export type ThreadLevel = 'SINGLE' | 'FUNNELED' | 'SERIALIZED' | 'MULTIPLE';

/** The levels `mpi.init({ threadLevel })` accepts. */
export type UsableThreadLevel = 'SERIALIZED' | 'MULTIPLE';

export interface InitOptions {
  /** The thread level to ask MPI for; default 'MULTIPLE'. 'SINGLE' and 'FUNNELED' are refused. */
  threadLevel?: UsableThreadLevel;
}

const WHY_NOT: Record<'SINGLE' | 'FUNNELED', string> = {
  SINGLE: 'SINGLE promises MPI that the process has no other threads',
  FUNNELED: 'FUNNELED allows MPI calls only from the thread that initialised MPI',
};

export function isUsable(level: string): level is UsableThreadLevel {
  return level === 'SERIALIZED' || level === 'MULTIPLE';
}

/** The level to request, from `init`'s options; throws before anything reaches MPI. */
export function requestedLevel(options: unknown): UsableThreadLevel {
  if (options === undefined) return 'MULTIPLE';
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`mpi.init(): options must be an object such as { threadLevel: 'MULTIPLE' }, got ${options === null ? 'null' : typeof options}`);
  }
  const level = (options as { threadLevel?: unknown }).threadLevel;
  if (level === undefined) return 'MULTIPLE';
  if (level === 'SINGLE' || level === 'FUNNELED') {
    throw new RangeError(`mpi.init(): thread level ${level} cannot be used: the binding's progress and helper threads ` +
      `call MPI, and ${WHY_NOT[level]}. Ask for 'SERIALIZED' or 'MULTIPLE', or leave threadLevel out (MULTIPLE).`);
  }
  if (typeof level !== 'string' || !isUsable(level)) {
    throw new TypeError(`mpi.init(): options.threadLevel must be 'SERIALIZED' or 'MULTIPLE', got ${typeof level === 'string' ? `'${level}'` : typeof level}`);
  }
  return level;
}

/** What a rank prints before aborting when MPI provides less than SERIALIZED. */
export function providedTooLowMessage(requested: UsableThreadLevel, provided: string): string {
  return `mpi.init(): asked MPI for thread level ${requested} but it provides ${provided}; the binding needs at least ` +
    `SERIALIZED because its progress and helper threads call MPI. Use an MPI built with thread support (Debian's ` +
    `Open MPI and MPICH provide MULTIPLE), or, if another library initialised MPI first, have it ask for ` +
    `MPI_THREAD_SERIALIZED or higher. Aborting the job so that no rank waits for this one.`;
}
