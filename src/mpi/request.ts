// A pending nonblocking operation. It holds its buffer (the native side keeps a reference
// until MPI is done with it), so dropping the Request early cannot free memory MPI writes to.
export interface Status {
  /** Rank that sent the message. */
  source: number;
  /** Tag it carried. */
  tag: number;
  /** Bytes received. */
  count: number;
}

export class Request<T = Status | void> {
  #done = false;
  #error: unknown = undefined;
  #value: T | undefined;
  readonly #promise: Promise<T>;

  constructor(promise: Promise<T>) {
    this.#promise = promise.then(
      (v) => { this.#done = true; this.#value = v; return v; },
      (e) => { this.#done = true; this.#error = e; throw e; },
    );
    // Errors surface at wait() or test(); an unawaited request must not crash the process.
    this.#promise.catch(() => {});
  }

  /** Resolves when the operation completes (to a Status for receives). */
  wait(): Promise<T> {
    return this.#promise;
  }

  /** Whether it has completed: the result if so (throws its error if it failed), else undefined. */
  test(): { value: T } | undefined {
    if (!this.#done) return undefined;
    if (this.#error !== undefined) throw this.#error;
    return { value: this.#value as T };
  }

  get done(): boolean {
    return this.#done;
  }

  static waitAll<T>(requests: Request<T>[]): Promise<T[]> {
    return Promise.all(requests.map((r) => r.wait()));
  }
}
