// One initialised instance of the checkpoint library (SPEC §2). The public functions in
// src/api.ts delegate to the process's instance.
import { mkdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { type ConfigQuery, answerQuery, applyConfigString, Layer, layerToText } from '../config/config-string.js';
import { loadConfig, type ResolvedConfig } from '../config/resolve.js';
import type { CkptDescriptor } from '../config/resolve.js';
import { afterCheckpoint, CheckpointPolicy, haltReason, readHalt, updateHalt } from '../halt/index.js';
import { type Comm, mpi } from '../mpi/index.js';
import type { DatasetRecord, Filemap } from '../cache/records.js';
import { readFilemap } from '../cache/records.js';
import { agree, outcomeOf } from './agree.js';
import { Context } from './context.js';
import { createDatasetDir, dirOf, protect, recordDataset, removeDataset, type Routed, statRouted } from './dataset.js';
import { CODES, ScrError, ScrStateError } from './errors.js';
import { restoreCache, type RestoreTiming } from './restore.js';
import { completeFlushesFromMarkers, deleteFromPfsByRankMap, finishFlush, flushDataset, flushLocal, startFlush } from './flush.js';
import type { FileEntry } from '../cache/records.js';
import { fetchCheckpoint } from './fetch.js';
import { logEvent } from './log.js';
import { byName, readIndex, updateIndex } from '../pfs/index.js';
import { StateMachine } from './state.js';

export const FLAG_NONE = 0;
export const FLAG_CHECKPOINT = 1;
export const FLAG_OUTPUT = 2;

export interface InitOptions {
  /** The communicator of the job (default: MPI world). */
  comm?: Comm;
}

/** Timings of the last completed output phase, for benchmarks and the log. */
export interface OutputStats {
  id: number;
  bytes: number;
  redundancyBytes: number;
  /** Seconds spent applying redundancy (and CRCs) on this rank. */
  protectSeconds: number;
}

/** An asynchronous flush: its local copy runs in the background; the collective finish happens
 * at a later API call, once every rank's copy is done. */
interface PendingFlush {
  rec: DatasetRecord;
  t0: number;
  done: boolean;
  files: FileEntry[];
  error: unknown;
  promise: Promise<void>;
}

interface OutputPhase {
  rec: DatasetRecord;
  descriptor: CkptDescriptor;
  routed: Routed[];
  bypass: boolean;
}

export class ScrLibrary {
  readonly #sm = new StateMachine();
  readonly #appLayer = new Layer('config()');
  #ctx: Context | null = null;
  #enabled = true;
  #comm: Comm | null = null;
  readonly #datasets = new Map<number, DatasetRecord>();
  #nextId = 1;
  #output: OutputPhase | null = null;
  #offer: DatasetRecord | null = null;
  #restart: { rec: DatasetRecord; map: Filemap } | null = null;
  #policy: CheckpointPolicy | null = null;
  #stats: OutputStats | null = null;
  #restoreStats: RestoreTiming[] = [];
  #startedAt = 0;
  readonly #flushing = new Map<number, PendingFlush>();
  /** A checkpoint of another rank count offered by haveRestart: every rank's files. */
  #global: { id: number; files: FileEntry[] } | null = null;
  /** Set by current(): the checkpoint to restart from when it is in cache. */
  #currentName: string | null = null;

  get lastOutputStats(): OutputStats | null {
    return this.#stats;
  }

  /** What the last init() moved and rebuilt, per dataset, with the seconds it took. */
  get restoreStats(): RestoreTiming[] {
    return this.#restoreStats;
  }

  // ---- config ----
  config(text: string): string | null {
    const probe = new Layer('config()');
    // Parse first on a scratch layer so a bad string changes nothing.
    for (const [k, v] of this.#appLayer.params) probe.params.set(k, v);
    probe.descriptors.push(...this.#appLayer.descriptors);
    const q: ConfigQuery | null = applyConfigString(probe, text);
    if (q) return answerQuery(this.#ctx?.cfg ?? loadConfig({ appLayer: this.#appLayer }), q);
    if (this.#sm.phase !== 'uninit') throw new ScrStateError(`config("${text}") sets a value, which must come before init()`);
    applyConfigString(this.#appLayer, text);
    return null;
  }

  // ---- init / finalize ----
  async init(opts: InitOptions = {}): Promise<void> {
    if (this.#sm.phase !== 'uninit') throw new ScrStateError('init() was already called; call finalize() before init() again');
    if (!mpi.initialized) mpi.init();
    const comm = opts.comm ?? mpi.world;
    let cfg: ResolvedConfig | null = null;
    let cfgErr: unknown = null;
    try { cfg = loadConfig({ appLayer: this.#appLayer }); } catch (e) { cfgErr = e; }
    await agreeKeepingMine(comm, 'reading the configuration', cfgErr);
    if (!cfg!.bool('SCR_ENABLE')) {
      this.#enabled = false;
      this.#comm = comm;
      this.#sm.phase = 'idle';
      return;
    }
    this.#enabled = true;
    const node = cfg!.str('SCR_NODE_NAME');
    const nodeOf = (await comm.allgatherObject(node)) as string[];
    const nodeComm = await comm.splitByString(node);
    const ctx = new Context(cfg!, comm, nodeOf, nodeComm);
    if (ctx.rank === 0) for (const w of cfg!.warnings) ctx.warn(w);
    let err: unknown = null;
    try {
      if (ctx.rank === 0) {
        await ctx.makePrefixDir();
        // Always replaced, so the commands never read a previous run's config() values.
        await ctx.writeAppConf(this.#appLayer.params.size || this.#appLayer.descriptors.length ? layerToText(this.#appLayer) : null);
      }
      if (ctx.nodeLeader) await ctx.makeNodeDirs();
    } catch (e) { err = e; }
    await agreeKeepingMine(comm, 'creating the control and cache directories', err);
    this.#ctx = ctx;
    const restored = await restoreCache(ctx);
    for (const line of restored.dropped) ctx.warn(`cache: dropped ${line}`);
    for (const rec of restored.restored) this.#datasets.set(rec.id, rec);
    this.#restoreStats = restored.timings;
    // Ids keep growing across runs: beyond every dataset in any cache and in the PFS index.
    let pfsMax = 0;
    if (ctx.rank === 0) {
      // Asynchronous flushes a previous job copied completely but could not record (SCR loses
      // these, its issue #531): finished here from the ranks' durable markers.
      try {
        for (const name of await completeFlushesFromMarkers(ctx.prefix, cfg!.int('SCR_PREFIX_SIZE'))) ctx.note(`completed the flush of ${name}, which the previous run copied but did not record`);
      } catch (e) { ctx.warn(`completing earlier flushes: ${(e as Error).message}`); }
      try { pfsMax = Math.max(0, ...Object.keys((await readIndex(ctx.prefix)).datasets).map(Number)); } catch (e) { ctx.warn(`the index of ${ctx.prefix} is unreadable: ${(e as Error).message}`); }
    }
    pfsMax = await comm.bcastObject(pfsMax, 0);
    this.#nextId = Math.max(restored.maxId, pfsMax) + 1;
    for (const t of restored.timings) if (t.rebuilt.length || t.moved.length) await logEvent(ctx, 'REBUILD', { name: t.name, id: t.id, seconds: t.seconds, rebuilt: t.rebuilt.join(',') || undefined, moved: t.moved.join(',') || undefined });
    if (ctx.rank === 0) {
      let seen = 0;
      try { seen = (await readHalt(ctx.prefix)).checkpointNow ?? 0; } catch (e) { ctx.warn(`halt file: ${(e as Error).message}`); }
      this.#policy = new CheckpointPolicy({
        interval: cfg!.int('SCR_CHECKPOINT_INTERVAL'), seconds: cfg!.int('SCR_CHECKPOINT_SECONDS'),
        overhead: cfg!.get('SCR_CHECKPOINT_OVERHEAD') as number, checkpointNowSeen: seen,
      });
    }
    this.#comm = comm;
    this.#sm.phase = 'idle';
  }

  async finalize(): Promise<void> {
    this.#sm.expect('finalize()', 'idle');
    const ctx = this.#ctx;
    if (ctx) {
      // The newest checkpoint reaches the file system if flushing is on and it is not there yet.
      const newest = [...this.#datasets.values()].filter((r) => r.flags.checkpoint && r.complete).sort((a, b) => b.id - a.id)[0];
      if (newest && !newest.flushed && ctx.cfg.int('SCR_FLUSH') > 0) await this.#flush(ctx, newest);
      await this.#progressFlushes(ctx, 'all');
      let err: unknown = null;
      if (ctx.rank === 0) {
        // A job that stops because a halt condition holds has not finished: the marker is left
        // off, so a run wrapper with --requeue requeues it.
        try { await updateHalt(ctx.prefix, (h) => (this.#haltReason(ctx, h) === null ? { ...h, finalized: true } : undefined)); } catch (e) { err = e; }
      }
      await agreeKeepingMine(ctx.comm, 'recording that finalize() was called', err);
      await logEvent(ctx, 'FINALIZE', {});
      await ctx.close();
    }
    this.#ctx = null;
    this.#datasets.clear();
    this.#offer = null;
    this.#currentName = null;
    this.#sm.phase = 'uninit';
  }

  // ---- policies ----
  async needCheckpoint(): Promise<boolean> {
    this.#sm.expect('needCheckpoint()', 'idle');
    const ctx = this.#ctx;
    if (!ctx) return true;
    await this.#progressFlushes(ctx);
    let need = false;
    if (ctx.rank === 0) {
      const halt = await this.#readHaltSafely(ctx);
      need = this.#haltReason(ctx, halt) !== null || this.#policy!.need({ checkpointNow: halt.checkpointNow ?? 0 });
    }
    return ctx.comm.bcastObject(need, 0);
  }

  async shouldExit(): Promise<boolean> {
    this.#sm.expect('shouldExit()', 'idle');
    const ctx = this.#ctx;
    if (!ctx) return false;
    await this.#progressFlushes(ctx);
    let reason: string | null = null;
    if (ctx.rank === 0) reason = this.#haltReason(ctx, await this.#readHaltSafely(ctx));
    return (await ctx.comm.bcastObject(reason, 0)) !== null;
  }

  async #readHaltSafely(ctx: Context) {
    try { return await readHalt(ctx.prefix); } catch (e) { ctx.warn(`halt file unreadable, ignored: ${(e as Error).message}`); return {}; }
  }

  #haltReason(ctx: Context, halt: Awaited<ReturnType<typeof readHalt>>): string | null {
    return haltReason(halt, { now: Date.now() / 1000, endTime: ctx.cfg.optInt('SCR_END_TIME'), haltSeconds: ctx.cfg.int('SCR_HALT_SECONDS') });
  }

  // ---- output ----
  async startOutput(name: string | null | undefined, flags: number): Promise<void> {
    this.#sm.expect('startOutput()', 'idle');
    const comm = this.#comm!;
    // Arguments are checked locally but agreed on, so a rank with a bad argument cannot leave the
    // others waiting in the collectives below.
    let argErr: ScrError | null = null;
    if (name !== null && name !== undefined && (typeof name !== 'string' || name === '' || name.includes('/'))) {
      argErr = new ScrError(`startOutput(): name must be a non-empty string without '/', or null for the default, got ${JSON.stringify(name)}`, CODES.ARGUMENT);
    } else if (!Number.isInteger(flags) || flags < 0 || (flags & ~(FLAG_CHECKPOINT | FLAG_OUTPUT)) !== 0) {
      argErr = new ScrError(`startOutput(): flags must combine FLAG_CHECKPOINT and FLAG_OUTPUT (or be FLAG_NONE), got ${String(flags)}`, CODES.ARGUMENT);
    }
    await agreeKeepingMine(comm, 'startOutput(): checking the arguments', argErr);
    this.#offer = null; // an output phase may evict what haveRestart offered
    const asked = { name: name ?? null, flags };
    const root = await comm.bcastObject(asked, 0);
    if (!(await comm.allreduce(root.name === asked.name && root.flags === asked.flags, 'LAND'))) {
      const all = await comm.allgatherObject(asked);
      const differ = all.map((a, r) => (a.name === root.name && a.flags === root.flags ? -1 : r)).filter((r) => r >= 0);
      throw new ScrError(`startOutput(): every rank must pass the same name and flags; rank 0 passed (${JSON.stringify(root.name)}, ${root.flags}) but rank ${differ[0]} passed (${JSON.stringify(all[differ[0]!]!.name)}, ${all[differ[0]!]!.flags})`, CODES.MISMATCH);
    }
    const ctx = this.#ctx;
    const id = this.#nextId++;
    const rec: DatasetRecord = {
      id, name: name ?? `scr.dataset.${id}`, flags: { checkpoint: (flags & FLAG_CHECKPOINT) !== 0, output: (flags & FLAG_OUTPUT) !== 0 },
      created: Date.now(), store: '', descriptor: 0, ranks: comm.size, complete: false,
    };
    if (!ctx) {
      this.#output = { rec, descriptor: null as unknown as CkptDescriptor, routed: [], bypass: true };
      this.#sm.phase = 'output';
      return;
    }
    const d = ctx.cfg.descriptorFor(id, { checkpoint: rec.flags.checkpoint, output: rec.flags.output });
    rec.store = d.store;
    rec.descriptor = d.index;
    if (d.bypass) rec.bypass = true;
    await this.#progressFlushes(ctx);
    let err: unknown = null;
    try {
      await ctx.setsFor(d); // forms this descriptor's sets (a GROUPS error shows here, on every rank)
      await this.#evictFor(ctx, d);
      // Not yet in the cache index: at restart, a dataset directory the index does not list is
      // known to be incomplete (the job stopped while writing it) and is removed.
      await createDatasetDir(ctx, rec);
    } catch (e) { err = e; }
    await agreeKeepingMine(comm, `startOutput(): preparing ${rec.name}`, err);
    if (ctx.rank === 0 && rec.flags.checkpoint) this.#policy!.checkpointStarted();
    this.#startedAt = performance.now();
    await logEvent(ctx, 'START', { name: rec.name, id: rec.id, flags: [rec.flags.checkpoint ? 'C' : '', rec.flags.output ? 'O' : ''].join('') || '-' });
    this.#output = { rec, descriptor: d, routed: [], bypass: d.bypass };
    this.#sm.phase = 'output';
  }

  /** Evicts the oldest cached datasets beyond the store's and the descriptor's COUNT. */
  async #evictFor(ctx: Context, d: CkptDescriptor): Promise<void> {
    const storeCount = ctx.cfg.stores.find((s) => s.path === d.store)?.count ?? ctx.cfg.int('SCR_CACHE_SIZE');
    const inStore = () => [...this.#datasets.values()].filter((r) => r.store === d.store).sort((a, b) => a.id - b.id);
    const inDesc = () => [...this.#datasets.values()].filter((r) => r.descriptor === d.index).sort((a, b) => a.id - b.id);
    // The previous eviction's deletion must be over before more data comes in.
    await ctx.settleDeletes();
    while (inStore().length >= storeCount || (d.count !== null && inDesc().length >= d.count)) {
      const victim = inStore().length >= storeCount ? inStore()[0]! : inDesc()[0]!;
      // Never evict a dataset while it is being flushed: finish its flush first.
      if (this.#flushing.has(victim.id)) await this.#progressFlushes(ctx, victim.id);
      await removeDataset(ctx, victim, { background: true });
      this.#datasets.delete(victim.id);
      ctx.debug(1, `evicted ${victim.name} from ${victim.store}`);
    }
  }

  routeFile(path: string): string {
    if (typeof path !== 'string' || path === '') throw new ScrError(`routeFile(): path must be a non-empty string, got ${JSON.stringify(path)}`, CODES.ARGUMENT);
    const phase = this.#sm.phase;
    if (phase === 'output' && this.#output) return this.#routeOutput(path);
    if (phase === 'restart' && this.#restart) return this.#routeRestart(path);
    return path;
  }

  #routeOutput(path: string): string {
    const out = this.#output!;
    if (!this.#ctx) return path; // SCR_ENABLE=0: paths pass through unchanged
    const abs = resolve(path);
    const prefix = this.#ctx.prefix;
    const rel = relative(prefix, abs);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new ScrError(`routeFile(${path}): the file must lie under SCR_PREFIX (${prefix}), where it is flushed to; set SCR_PREFIX or write it below the prefix`, CODES.ROUTE);
    }
    const name = basename(abs);
    const same = out.routed.find((r) => r.name === name);
    if (same && same.path !== abs) {
      throw new ScrError(`routeFile(${path}): ${same.path} of this dataset has the same file name "${name}"; files of one dataset on one rank are cached by name, so give them distinct names`, CODES.DUPLICATE);
    }
    if (!same) out.routed.push({ name, path: abs });
    if (out.bypass) {
      mkdirSync(dirname(abs), { recursive: true });
      return abs;
    }
    return join(dirOf(this.#ctx, out.rec), name);
  }

  #routeRestart(path: string): string {
    const { rec, map } = this.#restart!;
    const abs = resolve(path);
    const hit = map.files.find((f) => f.path === abs) ?? (map.files.filter((f) => f.name === basename(abs)).length === 1 ? map.files.find((f) => f.name === basename(abs)) : undefined);
    // (With a checkpoint of another rank count the map holds every rank's files, read in place.)
    if (!hit) {
      throw new ScrError(`routeFile(${path}): rank ${this.#ctx!.rank} has no such file in checkpoint ${rec.name} (it has ${map.files.map((f) => f.name).join(', ') || 'no files'})`, CODES.NO_FILE);
    }
    return rec.bypass ? hit.path : join(dirOf(this.#ctx!, rec), hit.name);
  }

  async completeOutput(valid: boolean): Promise<boolean> {
    this.#sm.expect('completeOutput()', 'output');
    if (typeof valid !== 'boolean') throw new ScrError(`completeOutput(): valid must be true or false, got ${JSON.stringify(valid)}`, CODES.ARGUMENT);
    const out = this.#output!;
    const ctx = this.#ctx;
    const comm = this.#comm!;
    this.#output = null;
    this.#sm.phase = 'idle';
    if (!ctx) return comm.allreduce(valid, 'LAND');
    const rec = out.rec;
    let files = null;
    let localErr: unknown = null;
    if (valid) {
      try { files = await statRouted(ctx, rec, out.routed, out.bypass); } catch (e) { localErr = e; }
    }
    // Ranks of one node share the dataset's cache directory: two of them routing the same file
    // name would have written one file. Found here, on every rank alike.
    const clash = out.bypass ? null : await sameNameOnNode(ctx, out.routed);
    if (clash) {
      await this.#drop(ctx, rec);
      this.#endCheckpointTimer(ctx, rec);
      throw new ScrError(`completeOutput(): ${clash}; files of one dataset share a cache directory per node, so their names must differ across the node's ranks (e.g. put the rank in the name). The dataset was deleted.`, CODES.DUPLICATE);
    }
    if (localErr && ctx.rank === 0) ctx.warn((localErr as Error).message);
    const complete = await comm.allreduce(valid && !localErr, 'LAND');
    if (!complete) {
      if (localErr) process.stderr.write(`scr: rank ${ctx.rank}: ${(localErr as Error).message}\n`);
      await this.#drop(ctx, rec);
      this.#endCheckpointTimer(ctx, rec);
      return false;
    }
    const t0 = performance.now();
    const { error, redundancyBytes } = await protect(ctx, rec, out.descriptor, files!, out.bypass);
    const protectSeconds = (performance.now() - t0) / 1000;
    try {
      await agree(comm, `completeOutput(): applying redundancy to ${rec.name}`, outcomeOf(error));
    } catch (e) {
      ctx.warn(`${(e as Error).message}; the dataset is deleted from cache`);
      await this.#drop(ctx, rec);
      this.#endCheckpointTimer(ctx, rec);
      return false;
    }
    const bytes = files!.reduce((a, f) => a + f.size, 0);
    const totals = await comm.allreduce(Float64Array.of(bytes, files!.length), 'SUM');
    rec.complete = true;
    rec.bytes = totals[0]!;
    rec.files = totals[1]!;
    let recErr: unknown = null;
    try { await recordDataset(ctx, rec); } catch (e) { recErr = e; }
    try {
      await agree(comm, `completeOutput(): recording ${rec.name} in the cache index`, outcomeOf(recErr));
    } catch (e) {
      ctx.warn(`${(e as Error).message}; the dataset is deleted from cache`);
      await this.#drop(ctx, rec);
      this.#endCheckpointTimer(ctx, rec);
      return false;
    }
    this.#datasets.set(rec.id, rec);
    this.#stats = { id: rec.id, bytes, redundancyBytes, protectSeconds };
    this.#endCheckpointTimer(ctx, rec);
    await logEvent(ctx, rec.flags.checkpoint ? 'CHECKPOINT' : 'OUTPUT', { name: rec.name, id: rec.id, bytes: rec.bytes, seconds: (performance.now() - this.#startedAt) / 1000, files: rec.files });
    // Every output dataset reaches the file system; checkpoints every SCR_FLUSH-th id.
    const every = ctx.cfg.int('SCR_FLUSH');
    if (rec.flags.output || (rec.flags.checkpoint && every > 0 && rec.id % every === 0)) await this.#flush(ctx, rec);
    await this.#progressFlushes(ctx);
    if (rec.flags.checkpoint) await this.#afterCheckpoint(ctx, rec);
    return true;
  }

  #endCheckpointTimer(ctx: Context, rec: DatasetRecord): void {
    if (ctx.rank === 0 && rec.flags.checkpoint) this.#policy!.checkpointCompleted();
  }

  /** Counts the checkpoint against the halt file's "checkpoints left" and, with SCR_HALT_EXIT,
   * ends the process cleanly once a halt condition holds. */
  async #afterCheckpoint(ctx: Context, rec: DatasetRecord): Promise<void> {
    let reason: string | null = null;
    if (ctx.rank === 0) {
      try {
        // Only a "checkpoints left" count needs the locked read-modify-write.
        let halt = await readHalt(ctx.prefix);
        if (halt.checkpointsLeft !== undefined) halt = await updateHalt(ctx.prefix, afterCheckpoint);
        reason = this.#haltReason(ctx, halt);
      } catch (e) { ctx.warn(`halt file: ${(e as Error).message}`); }
    }
    reason = await ctx.comm.bcastObject(reason, 0);
    if (reason) {
      await logEvent(ctx, 'HALT', { reason: JSON.stringify(reason) });
      // A halting job leaves its newest checkpoint on the file system.
      if (!rec.flushed && ctx.cfg.int('SCR_FLUSH') > 0) await this.#flush(ctx, rec);
      await this.#progressFlushes(ctx, 'all');
    }
    if (reason && ctx.cfg.bool('SCR_HALT_EXIT')) {
      ctx.warn(`halting after this checkpoint: ${reason} (SCR_HALT_EXIT=1)`);
      await this.finalize();
      mpi.finalize();
      process.exit(0);
    }
  }

  /** Forgets a dataset and deletes this node's part; a failure to delete is only warned about
   * (the next init removes leftovers), so it cannot split the ranks. */
  /** Flushes a dataset: synchronously, or with SCR_FLUSH_ASYNC=1 by starting the local copies in
   * the background. A failure is a warning (the dataset stays in cache, not flushed). */
  async #flush(ctx: Context, rec: DatasetRecord, opts: { wait?: boolean } = {}): Promise<void> {
    if (this.#flushing.has(rec.id) || rec.flushed) return;
    try {
      if (!ctx.cfg.bool('SCR_FLUSH_ASYNC')) {
        await flushDataset(ctx, rec);
        return;
      }
      const t0 = performance.now();
      await startFlush(ctx, rec);
      const job: PendingFlush = { rec, t0, done: false, files: [], error: null, promise: Promise.resolve() };
      job.promise = flushLocal(ctx, rec, { marker: true }).then((f) => { job.files = f; }, (e: unknown) => { job.error = e; }).finally(() => { job.done = true; });
      this.#flushing.set(rec.id, job);
      if (opts.wait) await this.#progressFlushes(ctx, rec.id);
    } catch (e) {
      ctx.warn(`${(e as Error).message}; ${rec.name} stays in cache only`);
    }
  }

  /** Finishes asynchronous flushes whose copies are done on every rank (collective: called at
   * the same API calls on every rank). `wait`: an id to wait for, or 'all'. */
  async #progressFlushes(ctx: Context, wait: number | 'all' | null = null): Promise<void> {
    for (const job of [...this.#flushing.values()].sort((a, b) => a.rec.id - b.rec.id)) {
      if (wait === 'all' || wait === job.rec.id) await job.promise;
      if (!(await ctx.comm.allreduce(job.done, 'LAND'))) continue;
      this.#flushing.delete(job.rec.id);
      try {
        await finishFlush(ctx, job.rec, job.files, job.error, job.t0);
      } catch (e) {
        ctx.warn(`${(e as Error).message}; ${job.rec.name} stays in cache only`);
      }
    }
  }

  async #drop(ctx: Context, rec: DatasetRecord): Promise<void> {
    this.#datasets.delete(rec.id);
    try { await removeDataset(ctx, rec); } catch (e) { process.stderr.write(`scr: warning: rank ${ctx.rank}: deleting ${rec.name}: ${(e as Error).message}\n`); }
  }

  /** SCR_Current: the checkpoint to restart from (in cache, or the index's current marker). */
  async current(name: string): Promise<void> {
    this.#sm.expect('current()', 'idle');
    const ctx = this.#needCtx('current()', name);
    let err: unknown = null;
    const inCache = [...this.#datasets.values()].some((r) => r.name === name && r.flags.checkpoint && !r.failed);
    if (ctx.rank === 0) {
      try {
        const idx = await readIndex(ctx.prefix);
        const e = byName(idx, name);
        const usableOnPfs = !!e && e.flags.checkpoint && !e.failed && e.flushed;
        if (!usableOnPfs && !inCache) {
          throw new ScrError(e ? `current(${name}): it is ${!e.flags.checkpoint ? 'not a checkpoint' : e.failed ? 'marked failed' : 'not flushed'} and not in cache`
            : `current(${name}): no checkpoint of that name in cache or in ${ctx.prefix}/.scr/index.scr`, CODES.ARGUMENT);
        }
        if (usableOnPfs) await updateIndex(ctx.prefix, (x) => { x.current = name; });
      } catch (e) { err = e; }
    }
    await agreeKeepingMine(ctx.comm, `current(${name})`, err);
    this.#currentName = name;
  }

  /** SCR_Drop: forgets a dataset (index entry and cache); its files on the file system stay. */
  drop(name: string): Promise<void> {
    return this.#forget('drop()', name, { deleteFiles: false });
  }

  /** SCR_Delete: deletes a dataset from cache, from the file system (files and now-empty
   * directories below the prefix) and from the index. */
  deleteDataset(name: string): Promise<void> {
    return this.#forget('deleteDataset()', name, { deleteFiles: true });
  }

  /** drop() and deleteDataset(): finish its flushes, remove it from cache and index, and with
   * `deleteFiles` from the file system. A name found nowhere is an error (on every rank). */
  async #forget(call: string, name: string, opts: { deleteFiles: boolean }): Promise<void> {
    this.#sm.expect(call, 'idle');
    const ctx = this.#needCtx(call, name);
    await this.#settleFlushesOf(ctx, name);
    const cached = [...this.#datasets.values()].filter((x) => x.name === name);
    for (const r of cached) await this.#drop(ctx, r);
    let err: unknown = null;
    if (ctx.rank === 0) {
      try {
        const onPfs = Object.values((await readIndex(ctx.prefix)).datasets).filter((x) => x.name === name);
        if (onPfs.length === 0 && cached.length === 0) {
          throw new ScrError(`${call.replace('()', '')}(${name}): no dataset of that name in cache or in ${ctx.prefix}/.scr/index.scr`, CODES.ARGUMENT);
        }
        if (opts.deleteFiles) for (const e of onPfs) await deleteFromPfsByRankMap(ctx, e.id);
        if (onPfs.length) {
          await updateIndex(ctx.prefix, (idx) => {
            for (const [id, e] of Object.entries(idx.datasets)) if (e.name === name) delete idx.datasets[id];
            if (idx.current === name) idx.current = null;
          });
        }
      } catch (e) { err = e; }
    }
    await agreeKeepingMine(ctx.comm, `${call.replace('()', '')}(${name})`, err);
    if (this.#currentName === name) this.#currentName = null;
  }

  /** Finishes any asynchronous flush of datasets with this name (before they are dropped). */
  async #settleFlushesOf(ctx: Context, name: string): Promise<void> {
    for (const job of [...this.#flushing.values()].filter((j) => j.rec.name === name)) await this.#progressFlushes(ctx, job.rec.id);
  }

  #needCtx(call: string, name: unknown): Context {
    if (typeof name !== 'string' || name === '') throw new ScrError(`${call}: name must be a non-empty string, got ${JSON.stringify(name)}`, CODES.ARGUMENT);
    if (!this.#ctx) throw new ScrError(`${call}: scr is disabled (SCR_ENABLE=0)`, CODES.ARGUMENT);
    return this.#ctx;
  }

  startCheckpoint(): Promise<void> {
    return this.startOutput(null, FLAG_CHECKPOINT);
  }

  completeCheckpoint(valid: boolean): Promise<boolean> {
    return this.completeOutput(valid);
  }

  // ---- restart ----
  async haveRestart(): Promise<string | null> {
    this.#sm.expect('haveRestart()', 'idle');
    const ctx = this.#ctx;
    if (ctx) await this.#progressFlushes(ctx);
    const usable = [...this.#datasets.values()].filter((r) => r.complete && !r.failed && r.flags.checkpoint).sort((a, b) => b.id - a.id);
    const wanted = ctx?.cfg.optStr('SCR_CURRENT') ?? this.#currentName;
    let best = (wanted ? usable.find((r) => r.name === wanted) : undefined) ?? (wanted ? undefined : usable[0]) ?? null;
    if (!best && ctx && ctx.cfg.bool('SCR_FETCH')) {
      const fetched = await fetchCheckpoint(ctx, wanted ?? null);
      if (fetched?.global) {
        // Written by another number of ranks: not in cache; any of its files can be routed.
        this.#global = { id: fetched.rec.id, files: fetched.global };
        best = fetched.rec;
      } else if (fetched) {
        best = fetched.rec;
        this.#datasets.set(best.id, best);
      }
    }
    if (!best && wanted && usable[0]) best = usable[0];
    this.#offer = best;
    return best?.name ?? null;
  }

  async startRestart(): Promise<string> {
    this.#sm.expect('startRestart()', 'idle');
    const offer = this.#offer;
    if (!offer) throw new ScrStateError('haveRestart() must find a checkpoint before startRestart()');
    const ctx = this.#ctx!;
    let map: Filemap | undefined;
    let err: unknown = null;
    try {
      // A checkpoint of another rank count: every file of the dataset is this rank's to route.
      if (this.#global?.id === offer.id) map = { dataset: offer.id, rank: ctx.rank, files: this.#global.files };
      else map = await readFilemap(dirOf(ctx, offer), ctx.rank);
      if (!map) throw new ScrError(`rank ${ctx.rank} has no file map for ${offer.name} in ${dirOf(ctx, offer)}`, CODES.IO);
    } catch (e) { err = e; }
    await agreeKeepingMine(ctx.comm, `startRestart(): opening ${offer.name}`, err);
    this.#restart = { rec: offer, map: map! };
    this.#offer = null;
    this.#sm.phase = 'restart';
    return offer.name;
  }

  async completeRestart(valid: boolean): Promise<boolean> {
    this.#sm.expect('completeRestart()', 'restart');
    if (typeof valid !== 'boolean') throw new ScrError(`completeRestart(): valid must be true or false, got ${JSON.stringify(valid)}`, CODES.ARGUMENT);
    const ctx = this.#ctx!;
    const { rec } = this.#restart!;
    this.#restart = null;
    this.#global = null;
    this.#sm.phase = 'idle';
    const ok = await ctx.comm.allreduce(valid, 'LAND');
    if (!ok) {
      if (this.#flushing.has(rec.id)) await this.#progressFlushes(ctx, rec.id);
      rec.failed = true;
      ctx.warn(`checkpoint ${rec.name} was marked failed by completeRestart(false) and dropped from cache`);
      await this.#drop(ctx, rec);
      if (ctx.rank === 0) {
        await updateIndex(ctx.prefix, (idx) => { const e = idx.datasets[String(rec.id)]; if (e) e.failed = true; if (idx.current === rec.name) idx.current = null; })
          .catch((e) => ctx.warn(`could not mark ${rec.name} failed in the index: ${(e as Error).message}`));
        await logEvent(ctx, 'FAILED', { name: rec.name, id: rec.id, why: 'completeRestart(false)' });
      }
      await ctx.comm.barrier();
    } else {
      await logEvent(ctx, 'RESTART', { name: rec.name, id: rec.id });
    }
    return ok;
  }
}

/** Agreement where a rank with its own error rethrows that error (keeping its class, e.g.
 * ScrConfigError with its problems), and the others throw the agreed summary. */
// ---- current / drop / delete (SCR_Current, SCR_Drop, SCR_Delete) ----
export interface NamedOps {
  current(name: string): Promise<void>;
  drop(name: string): Promise<void>;
  deleteDataset(name: string): Promise<void>;
}

/** The first basename two ranks of this node routed, described, or null. Collective. */
async function sameNameOnNode(ctx: Context, routed: Routed[]): Promise<string | null> {
  const all = (await ctx.nodeComm.allgatherObject(routed.map((r) => r.name))) as string[][];
  const owner = new Map<string, number>();
  let found: string | null = null;
  all.forEach((names, local) => {
    for (const n of names) {
      const prev = owner.get(n);
      if (prev !== undefined && prev !== local && !found) found = `ranks ${ctx.nodeRanks[prev]} and ${ctx.nodeRanks[local]} on node ${ctx.node} both routed a file named "${n}"`;
      owner.set(n, local);
    }
  });
  // Agreed job-wide: the first clash any node found.
  const clashes = (await ctx.comm.allgatherObject(found)) as Array<string | null>;
  return clashes.find((c) => c !== null) ?? null;
}

/** Agreement where a rank with its own error rethrows that error (keeping its class, e.g.
 * ScrConfigError with its problems), and the others throw the agreed summary. */
async function agreeKeepingMine(comm: Comm, step: string, mine: unknown): Promise<void> {
  try {
    await agree(comm, step, outcomeOf(mine));
  } catch (e) {
    throw mine ?? e;
  }
}
