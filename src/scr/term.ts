// SIGTERM as a halt condition (SCR_HALT_ON_TERM, default on). scancel and Slurm preemption send
// SIGTERM to every task of the job step, then SIGKILL after KillWait (GraceTime for preemption).
// Node's default action for SIGTERM ends the process at once, and every checkpoint that was only
// in cache is lost with the allocation. So from init() to finalize() the library holds SIGTERM:
//  - the handler only records the time (a flush is collective, so it cannot run in a handler that
//    fires on each rank at its own moment);
//  - the next collective call every rank makes (needCheckpoint, shouldExit, completeOutput,
//    finalize) agrees across the ranks that a SIGTERM arrived (library.ts, open.ts): shouldExit()
//    turns true, needCheckpoint() says a checkpoint is due until one completes, and the newest
//    checkpoint that is only in cache is flushed synchronously, whatever SCR_FLUSH says;
//  - the signal is not lost: after finalize() the process gets FINALIZE_GRACE_MS to exit by
//    itself, and then ends by SIGTERM as the default action would have; an application that makes
//    no scr call for SCR_HALT_ON_TERM_IDLE seconds after the signal (outside an output or restart phase, and outside
//    a call) is ended by SIGTERM the same way, keeping what is on the file system by then.
// Further SIGTERMs are ignored while the library holds the signal (srun forwards the one slurmd
// already delivered, so each task often gets two). SIGKILL always wins: what is not on the file
// system by then is lost, as before.

/** Seconds without an scr call, after a SIGTERM, before the process is ended by the signal
 * (SCR_HALT_ON_TERM_IDLE's default). */
export const IDLE_SECONDS = 30;
/** Milliseconds after finalize() (with a SIGTERM seen) before the process is ended by it. */
export const FINALIZE_GRACE_MS = 5000;

export class TermWatch {
  /** Epoch milliseconds of the first SIGTERM on this rank, or null. */
  #at: number | null = null;
  #inCall = 0;
  #lastCall = Date.now();
  #timer: NodeJS.Timeout | null = null;
  readonly #onSignal = (): void => this.#received();

  /**
   * @param busy whether the application is inside an output or restart phase (it is writing or
   *   reading a checkpoint: the idle clock does not run)
   * @param say prints the line explaining why the process ends (rank 0 only, by the caller)
   * @param idleSeconds seconds without an scr call, after the signal, before the process is ended
   */
  constructor(private readonly busy: () => boolean, private readonly say: (line: string) => void, private readonly idleSeconds = IDLE_SECONDS) {}

  install(): void {
    process.on('SIGTERM', this.#onSignal);
  }

  /** Epoch milliseconds of this rank's first SIGTERM, or null. */
  get at(): number | null {
    return this.#at;
  }

  /** An scr call begins. */
  enter(): void {
    this.#inCall++;
  }

  /** An scr call ends (resolved or rejected). */
  leave(): void {
    this.#inCall = Math.max(0, this.#inCall - 1);
    this.#lastCall = Date.now();
  }

  /** Stops holding SIGTERM: the default action (end the process) applies again. */
  remove(): void {
    process.off('SIGTERM', this.#onSignal);
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** After finalize(): gives the process FINALIZE_GRACE_MS to exit by itself, then ends it by
   * SIGTERM. The timer does not keep an otherwise finished process alive. */
  endSoon(): void {
    this.remove();
    setTimeout(() => raise(), FINALIZE_GRACE_MS).unref();
  }

  #received(): void {
    if (this.#at !== null) return;
    this.#at = Date.now();
    this.#lastCall = Math.max(this.#lastCall, this.#at);
    this.#timer = setInterval(() => {
      if (this.#inCall > 0 || this.busy()) { this.#lastCall = Date.now(); return; }
      if (Date.now() - this.#lastCall < this.idleSeconds * 1000) return;
      this.say(`SIGTERM ${Math.round((Date.now() - this.#at!) / 1000)} s ago and no scr call for ${this.idleSeconds} s since: ending the process by SIGTERM. ` +
        'Checkpoints already on the file system are kept; any only in cache are not flushed (call shouldExit() or needCheckpoint() regularly so a cancel can save them)');
      this.remove();
      raise();
    }, 1000);
    this.#timer.unref();
  }
}

/** Ends this process by SIGTERM (the handler must be removed first, so the default action runs). */
function raise(): void {
  process.kill(process.pid, 'SIGTERM');
}
