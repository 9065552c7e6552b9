// What one init() holds until finalize(): the context, the datasets in cache, the next dataset id,
// the queue of asynchronous flushes, the checkpoint policy (rank 0), and the halt checks. The
// engines (output.ts, restart.ts, named.ts, flush-queue.ts) work on a Session; the public API
// (library.ts) owns the state machine and hands each call to its engine.
import type { DatasetRecord } from '../cache/records.js';
import { CheckpointPolicy, haltReason, readHalt, type HaltRecord } from '../halt/index.js';
import type { Context } from './context.js';
import { removeDataset } from './dataset.js';
import { FlushQueue } from './flush-queue.js';
import { logEvent } from './log.js';
import type { TermWatch } from './term.js';

export class Session {
  /** Complete datasets in this node's cache (the same list on every rank), by id. */
  readonly datasets = new Map<number, DatasetRecord>();
  readonly flushes: FlushQueue;
  /** The id the next startOutput takes. */
  nextId = 1;
  /** Set by current(): the checkpoint to restart from when it is in cache. */
  currentName: string | null = null;
  /** Datasets to evict once the dataset being written is complete (see output.ts evictFor). */
  readonly deferred = new Set<number>();
  /** Checkpoints the application rejected with completeRestart(false) in this run, and whether
   * each was kept (on the file system, marked failed) or deleted (only in cache). */
  readonly rejected: Array<{ name: string; kept: boolean }> = [];
  /** init dropped cached datasets it could not restore. */
  droppedAtInit = false;
  /** needCheckpoint's policy; decided on rank 0 and broadcast. */
  policy: CheckpointPolicy | null = null;
  /** The SIGTERM watch (SCR_HALT_ON_TERM=1, term.ts), or null. */
  term: TermWatch | null = null;
  /** Epoch ms of the earliest SIGTERM on any rank, once the ranks agreed that one arrived. */
  termAt: number | null = null;
  /** A checkpoint completed after the ranks agreed on a SIGTERM. */
  termCheckpointed = false;
  /** The checkpoint flushForTerm() put on the file system. */
  #termKept: number | null = null;

  constructor(readonly ctx: Context) {
    this.flushes = new FlushQueue(ctx);
  }

  /** Datasets in cache, newest first, that a restart may use (protected ones: encode-async.ts). */
  restartable(): DatasetRecord[] {
    return [...this.datasets.values()].filter((r) => r.complete && !r.failed && r.flags.checkpoint && r.protected !== false).sort((a, b) => b.id - a.id);
  }

  /** Forgets a dataset and deletes this node's part; a failure to delete is only warned about
   * (the next init removes leftovers), so it cannot split the ranks. */
  async drop(rec: DatasetRecord, opts: { background?: boolean } = {}): Promise<void> {
    this.datasets.delete(rec.id);
    try {
      await removeDataset(this.ctx, rec, opts);
    } catch (e) {
      process.stderr.write(`scr: warning: rank ${this.ctx.rank}: deleting ${rec.name}: ${(e as Error).message}\n`);
    }
  }

  /** The halt file on rank 0; an unreadable one is warned about and read as empty. */
  async readHaltSafely(): Promise<HaltRecord> {
    try {
      return await readHalt(this.ctx.prefix);
    } catch (e) {
      this.ctx.warn(`halt file unreadable, ignored: ${(e as Error).message}`);
      return {};
    }
  }

  /** Collective: whether a SIGTERM arrived on any rank (SCR_HALT_ON_TERM). One reduction per
   * call until it has; once agreed it stays, on every rank alike, and costs nothing more. */
  async termAgreed(): Promise<boolean> {
    if (!this.term) return false;
    if (this.termAt !== null) return true;
    const none = Number.MAX_SAFE_INTEGER;
    const at = await this.ctx.comm.allreduce(this.term.at ?? none, 'MIN');
    if (at === none) return false;
    this.termAt = at;
    this.ctx.note(`SIGTERM (scancel, preemption, or a launcher passing it on): halting (SCR_HALT_ON_TERM=1): shouldExit() is true; the newest checkpoint goes to ${this.ctx.prefix} at the next completeOutput() or at finalize()`);
    await logEvent(this.ctx, 'HALT', { reason: JSON.stringify('SIGTERM') });
    return true;
  }

  /** Collective, after a SIGTERM was agreed: the newest checkpoint reaches the file system now,
   * synchronously and whatever SCR_FLUSH says (the caches go with the allocation). Says how long
   * after the signal it was done. */
  async flushForTerm(): Promise<void> {
    const ctx = this.ctx;
    const newest = this.restartable()[0];
    if (newest && newest.id === this.#termKept) return; // said already (completeOutput, then finalize)
    if (!newest) {
      ctx.note('SIGTERM: there is no checkpoint to keep');
      return;
    }
    if (!newest.flushed) await this.flushes.flush(newest);
    await this.flushes.progress('all');
    const after = ((Date.now() - (this.termAt ?? Date.now())) / 1000).toFixed(1);
    if (newest.flushed) this.#termKept = newest.id;
    if (newest.flushed) ctx.note(`SIGTERM: the newest checkpoint, ${newest.name} (id ${newest.id}), is on the file system under ${ctx.prefix} (${after} s after the signal)`);
    else ctx.warn(`SIGTERM: the newest checkpoint, ${newest.name} (id ${newest.id}), could not be flushed (see above) and stays only in the node caches: run \`scr postrun\` in this allocation if it is still there`);
  }

  /** Why the job should stop now, or null (SPEC §7). */
  haltReason(halt: HaltRecord): string | null {
    const cfg = this.ctx.cfg;
    return haltReason(halt, { now: Date.now() / 1000, endTime: cfg.optInt('SCR_END_TIME'), haltSeconds: cfg.int('SCR_HALT_SECONDS') });
  }
}
