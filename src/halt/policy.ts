// When needCheckpoint() says yes, apart from halt conditions (the library ORs haltReason in):
// SCR_CHECKPOINT_INTERVAL / SECONDS / OVERHEAD, as SCR_Need_checkpoint decides, plus the
// "checkpoint now" request counter of the halt file. Rank 0 keeps one CheckpointPolicy, calls need()
// once per needCheckpoint() call, and brackets each checkpoint (not output-only datasets, as SCR)
// with checkpointStarted()/checkpointCompleted(). The clock is injectable (seconds; default a
// monotonic clock, so wall-clock jumps do not fire or starve the time rules).
import { performance } from 'node:perf_hooks';

export interface PolicyOptions {
  /** SCR_CHECKPOINT_INTERVAL: yes on every N-th need() call; 0 = off. */
  interval?: number;
  /** SCR_CHECKPOINT_SECONDS: yes once N seconds have passed since the last checkpoint ended; 0 = off. */
  seconds?: number;
  /** SCR_CHECKPOINT_OVERHEAD: yes while checkpointing now keeps the cost within P percent; 0 = off. */
  overhead?: number;
  /** The clock, in seconds. Default: performance.now() / 1000. */
  now?: () => number;
  /** The halt file's checkpointNow counter when the job started: requests made before are not
   * served (pass `(await readHalt(prefix)).checkpointNow ?? 0` at init). Default 0. */
  checkpointNowSeen?: number;
}

export class CheckpointPolicy {
  readonly interval: number;
  readonly seconds: number;
  readonly overhead: number;
  readonly #now: () => number;
  #calls = 0;
  #lastEnd: number;
  #startedAt: number | null = null;
  #totalCost = 0;
  #count = 0;
  #seen: number;
  #pending = false;
  #lastReason: string | null = null;

  constructor(opts: PolicyOptions = {}) {
    this.interval = check('interval', opts.interval ?? 0, Number.isSafeInteger);
    this.seconds = check('seconds', opts.seconds ?? 0, Number.isFinite);
    this.overhead = check('overhead', opts.overhead ?? 0, (v) => Number.isFinite(v) && v <= 100);
    this.#seen = check('checkpointNowSeen', opts.checkpointNowSeen ?? 0, Number.isSafeInteger);
    this.#now = opts.now ?? (() => performance.now() / 1000);
    // As SCR_Init: the time rules count from the policy's creation until the first checkpoint.
    this.#lastEnd = this.#now();
  }

  /** Why the last need() said yes (for logs), or null if it said no. */
  get lastReason(): string | null {
    return this.#lastReason;
  }

  /** Records the halt file's checkpointNow counter. A larger value than the last seen is a new
   * request (served once, however much it grew): returns true. A smaller one means the counter was
   * reset (the file was removed): it is taken as the new base, without a checkpoint. */
  request(counter: number): boolean {
    check('checkpointNow', counter, Number.isSafeInteger);
    const fresh = counter > this.#seen;
    if (fresh) this.#pending = true;
    this.#seen = counter;
    return fresh;
  }

  /** One needCheckpoint() call: true if any rule says to checkpoint now. Rules, in order:
   *  - checkpoint now: a request (via `checkpointNow` or request()) not yet served;
   *  - none of interval/seconds/overhead set: always true (SCR);
   *  - interval N: this is the N-th, 2N-th, … call since the policy was created (checkpoints do not
   *    reset the count, as SCR);
   *  - seconds S: at least S seconds since the last checkpoint ended (or the policy was created);
   *  - overhead P: no checkpoint timed yet (one is needed to learn the cost), or
   *    avg / (since + avg) × 100 ≤ P, where avg is the mean duration of the checkpoints so far and
   *    since the time since the last one ended: checkpointing now keeps the cost within P percent.
   * A yes serves any pending request. */
  need(opts: { checkpointNow?: number } = {}): boolean {
    this.#calls++;
    if (opts.checkpointNow !== undefined) this.request(opts.checkpointNow);
    this.#lastReason = this.#decide();
    if (this.#lastReason !== null) this.#pending = false;
    return this.#lastReason !== null;
  }

  /** A checkpoint begins: starts its timer, and serves any pending request. */
  checkpointStarted(): void {
    this.#startedAt = this.#now();
    this.#pending = false;
  }

  /** The checkpoint begun by checkpointStarted() ended (valid or not, as SCR): records its duration
   * (0 if the clock went backwards) and restarts the seconds/overhead clocks. */
  checkpointCompleted(): void {
    if (this.#startedAt === null) throw new Error('CheckpointPolicy: checkpointCompleted() called without checkpointStarted()');
    const end = this.#now();
    this.#totalCost += Math.max(0, end - this.#startedAt);
    this.#count++;
    this.#lastEnd = end;
    this.#startedAt = null;
  }

  #decide(): string | null {
    if (this.#pending) return 'checkpoint requested (scr halt --checkpoint-now)';
    if (this.interval === 0 && this.seconds === 0 && this.overhead === 0) return 'no checkpoint policy set: always';
    if (this.interval > 0 && this.#calls % this.interval === 0) {
      return `call ${this.#calls} is a multiple of SCR_CHECKPOINT_INTERVAL=${this.interval}`;
    }
    const since = Math.max(0, this.#now() - this.#lastEnd);
    if (this.seconds > 0 && since >= this.seconds) {
      return `${round(since)} s since the last checkpoint (SCR_CHECKPOINT_SECONDS=${this.seconds})`;
    }
    if (this.overhead > 0) {
      if (this.#count === 0) return `no checkpoint timed yet (SCR_CHECKPOINT_OVERHEAD=${this.overhead}%)`;
      const avg = this.#totalCost / this.#count;
      const percent = avg === 0 ? 0 : (avg / (since + avg)) * 100;
      if (percent <= this.overhead) {
        return `a checkpoint now costs ${round(percent)}% of the time (SCR_CHECKPOINT_OVERHEAD=${this.overhead}%)`;
      }
    }
    return null;
  }
}

function check(name: string, v: number, ok: (v: number) => boolean): number {
  if (typeof v !== 'number' || !ok(v) || v < 0) throw new RangeError(`CheckpointPolicy: ${name} must be a non-negative ${name === 'overhead' ? 'percentage up to 100' : 'number'}, not ${v}`);
  return v;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
