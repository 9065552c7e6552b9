// One initialised instance of the checkpoint library (SPEC §2): the state machine and the
// arguments of every call. Each collective call checks its arguments on every rank and agrees on
// them before any other collective, so a bad argument on one rank is the same error on all and
// no rank waits forever. The work is done by the engines: open.ts (init, finalize), output.ts,
// restart.ts, named.ts, over a Session. The public functions in src/api.ts delegate here.
import type { DatasetRecord } from '../cache/records.js';
import { type ConfigQuery, answerQuery, applyConfigString, Layer, layerToText } from '../config/config-string.js';
import { loadConfig, type ResolvedConfig } from '../config/resolve.js';
import { afterCheckpoint, readHalt, updateHalt } from '../halt/index.js';
import { counter } from '../common/count.js';
import { Comm, mpi } from '../mpi/index.js';
import { agreeKeepingMine } from './agree.js';
import { CODES, sameOnEveryRank, ScrError, ScrStateError } from './errors.js';
import { firstDiffering, sameEverywhere } from './same-value.js';
import { logEvent } from './log.js';
import { current, forget } from './named.js';
import { closeSession, openSession } from './open.js';
import { freeEncodeComms, kickEncode, settleEncode } from './encode-async.js';
import { completeOutput, evictDeferred, newRecord, type OutputPhase, type OutputStats, routeOutput, startOutput } from './output.js';
import type { RestoreTiming } from './restore.js';
import { completeRestart, haveRestart, type Offer, type RestartPhase, routeRestart, startRestart } from './restart.js';
import type { Session } from './session.js';
import { StateMachine } from './state.js';
import { TermWatch } from './term.js';

export type { OutputStats } from './output.js';

export const FLAG_NONE = 0;
export const FLAG_CHECKPOINT = 1;
export const FLAG_OUTPUT = 2;

export interface InitOptions {
  /** The communicator of the job (default: MPI world). */
  comm?: Comm;
}

const describe = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'undefined' : typeof v === 'object' ? (v === null ? 'null' : 'an object') : String(v));

export class ScrLibrary {
  readonly #sm = new StateMachine();
  readonly #appLayer = new Layer('config()');
  /** The job's communicator (also when scr is disabled). */
  #comm: Comm | null = null;
  /** null when scr is disabled (SCR_ENABLE=0) or not initialised. */
  #s: Session | null = null;
  #output: OutputPhase | null = null;
  #offer: Offer | null = null;
  #restart: RestartPhase | null = null;
  #stats: OutputStats | null = null;
  #restoreStats: RestoreTiming[] = [];

  get lastOutputStats(): OutputStats | null {
    return this.#stats;
  }

  /** What the last init() moved and rebuilt, per dataset, with the seconds it took. */
  get restoreStats(): RestoreTiming[] {
    return this.#restoreStats;
  }

  /** Completes a background encode (SCR_ENCODE_ASYNC=1) first thing in every collective call
   * made in the idle state (encode-async.ts). */
  async #settle(): Promise<void> {
    if (this.#s) await settleEncode(this.#s, evictDeferred);
  }

  // ---- arguments, agreed ----
  /** Every rank learns whether any rank's argument was bad (that rank's error, or a summary). */
  async #agreeArgs(call: string, err: ScrError | null): Promise<void> {
    await agreeKeepingMine(this.#comm!, `${call}: checking the arguments`, err);
  }

