// What one init() holds until finalize(): the context, the datasets in cache, the next dataset id,
// the queue of asynchronous flushes, the checkpoint policy (rank 0), and the halt checks. The
// engines (output.ts, restart.ts, named.ts, flush-queue.ts) work on a Session; the public API
// (library.ts) owns the state machine and hands each call to its engine.
import type { DatasetRecord } from '../cache/records.js';
import { CheckpointPolicy, haltReason, readHalt, type HaltRecord } from '../halt/index.js';
import type { Context } from './context.js';
import { removeDataset } from './dataset.js';
import { FlushQueue } from './flush-queue.js';

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

  constructor(readonly ctx: Context) {
    this.flushes = new FlushQueue(ctx);
  }

  /** Datasets in cache, newest first, that a restart may use. */
  restartable(): DatasetRecord[] {
    return [...this.datasets.values()].filter((r) => r.complete && !r.failed && r.flags.checkpoint).sort((a, b) => b.id - a.id);
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

  /** Why the job should stop now, or null (SPEC §7). */
  haltReason(halt: HaltRecord): string | null {
    const cfg = this.ctx.cfg;
    return haltReason(halt, { now: Date.now() / 1000, endTime: cfg.optInt('SCR_END_TIME'), haltSeconds: cfg.int('SCR_HALT_SECONDS') });
  }
}
