// Protection in the background (SCR_ENCODE_ASYNC=1). completeOutput() records the dataset
// complete but unprotected (rec.protected = false) and starts its redundancy encode (dataset.ts
// protect: the ring, the CRC32s in its pass, the file maps and redundancy records) on a
// duplicate of the set's communicator, so its messages never mix with the application's or the
// library's other collectives. The next collective call (settleEncode, first thing in every
// collective API call and in finalize) waits for it, agrees on its outcome across the job, and
// records the dataset protected in the cache index; a failed encode is reported as a synchronous
// one is, and the dataset is deleted from cache. Until then Session.restartable() leaves the
// dataset out, so output.ts keeps the previous protected checkpoint (lastGoodCopy), and a restart
// after a failure drops it (restore-unprotected.ts) and uses that one.
import type { DatasetRecord, FileEntry } from '../cache/records.js';
import type { CkptDescriptor } from '../config/resolve.js';
import type { Comm } from '../mpi/index.js';
import { agree, outcomeOf } from './agree.js';
import type { Context, SetPlace } from './context.js';
import { protect, recordDataset } from './dataset.js';
import { logEvent } from './log.js';
import type { Session } from './session.js';

interface Pending {
  rec: DatasetRecord;
  /** Starts the encode (once); its outcome. */
  run: () => Promise<{ error: Error | null; redundancyBytes: number }>;
  done: Promise<{ error: Error | null; redundancyBytes: number }> | null;
  startedAt: number;
}

/** The encode each session has running (at most one: every collective call settles it first). */
const pending = new WeakMap<Session, Pending>();
/** The duplicate of each set communicator, per context (made on first use, freed at close). */
const dups = new WeakMap<Context, Map<Comm, Comm>>();

/** The dataset whose encode is running, or null. */
export function pendingEncode(s: Session): DatasetRecord | null {
  return pending.get(s)?.rec ?? null;
}

/** Whether completeOutput() should leave this dataset's encode to the background. */
export function encodeInBackground(ctx: Context, bypass: boolean, flushDue: boolean): boolean {
  // A bypass dataset is on the file system already; a dataset flushed now waits for its encode.
  return ctx.cfg.bool('SCR_ENCODE_ASYNC') && !bypass && !flushDue;
}

/** Collective over the set (the first time per set: the duplicate is made). */
async function dupOf(ctx: Context, place: SetPlace): Promise<Comm> {
  let map = dups.get(ctx);
  if (!map) dups.set(ctx, (map = new Map()));
  let comm = map.get(place.comm);
  if (!comm) map.set(place.comm, (comm = await place.comm.dup()));
  return comm;
}

/** Prepares the encode of `rec` (recorded complete and unprotected by the caller): collective
 * over the set for the duplicate only. It starts with kickEncode, when completeOutput returns, so
 * the call's own last collectives do not wait behind it. */
export async function startEncode(s: Session, rec: DatasetRecord, d: CkptDescriptor, files: FileEntry[]): Promise<void> {
  const ctx = s.ctx;
  const place = await ctx.setsFor(d);
  const comm = await dupOf(ctx, place);
  // protect() takes the set from ctx.setsFor: this view of the context hands it the duplicate.
  const view = Object.create(ctx, { setsFor: { value: async () => ({ ...place, comm }) } }) as Context;
  const run = () => protect(view, rec, d, files, false).catch((e: unknown) => ({ error: e instanceof Error ? e : new Error(String(e)), redundancyBytes: 0 }));
  pending.set(s, { rec, run, done: null, startedAt: performance.now() });
}

/** Starts the prepared encode, if any (local; every rank of the set starts it alike). */
export function kickEncode(s: Session): void {
  const p = pending.get(s);
  if (p && !p.done) p.done = p.run();
}

/** Completes the running encode, if any (collective over the job): agree on it, then record the
 * dataset protected (and evict what was kept for want of a protected checkpoint), or delete it. */
export async function settleEncode(s: Session, evictDeferred: (s: Session) => Promise<void>): Promise<void> {
  const p = pending.get(s);
  if (!p) return;
  pending.delete(s);
  const ctx = s.ctx;
  const { rec } = p;
  const { error } = await (p.done ?? p.run());
  const waited = (performance.now() - p.startedAt) / 1000;
  let why: string | null = null;
  try {
    await agree(ctx.comm, `applying redundancy to ${rec.name} in the background (SCR_ENCODE_ASYNC=1)`, outcomeOf(error));
    rec.protected = true;
    let recErr: unknown = null;
    try { await recordDataset(ctx, rec); } catch (e) { recErr = e; }
    await agree(ctx.comm, `recording ${rec.name} as protected in the cache index`, outcomeOf(recErr));
  } catch (e) { why = (e as Error).message; }
  if (why !== null) {
    ctx.warn(`${why}; the dataset is deleted from cache${s.restartable()[0] ? `, and ${s.restartable()[0]!.name} stays the checkpoint to restart from` : ''}`);
    await s.drop(rec);
    s.deferred.clear(); // the datasets kept for want of a protected one stay
    return;
  }
  ctx.debug(1, `${rec.name} is protected (its background encode ended ${waited.toFixed(3)} s after completeOutput)`);
  await logEvent(ctx, 'PROTECTED', { name: rec.name, id: rec.id, seconds: waited });
  await evictDeferred(s);
}

/** At finalize, after settleEncode: frees the duplicate communicators (collective per set). */
export async function freeEncodeComms(ctx: Context): Promise<void> {
  const map = dups.get(ctx);
  if (!map) return;
  dups.delete(ctx);
  for (const c of map.values()) await c.free();
}
