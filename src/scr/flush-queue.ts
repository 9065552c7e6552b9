// The library's flushes (SPEC §6): synchronous ones run at once; with SCR_FLUSH_ASYNC=1 a flush
// starts its local copies in the background and is finished collectively at a later API call,
// once every rank's copy is done. A failed flush is a warning: the dataset stays in cache.
import type { DatasetRecord, FileEntry } from '../cache/records.js';
import type { Context } from './context.js';
import { finishFlush, flushDataset, flushLocal, startFlush } from './flush.js';

/** An asynchronous flush whose local copy runs in the background. */
interface PendingFlush {
  rec: DatasetRecord;
  t0: number;
  done: boolean;
  files: FileEntry[];
  error: unknown;
  promise: Promise<void>;
}

export class FlushQueue {
  readonly #pending = new Map<number, PendingFlush>();

  constructor(readonly ctx: Context) {}

  /** Whether an asynchronous flush of this dataset is still to be finished. */
  has(id: number): boolean {
    return this.#pending.has(id);
  }

  /** Flushes a dataset (collective): synchronously, or in the background with SCR_FLUSH_ASYNC=1.
   * Resolves to false when the flush failed (warned about; the dataset stays in cache). */
  async flush(rec: DatasetRecord): Promise<boolean> {
    const ctx = this.ctx;
    if (this.#pending.has(rec.id) || rec.flushed) return true;
    try {
      if (!ctx.cfg.bool('SCR_FLUSH_ASYNC')) {
        await flushDataset(ctx, rec);
        return true;
      }
      const t0 = performance.now();
      await startFlush(ctx, rec);
      const job: PendingFlush = { rec, t0, done: false, files: [], error: null, promise: Promise.resolve() };
      job.promise = flushLocal(ctx, rec, { marker: true }).then((f) => { job.files = f; }, (e: unknown) => { job.error = e; }).finally(() => { job.done = true; });
      this.#pending.set(rec.id, job);
      return true;
    } catch (e) {
      ctx.warn(`${(e as Error).message}; ${rec.name} stays in cache only`);
      return false;
    }
  }

  /** Finishes asynchronous flushes whose copies are done on every rank (collective: called at
   * the same API calls on every rank). `wait`: an id to wait for, or 'all'. */
  async progress(wait: number | 'all' | null = null): Promise<void> {
    const ctx = this.ctx;
    for (const job of [...this.#pending.values()].sort((a, b) => a.rec.id - b.rec.id)) {
      if (wait === 'all' || wait === job.rec.id) await job.promise;
      if (!(await ctx.comm.allreduce(job.done, 'LAND'))) continue;
      this.#pending.delete(job.rec.id);
      try {
        await finishFlush(ctx, job.rec, job.files, job.error, job.t0);
      } catch (e) {
        ctx.warn(`${(e as Error).message}; ${job.rec.name} stays in cache only`);
      }
    }
  }

  /** Finishes any asynchronous flush of datasets with this name (before they are dropped). */
  async settleName(name: string): Promise<void> {
    for (const job of [...this.#pending.values()].filter((j) => j.rec.name === name)) await this.progress(job.rec.id);
  }
}
