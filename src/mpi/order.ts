// Keeps MPI posting order equal to JS call order on one communicator.
// Single-step operations post synchronously. A multi-step one (sizes first, then data) posts its
// second step later, so operations called after it wait until its last step is posted; otherwise
// two ranks could post them in different orders and mismatch collectives.
const noop = (): void => {};

export class PostOrder {
  #tail: Promise<void> | null = null;

  /** Posts `fn` now, or after everything called before it has posted. */
  post<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#tail === null) return fn();
    let result!: Promise<T>;
    const posted = this.#tail.then(() => {
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
  staged<T>(body: (posted: () => void) => Promise<T>): Promise<T> {
    let mark!: () => void;
    const posted = new Promise<void>((r) => (mark = r));
    const prev = this.#tail;
    this.#advance(posted);
    const run = (): Promise<T> => {
      const p = body(mark);
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