  /** Every rank passed the same value (after #agreeArgs); else a MISMATCH error on every rank. */
  async #agreeSame<T>(call: string, value: T, what: string, show: (v: T) => string = describe): Promise<void> {
    const comm = this.#comm!;
    if (await sameEverywhere(comm, value ?? null)) return;
    const { root, r, theirs } = await firstDiffering(comm, value ?? null);
    throw new ScrError(`${call}: every rank must pass the same ${what}; rank 0 passed ${show(root as T)} but rank ${r} passed ${show(theirs as T)}`, CODES.MISMATCH);
  }

  async #agreeName(call: string, name: unknown): Promise<void> {
    const bad = typeof name !== 'string' || name === '' ? new ScrError(`${call}: name must be a non-empty string, got ${describe(name)}`, CODES.ARGUMENT) : null;
    await this.#agreeArgs(call, bad);
    await this.#agreeSame(call, name, 'name');
  }

  async #agreeValid(call: string, valid: unknown): Promise<boolean> {
    const bad = typeof valid !== 'boolean' ? new ScrError(`${call}: valid must be true or false, got ${describe(valid)}`, CODES.ARGUMENT) : null;
    await this.#agreeArgs(call, bad);
    return valid as boolean;
  }

  // ---- config ----
  config(text: string): string | null {
    const probe = new Layer('config()');
    // Parse first on a scratch layer so a bad string changes nothing.
    for (const [k, v] of this.#appLayer.params) probe.params.set(k, v);
    probe.descriptors.push(...this.#appLayer.descriptors);
    const q: ConfigQuery | null = applyConfigString(probe, text);
    if (q) return answerQuery(this.#s?.ctx.cfg ?? loadConfig({ appLayer: this.#appLayer }), q);
    if (this.#sm.phase !== 'uninit') throw new ScrStateError(`config("${text}") sets a value, which must come before init()`);
    applyConfigString(this.#appLayer, text);
    return null;
  }

  // ---- init / finalize ----
  async init(opts: InitOptions = {}): Promise<void> {
    if (this.#sm.phase !== 'uninit') throw new ScrStateError('init() was already called; call finalize() before init() again');
    if (!mpi.initialized) mpi.init();
    const given = opts === null || typeof opts !== 'object' ? undefined : opts.comm;
    const badOpts = opts === null || typeof opts !== 'object' ? new ScrError(`init(): options must be an object such as { comm }, got ${describe(opts)}`, CODES.ARGUMENT)
      : given !== undefined && !(given instanceof Comm) ? new ScrError(`init(): options.comm must be a communicator (mpi.world, or one from split/dup), got ${describe(given)}`, CODES.ARGUMENT) : null;
    // A rank with bad options agrees over MPI world, as the others do unless they chose a comm.
    this.#comm = badOpts ? mpi.world : (given ?? mpi.world);
    await this.#agreeArgs('init()', badOpts);
    const comm = this.#comm;
    let cfg: ResolvedConfig | null = null;
    let cfgErr: unknown = null;
    try { cfg = loadConfig({ appLayer: this.#appLayer }); } catch (e) { cfgErr = e; }
    try {
      await agreeKeepingMine(comm, 'reading the configuration', cfgErr);
    } catch (e) {
      throw sameOnEveryRank(e, 2, 'init(): configuration error');
    }
    if (!cfg!.bool('SCR_ENABLE')) {
      this.#sm.phase = 'idle';
      return;
    }
    const appConf = this.#appLayer.params.size || this.#appLayer.descriptors.length ? layerToText(this.#appLayer) : null;
    // SIGTERM is held from here (term.ts), so a cancel during the restore is not lost either.
    const term = cfg!.bool('SCR_HALT_ON_TERM') ? new TermWatch(() => this.#sm.phase === 'output' || this.#sm.phase === 'restart', (l) => { if (comm.rank === 0) process.stderr.write(`scr: ${l}\n`); }, cfg!.int('SCR_HALT_ON_TERM_IDLE')) : null;
    term?.install();
    let opened: Awaited<ReturnType<typeof openSession>>;
    try {
      opened = await openSession(cfg!, comm, appConf);
    } catch (e) {
      term?.remove();
      throw e;
    }
    const { session, timings } = opened;
    // Every rank must hold SIGTERM alike, or the agreements in termAgreed() would not match.
    if (!(await comm.allreduce(term !== null, 'LAND'))) {
      if (term) session.ctx.warn('SCR_HALT_ON_TERM is 1 on some ranks and 0 on others: SIGTERM is left to the application on every rank');
      term?.remove();
    } else session.term = term;
    this.#s = session;
    this.#restoreStats = timings;
    this.#sm.phase = 'idle';
  }

  async finalize(): Promise<void> {
    this.#sm.expect('finalize()', 'idle');
    await this.#settle();
    if (this.#s) await freeEncodeComms(this.#s.ctx);
    const s = this.#s;
    this.#s = null;
    this.#offer = null;
    this.#sm.phase = 'uninit';
    if (!s) return;
    try {
      await closeSession(s);
    } finally {
      // A SIGTERM the ranks agreed on ends the process soon after finalize (term.ts), unless it
      // exits by itself first; without one, SIGTERM's default action applies again.
      // A SIGTERM that came during finalize itself (after the ranks agreed) is not lost either.
      if (s.termAt !== null || (s.term?.at ?? null) !== null) s.term?.endSoon();
      else s.term?.remove();
    }
  }

  /** Runs one scr call; the SIGTERM watch counts the time outside calls (term.ts). */
  async track<T>(call: () => Promise<T>, name = 'call'): Promise<T> {
    const term = this.#s?.term;
    term?.enter();
    const phase = counter.on ? counter.enter(name) : null; // SCR_COUNT_FILE
    try {
      return await call();
    } finally {
      term?.leave();
      if (phase !== null) counter.leave(phase);
    }
  }

  // ---- policies ----
  async needCheckpoint(): Promise<boolean> {
    this.#sm.expect('needCheckpoint()', 'idle');
    await this.#settle();
    const s = this.#s;
    if (!s) return true;
    await s.flushes.progress();
    // After a SIGTERM, a checkpoint is due until one completes (then the app should exit).
    const term = await s.termAgreed();
    let need = false;
    if (s.ctx.rank === 0) {
      const halt = await s.readHaltSafely();
      need = s.haltReason(halt) !== null || s.policy!.need({ checkpointNow: halt.checkpointNow ?? 0 });
      // Why the policy said yes (with SCR_CHECKPOINT_SECONDS=auto: the advised interval and its inputs).
      if (need && s.policy!.lastReason) s.ctx.debug(1, `needCheckpoint: yes: ${s.policy!.lastReason}`);
    }
    return (await s.ctx.comm.bcastObject(need, 0)) || (term && !s.termCheckpointed);
  }

  async shouldExit(): Promise<boolean> {
    this.#sm.expect('shouldExit()', 'idle');
    await this.#settle();
    const s = this.#s;
    if (!s) return false;
    await s.flushes.progress();
    const term = await s.termAgreed();
    let reason: string | null = null;
    if (s.ctx.rank === 0) reason = s.haltReason(await s.readHaltSafely());
    return (await s.ctx.comm.bcastObject(reason, 0)) !== null || term;
  }

  // ---- output ----
  async startOutput(name: string | null | undefined, flags: number): Promise<void> {
    const calledAt = performance.now();
    this.#sm.expect('startOutput()', 'idle');
    await this.#settle();
    let argErr: ScrError | null = null;
    if (name !== null && name !== undefined && (typeof name !== 'string' || name === '' || name.includes('/'))) {
      argErr = new ScrError(`startOutput(): name must be a non-empty string without '/', or null for the default, got ${describe(name)}`, CODES.ARGUMENT);
    } else if (!Number.isInteger(flags) || flags < 0 || (flags & ~(FLAG_CHECKPOINT | FLAG_OUTPUT)) !== 0) {
      argErr = new ScrError(`startOutput(): flags must combine FLAG_CHECKPOINT and FLAG_OUTPUT (or be FLAG_NONE), got ${String(flags)}`, CODES.ARGUMENT);
    }
    await this.#agreeArgs('startOutput()', argErr);
    await this.#agreeSame('startOutput()', { name: name ?? null, flags }, 'name and flags', (v) => `(${JSON.stringify(v.name)}, ${v.flags})`);
    this.#offer = null; // an output phase may evict what haveRestart offered
    const s = this.#s;
    const fl = { checkpoint: (flags & FLAG_CHECKPOINT) !== 0, output: (flags & FLAG_OUTPUT) !== 0 };
    if (!s) {
      this.#sm.phase = 'output'; // SCR_ENABLE=0: routeFile passes paths through
      return;
    }
    const rec = newRecord(s.ctx, s.nextId++, name ?? null, fl);
    this.#output = await startOutput(s, rec, calledAt);
    this.#sm.phase = 'output';
  }

  routeFile(path: string): string {
    if (typeof path !== 'string' || path === '') throw new ScrError(`routeFile(): path must be a non-empty string, got ${describe(path)}`, CODES.ARGUMENT);
    const s = this.#s;
    if (this.#sm.phase === 'output' && this.#output && s) return routeOutput(s.ctx, this.#output, path);
    if (this.#sm.phase === 'restart' && this.#restart && s) return routeRestart(s.ctx, this.#restart, path);
    return path;
  }

  async completeOutput(valid: boolean): Promise<boolean> {
    const calledAt = performance.now();
    this.#sm.expect('completeOutput()', 'output');
    const ok = await this.#agreeValid('completeOutput()', valid);
    const out = this.#output;
    const s = this.#s;
    this.#output = null;
    this.#sm.phase = 'idle';
    if (!s || !out) return this.#comm!.allreduce(ok, 'LAND');
    const res = await completeOutput(s, out, ok, calledAt);
    if (res.stats) this.#stats = res.stats;
    if (res.ok && out.rec.flags.checkpoint) await this.#afterCheckpoint(s, out.rec);
    kickEncode(s); // a background encode (SCR_ENCODE_ASYNC=1) starts as the call returns
    return res.ok;
  }

  startCheckpoint(): Promise<void> {
    return this.startOutput(null, FLAG_CHECKPOINT);
  }

  completeCheckpoint(valid: boolean): Promise<boolean> {
    return this.completeOutput(valid);
  }

  /** Counts the checkpoint against the halt file's "checkpoints left" and, with SCR_HALT_EXIT,
   * ends the process cleanly once a halt condition holds. */
  async #afterCheckpoint(s: Session, rec: DatasetRecord): Promise<void> {
    const ctx = s.ctx;
    let reason: string | null = null;
    if (ctx.rank === 0) {
      try {
        // Only a "checkpoints left" count needs the locked read-modify-write.
        let halt = await readHalt(ctx.prefix);
        if (halt.checkpointsLeft !== undefined) halt = await updateHalt(ctx.prefix, afterCheckpoint);
        reason = s.haltReason(halt);
      } catch (e) { ctx.warn(`halt file: ${(e as Error).message}`); }
    }
    reason = await ctx.comm.bcastObject(reason, 0);
    // A SIGTERM (logged as a HALT when agreed): this checkpoint goes to the file system now.
    const term = await s.termAgreed();
    // Flushed now: its background encode (if any) completes first.
    if (reason || term) await this.#settle();
    if (term) {
      s.termCheckpointed = true;
      await s.flushForTerm();
    }
    if (reason) {
      await logEvent(ctx, 'HALT', { reason: JSON.stringify(reason) });
      // A halting job leaves its newest checkpoint on the file system.
      // (The newest protected one, should this one's background encode have failed just now.)
      const newest = s.datasets.has(rec.id) ? rec : s.restartable()[0];
      if (newest && !newest.flushed && ctx.cfg.int('SCR_FLUSH') > 0) await s.flushes.flush(newest);
      await s.flushes.progress('all');
    }
    if ((reason || term) && ctx.cfg.bool('SCR_HALT_EXIT')) {
      ctx.warn(`halting after this checkpoint: ${reason ?? 'SIGTERM'} (SCR_HALT_EXIT=1)`);
      await this.finalize();
      mpi.finalize();
      process.exit(0);
    }
  }

  // ---- current / drop / delete ----
  async current(name: string): Promise<void> {
    this.#sm.expect('current()', 'idle');
    await this.#settle();
    await this.#agreeName('current()', name);
    await current(this.#enabled('current()'), name);
  }

  /** SCR_Drop: forgets a dataset (index entry and cache); its files on the file system stay. */
  async drop(name: string): Promise<void> {
    this.#sm.expect('drop()', 'idle');
    await this.#settle();
    await this.#agreeName('drop()', name);
    await forget(this.#enabled('drop()'), 'drop', name, { deleteFiles: false });
  }

  /** SCR_Delete: deletes a dataset from cache, from the file system (files and now-empty
   * directories below the prefix) and from the index. */
  async deleteDataset(name: string): Promise<void> {
    this.#sm.expect('deleteDataset()', 'idle');
    await this.#settle();
    await this.#agreeName('deleteDataset()', name);
    await forget(this.#enabled('deleteDataset()'), 'deleteDataset', name, { deleteFiles: true });
  }

  #enabled(call: string): Session {
    if (!this.#s) throw new ScrError(`${call}: scr is disabled (SCR_ENABLE=0)`, CODES.ARGUMENT);
    return this.#s;
  }

  // ---- restart ----
  async haveRestart(): Promise<string | null> {
    this.#sm.expect('haveRestart()', 'idle');
    await this.#settle();
    this.#offer = this.#s ? await haveRestart(this.#s) : null;
    return this.#offer?.rec.name ?? null;
  }

  async startRestart(): Promise<string> {
    this.#sm.expect('startRestart()', 'idle');
    const offer = this.#offer;
    if (!offer || !this.#s) throw new ScrStateError('haveRestart() must find a checkpoint before startRestart()');
    this.#restart = await startRestart(this.#s.ctx, offer);
    this.#offer = null;
    this.#sm.phase = 'restart';
    return offer.rec.name;
  }

  async completeRestart(valid: boolean): Promise<boolean> {
    this.#sm.expect('completeRestart()', 'restart');
    const mine = await this.#agreeValid('completeRestart()', valid);
    const s = this.#s!;
    const { rec } = this.#restart!;
    this.#restart = null;
    this.#sm.phase = 'idle';
    const ok = await s.ctx.comm.allreduce(mine, 'LAND');
    await completeRestart(s, rec, ok);
    return ok;
  }
}
