// Keeps MPI posting order equal to JS call order on one communicator.
// Single-step operations post synchronously. A multi-step one (sizes first, then data) posts its
// second step later, so operations called after it wait until its last step is posted; otherwise
// two ranks could post them in different orders and mismatch collectives.
// It also knows which calls have not been posted yet, so a blocking call (allreduceSync), which
// cannot wait for JavaScript to post them, can refuse to overtake them.
const noop = (): void => {};

export class PostOrder {
  #tail: Promise<void> | null = null;
  /** Calls not yet posted to MPI, oldest first (a Set keeps insertion order). */
  readonly #unposted = new Set<{ what: string }>();

  /** The name of the oldest call that has not been posted to MPI yet, or null when all have. */
  get firstUnposted(): string | null {
    for (const e of this.#unposted) return e.what;
    return null;
  }

  /** Posts `fn` now, or after everything called before it has posted. */
  post<T>(fn: () => Promise<T>, what = 'an operation'): Promise<T> {
    if (this.#tail === null) return fn();
    const entry = { what };
    this.#unposted.add(entry);
    let result!: Promise<T>;
    const posted = this.#tail.then(() => {
      this.#unposted.delete(entry);
      try {
        result = fn();
      } catch (e) {
        result = Promise.reject(e);
      }
    });
    this.#advance(posted);
    return posted.then(() => result);
  }

  /** Runs a multi-step `body`, which calls `posted()` once its last step is posted. */
  staged<T>(body: (posted: () => void) => Promise<T>, what = 'a multi-step operation'): Promise<T> {
    const entry = { what };
    this.#unposted.add(entry);
    let resolve!: () => void;
    const posted = new Promise<void>((r) => (resolve = r));
    const mark = (): void => {
      this.#unposted.delete(entry);
      resolve();
    };
    const prev = this.#tail;
    this.#advance(posted);
    const run = (): Promise<T> => {
      let p: Promise<T>;
      try {
        p = body(mark);
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(mark, mark);
      return p;
    };
    return prev === null ? run() : prev.then(run);
  }

  #advance(posted: Promise<void>): void {
    this.#tail = posted;
    posted.then(() => {
      if (this.#tail === posted) this.#tail = null;
    }, noop);
  }
}
