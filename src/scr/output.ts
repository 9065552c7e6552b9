// The output phase (SPEC §2 startOutput, routeFile, completeOutput): open a dataset in cache,
// route the application's files into it, then check what every rank wrote, apply redundancy,
// record it, and run the flush policy. Arguments were checked and agreed by the caller.
import { mkdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { DatasetRecord } from '../cache/records.js';
import type { CkptDescriptor } from '../config/resolve.js';
import { agree, agreeKeepingMine, outcomeOf } from './agree.js';
import type { Context } from './context.js';
import { createDatasetDir, dirOf, protect, recordDataset, type Routed, statRouted } from './dataset.js';
import { encodeInBackground, pendingEncode, startEncode } from './encode-async.js';
import { CODES, ScrError } from './errors.js';
import { logEvent } from './log.js';
import { OutputTimer } from './output-timing.js';
import { removeStaged, stagePath } from '../pfs/commit.js';
import { sameNameOnNode } from './same-name.js';
import { nearlyFull, type Room, roomIn } from './space.js';
import { humanBytes } from '../common/bytes.js';
import type { Session } from './session.js';

/** An open output phase. */
export interface OutputPhase {
  rec: DatasetRecord;
  descriptor: CkptDescriptor;
  routed: Routed[];
  bypass: boolean;
  startedAt: number;
  /** Rank 0's timing of the phase (the event log, SCR_DEBUG). */
  timer: OutputTimer;
}

/** Timings of the last completed output phase, for benchmarks and the log. */
export interface OutputStats {
  id: number;
  bytes: number;
  redundancyBytes: number;
  /** Seconds spent applying redundancy (and CRCs) on this rank (0 when it runs in the background). */
  protectSeconds: number;
  /** The encode runs in the background (SCR_ENCODE_ASYNC=1): redundancyBytes is not known yet. */
  background?: boolean;
}

export function newRecord(ctx: Context, id: number, name: string | null, flags: { checkpoint: boolean; output: boolean }): DatasetRecord {
  return { id, name: name ?? `scr.dataset.${id}`, flags, created: Date.now(), store: '', descriptor: 0, ranks: ctx.size, complete: false, prefix: ctx.prefix };
}

/** Opens dataset `rec` in cache (collective). */
export async function startOutput(s: Session, rec: DatasetRecord, calledAt = performance.now()): Promise<OutputPhase> {
  const ctx = s.ctx;
  const d = ctx.cfg.descriptorFor(rec.id, { checkpoint: rec.flags.checkpoint, output: rec.flags.output });
  rec.store = d.store;
  rec.descriptor = d.index;
  if (d.bypass) rec.bypass = true;
  await s.flushes.progress();
  let err: unknown = null;
  try {
    await ctx.setsFor(d); // forms this descriptor's sets (a GROUPS error shows here, on every rank)
    await evictFor(s, d);
    // Recorded incomplete at once: at restart, an incomplete dataset of this prefix is removed
    // (the job stopped while writing it); one of another prefix is left alone.
    await createDatasetDir(ctx, rec);
    await recordDataset(ctx, rec);
  } catch (e) { err = e; }
  await agreeKeepingMine(ctx.comm, `startOutput(): preparing ${rec.name}`, err);
  if (ctx.rank === 0 && rec.flags.checkpoint) s.policy!.checkpointStarted();
  await logEvent(ctx, 'START', { name: rec.name, id: rec.id, flags: [rec.flags.checkpoint ? 'C' : '', rec.flags.output ? 'O' : ''].join('') || '-' });
  const timer = new OutputTimer(calledAt);
  const startedAt = performance.now();
  timer.started(startedAt);
  return { rec, descriptor: d, routed: [], bypass: d.bypass, startedAt, timer };
}

/** Evicts the oldest cached datasets beyond the store's and the descriptor's COUNT. Never the
 * last good copy before the new one is durable: the newest checkpoint not on the file system, and
 * an output not on the file system (its flush is retried first), are kept until the dataset being
 * started is complete (s.deferred; completeOutput evicts them then). */
async function evictFor(s: Session, d: CkptDescriptor): Promise<void> {
  const ctx = s.ctx;
  const storeCount = ctx.cfg.stores.find((x) => x.path === d.store)?.count ?? ctx.cfg.int('SCR_CACHE_SIZE');
  const live = () => [...s.datasets.values()].filter((r) => !s.deferred.has(r.id));
  const inStore = () => live().filter((r) => r.store === d.store).sort((a, b) => a.id - b.id);
  const inDesc = () => live().filter((r) => r.descriptor === d.index).sort((a, b) => a.id - b.id);
  // The previous eviction's deletion must be over before more data comes in.
  await ctx.settleDeletes();
  while (inStore().length >= storeCount || (d.count !== null && inDesc().length >= d.count)) {
    const victim = inStore().length >= storeCount ? inStore()[0]! : inDesc()[0]!;
    // Never evict a dataset while it is being flushed: finish its flush first.
    if (s.flushes.has(victim.id)) await s.flushes.progress(victim.id);
    if (victim.flags.output && !victim.flushed && !victim.bypass) await s.flushes.flush(victim);
    if (lastGoodCopy(s, victim)) {
      s.deferred.add(victim.id);
      ctx.debug(1, `keeping ${victim.name} in ${victim.store} until the next dataset is complete: it is not on the file system`);
      continue;
    }
    await s.drop(victim, { background: true });
    ctx.debug(1, `evicted ${victim.name} from ${victim.store}`);
  }
}

/** Whether a cached dataset is a last good copy: the newest checkpoint, or an output, that is not
 * on the file system. */
function lastGoodCopy(s: Session, rec: DatasetRecord): boolean {
  if (rec.flushed || rec.bypass) return false;
  return rec.flags.output || rec === s.restartable()[0];
}

/** After a dataset completed: the evictions startOutput deferred happen now, for those that are no
 * longer a last good copy (a newer checkpoint is complete; an output was flushed meanwhile). While
 * the new checkpoint's encode runs in the background (encode-async.ts), the previous protected
 * one is still the last good copy: it stays deferred, and this runs again once the encode is
 * settled. */
export async function evictDeferred(s: Session): Promise<void> {
  const waiting = pendingEncode(s) !== null;
  for (const id of [...s.deferred]) {
    const rec = s.datasets.get(id);
    if (rec && !lastGoodCopy(s, rec)) {
      await s.drop(rec, { background: true });
      s.deferred.delete(id);
    } else if (!waiting || !rec) s.deferred.delete(id);
  }
}

/** routeFile() in an output phase: where to write `path` (local). */
export function routeOutput(ctx: Context, out: OutputPhase, path: string): string {
  const abs = resolve(path);
  const rel = relative(ctx.prefix, abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new ScrError(`routeFile(${path}): the file must lie under SCR_PREFIX (${ctx.prefix}), where it is flushed to; set SCR_PREFIX or write it below the prefix`, CODES.ROUTE);
  }
  const name = basename(abs);
  const same = out.routed.find((r) => r.name === name);
  if (same && same.path !== abs) {
    throw new ScrError(`routeFile(${path}): ${same.path} of this dataset has the same file name "${name}"; files of one dataset on one rank are cached by name, so give them distinct names`, CODES.DUPLICATE);
  }
  if (!same) out.routed.push({ name, path: abs });
  if (out.bypass) {
    // Straight to the file system, but under the staging name until the dataset is complete and
    // recorded: a checkpoint that reuses its paths never damages the previous one in place.
    mkdirSync(dirname(abs), { recursive: true });
    return stagePath(abs, out.rec.id);
  }
  return join(dirOf(ctx, out.rec), name);
}

/** completeOutput(valid) once arguments are agreed (collective). Resolves to whether the dataset
 * is complete, with its stats; a failed dataset is deleted from cache. */
export async function completeOutput(s: Session, out: OutputPhase, valid: boolean, calledAt = performance.now()): Promise<{ ok: boolean; stats?: OutputStats }> {
  const ctx = s.ctx;
  const comm = ctx.comm;
  const rec = out.rec;
  const timer = out.timer;
  timer.completing(calledAt);
  const fail = async (why: string | null) => {
    if (why) ctx.warn(`${why}; the dataset is deleted from cache`);
    await s.drop(rec);
    if (rec.bypass) await removeStaged(out.routed, rec.id).catch(() => undefined);
    s.deferred.clear(); // the datasets kept for want of a new one stay
    if (ctx.rank === 0 && rec.flags.checkpoint) s.policy!.checkpointCompleted();
    return { ok: false };
  };
  let files = null;
  let localErr: unknown = null;
  if (valid) {
    try { files = await statRouted(ctx, rec, out.routed, out.bypass); } catch (e) { localErr = e; }
  }
  // Ranks of one node share the dataset's cache directory: two of them routing the same file
  // name would have written one file. Found here, on every rank alike.
  const clash = out.bypass ? null : await sameNameOnNode(ctx, out.routed);
  if (clash) {
    await fail(null);
    throw new ScrError(`completeOutput(): ${clash}; files of one dataset share a cache directory per node, so their names must differ across the node's ranks (e.g. put the rank in the name). The dataset was deleted.`, CODES.DUPLICATE);
  }
  if (localErr && ctx.rank === 0) ctx.warn((localErr as Error).message);
  const complete = await comm.allreduce(valid && !localErr, 'LAND');
  if (!complete) {
    if (localErr) process.stderr.write(`scr: rank ${ctx.rank}: ${(localErr as Error).message}\n`);
    await noteFullStore(s, rec);
    return fail(null);
  }
  // Every output dataset reaches the file system; checkpoints every SCR_FLUSH-th id; a bypass
  // dataset, already there under its staging names, is always recorded and put in place.
  const every = ctx.cfg.int('SCR_FLUSH');
  const flushDue = !!rec.bypass || rec.flags.output || (rec.flags.checkpoint && every > 0 && rec.id % every === 0);
  const background = encodeInBackground(ctx, out.bypass, flushDue);
  const t0 = performance.now();
  timer.step('checks', t0);
  let redundancyBytes = 0;
  // In the background, the encode writes the file maps (with the CRC32s of its pass) and the
  // redundancy records; until it is settled the cache index says the dataset is unprotected, and a
  // restart drops it whatever files it finds (restore-unprotected.ts).
  if (!background) {
    const res = await protect(ctx, rec, out.descriptor, files!, out.bypass);
    redundancyBytes = res.redundancyBytes;
    try {
      await agree(comm, `completeOutput(): applying redundancy to ${rec.name}`, outcomeOf(res.error));
    } catch (e) {
      return fail((e as Error).message);
    }
  }
  const protectSeconds = background ? 0 : (performance.now() - t0) / 1000;
  if (!background) timer.step('redundancy');
  const bytes = files!.reduce((a, f) => a + f.size, 0);
  const totals = await comm.allreduce(Float64Array.of(bytes, files!.length), 'SUM');
  rec.complete = true;
  rec.bytes = totals[0]!;
  rec.files = totals[1]!;
  if (background) rec.protected = false;
  let recErr: unknown = null;
  try { await recordDataset(ctx, rec); } catch (e) { recErr = e; }
  try {
    await agree(comm, `completeOutput(): recording ${rec.name} in the cache index`, outcomeOf(recErr));
  } catch (e) {
    return fail((e as Error).message);
  }
  timer.step('record');
  s.datasets.set(rec.id, rec);
  if (background) await startEncode(s, rec, out.descriptor, files!);
  await evictDeferred(s);
  if (ctx.rank === 0 && rec.flags.checkpoint) s.policy!.checkpointCompleted();
  const t = timer.totals();
  await logEvent(ctx, rec.flags.checkpoint ? 'CHECKPOINT' : 'OUTPUT', { name: rec.name, id: rec.id, bytes: rec.bytes, seconds: (performance.now() - out.startedAt) / 1000, files: rec.files },
    { write: t.write, redundancy: t.steps.get('redundancy') ?? 0, blocking: t.blocking });
  timer.step('record');
  if (flushDue) await s.flushes.flush(rec);
  await s.flushes.progress();
  timer.step('flush');
  if (ctx.rank === 0) ctx.debug(1, timer.line(`${rec.flags.checkpoint ? 'checkpoint' : 'output'} ${rec.name} (id ${rec.id})`, rec.bytes, rec.files, background ? `${out.descriptor.type}, in the background` : out.descriptor.type));
  return { ok: true, stats: { id: rec.id, bytes, redundancyBytes, protectSeconds, ...(background ? { background } : {}) } };
}

/** When a dataset is not complete and its store is (nearly) full on some node, says so: the
 * application probably could not write its files there (collective, only on this path). */
async function noteFullStore(s: Session, rec: DatasetRecord): Promise<void> {
  const ctx = s.ctx;
  const room = ctx.nodeLeader && !rec.bypass ? await roomIn(rec.store) : null;
  const full = ((await ctx.comm.allgatherObject(nearlyFull(room) ? { node: ctx.node, room: room! } : null)) as Array<{ node: string; room: Room } | null>).filter((x) => x !== null);
  if (!full.length) return;
  const prev = s.restartable()[0];
  const perNode = prev?.bytes ? prev.bytes / Math.max(1, new Set(ctx.nodeOf).size) : 0;
  ctx.warn(`${rec.name} is not complete, and the cache store ${rec.store} is full on node${full.length > 1 ? 's' : ''} ${full.map((f) => `${f.node} (${humanBytes(f.room.free)} free of ${humanBytes(f.room.total)})`).join(', ')}: ` +
    `the application probably could not write its files (ENOSPC). ${prev ? `The previous checkpoint, ${prev.name}, is kept (about ${humanBytes(perNode)} per node, plus redundancy). ` : ''}` +
    'Give the cache more room (a larger SCR_CACHE_BASE or STORE=), keep fewer datasets in it (SCR_CACHE_SIZE), or choose a scheme that stores less (SCR_COPY_TYPE)');
}
