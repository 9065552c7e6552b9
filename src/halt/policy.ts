// When needCheckpoint() says yes, apart from halt conditions (the library ORs haltReason in):
// SCR_CHECKPOINT_INTERVAL / SECONDS / OVERHEAD, as SCR_Need_checkpoint decides, plus the
// "checkpoint now" request counter of the halt file and SCR_CHECKPOINT_SECONDS=auto (Daly's
// optimal interval for the checkpoint cost measured so far and SCR_MTBF). Rank 0 keeps one CheckpointPolicy, calls need()
// once per needCheckpoint() call, and brackets each checkpoint (not output-only datasets, as SCR)
// with checkpointStarted()/checkpointCompleted(). The clock is injectable (seconds; default a
// monotonic clock, so wall-clock jumps do not fire or starve the time rules).
import { performance } from 'node:perf_hooks';
import { dalyInterval } from '../advice/index.js';

/** The MTBF `auto` assumes when SCR_MTBF is unset: 24 h, until the job's failure history is used. */
export const DEFAULT_MTBF = 24 * 3600;

export interface PolicyOptions {
  /** SCR_CHECKPOINT_INTERVAL: yes on every N-th need() call; 0 = off. */
  interval?: number;
  /** SCR_CHECKPOINT_SECONDS: yes once N seconds have passed since the last checkpoint ended; 0 = off;
   * 'auto': N is Daly's optimal interval for the mean checkpoint duration so far and `mtbf`. */
  seconds?: number | 'auto';
  /** The mean time between failures, in seconds, that 'auto' assumes (SCR_MTBF, or the one the
   * job's history shows); default DEFAULT_MTBF. */
  mtbf?: number | null;
  /** Where `mtbf` comes from, for the reason (default: "SCR_MTBF=<mtbf> s"). */
  mtbfSource?: string;
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
  readonly seconds: number | 'auto';
  /** The MTBF 'auto' uses, and whether it came from SCR_MTBF (else it is DEFAULT_MTBF). */
  readonly mtbf: number;
  readonly mtbfGiven: boolean;
  readonly #mtbfSource: string | undefined;
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
    this.seconds = opts.seconds === 'auto' ? 'auto' : check('seconds', opts.seconds ?? 0, Number.isFinite, "non-negative number or 'auto'");
    this.mtbfGiven = opts.mtbf !== undefined && opts.mtbf !== null;
    this.mtbf = this.mtbfGiven ? check('mtbf', opts.mtbf!, (v) => Number.isFinite(v) && v > 0, 'positive number of seconds') : DEFAULT_MTBF;
    this.#mtbfSource = opts.mtbfSource;
    this.overhead = check('overhead', opts.overhead ?? 0, (v) => Number.isFinite(v) && v <= 100, 'non-negative percentage up to 100');
    this.#seen = check('checkpointNowSeen', opts.checkpointNowSeen ?? 0, Number.isSafeInteger);
    this.#now = opts.now ?? (() => performance.now() / 1000);
    // As SCR_Init: the time rules count from the policy's creation until the first checkpoint.
    this.#lastEnd = this.#now();
  }

  /** Why the last need() said yes (for logs), or null if it said no. */
  get lastReason(): string | null {
    return this.#lastReason;
  }

  /** The interval 'auto' follows now (Daly's, from the mean checkpoint duration so far), or null
   * before a checkpoint has been timed or when SCR_CHECKPOINT_SECONDS is not 'auto'. */
  get advisedInterval(): number | null {
    if (this.seconds !== 'auto' || this.#count === 0) return null;
    return dalyInterval(this.#totalCost / this.#count, this.mtbf);
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
   *  - seconds 'auto': no checkpoint timed yet (one is needed to learn the cost), or at least
   *    advisedInterval seconds since the last checkpoint ended;
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
    if (this.seconds === 'auto') {
      const advised = this.advisedInterval;
      if (advised === null) return 'no checkpoint timed yet (SCR_CHECKPOINT_SECONDS=auto)';
      if (since >= advised) {
        const mtbf = !this.mtbfGiven ? `an MTBF of ${this.mtbf} s (24 h, assumed: SCR_MTBF is unset)` : this.#mtbfSource ?? `SCR_MTBF=${this.mtbf} s`;
        return `${round(since)} s since the last checkpoint reached the advised interval of ${round(advised)} s ` +
          `(SCR_CHECKPOINT_SECONDS=auto: Daly's optimum for a mean checkpoint cost of ${round(this.#totalCost / this.#count)} s ` +
          `over ${this.#count} checkpoint${this.#count === 1 ? '' : 's'} and ${mtbf})`;
      }
    } else if (this.seconds > 0 && since >= this.seconds) {
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

function check(name: string, v: number, ok: (v: number) => boolean, what = 'non-negative number'): number {
  if (typeof v !== 'number' || !ok(v) || v < 0) throw new RangeError(`CheckpointPolicy: ${name} must be a ${what}, not ${v}`);
  return v;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
