// Fetch (SPEC §2 haveRestart, §6): when the cache has no checkpoint to restart from, copy one
// from the file system into cache, checking every file's CRC, and protect it with the descriptor's
// redundancy. Candidates come from the index: SCR_CURRENT, else the current marker, else the
// newest, then older ones.
// Only a fault of the checkpoint itself — a file missing, of the wrong size, or with another CRC,
// or its rank map gone — marks it failed (with why) and moves on to an older one. A failure of
// this job's own side — no room or no permission in a node's cache, an I/O error writing there —
// does not: the checkpoint is then read in place from the file system instead, and if even that
// fails for such a reason the next older one is tried without marking anything.
// With SCR_FETCH_BYPASS (or another rank count) the files are read in place from the start.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetRecord, FileEntry } from '../cache/records.js';
import { applyFileMetadata, writeFilemap } from '../cache/records.js';
import { copyFileCrc, crcFile } from '../kernels/index.js';
import { readablePath } from '../pfs/commit.js';
import { type Failure, type IndexEntry, markFailed, readIndex, readRankMap, restartCandidates } from '../pfs/index.js';
import type { Context } from './context.js';
import { dirOf, protect, recordDataset, removeDataset } from './dataset.js';
import { logEvent } from './log.js';
import { isNoSpace, noSpaceError } from './space.js';

/** A file to restart from, read where it is (readAt: its path, or its staged copy). */
export interface PlacedFile extends FileEntry {
  readAt: string;
}

export interface Fetched {
  rec: DatasetRecord;
  /** Read in place, not copied into cache: the files this rank may route (every rank's, for a
   * checkpoint of another rank count). */
  inPlace?: PlacedFile[];
}

/** What one rank found: fine, a fault of the checkpoint, or a problem of its own side. */
type Outcome = { ok: true } | { ok: false; message: string; fault: Failure | null };

class Fault extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

const hex = (n: number) => n.toString(16).padStart(8, '0');

function fault(check: Failure['check'], rank: number, file: string, message: string): Fault {
  return new Fault({ check, rank, file, message, at: Date.now() });
}

function outcomeOf(e: unknown): Outcome {
  if (e === null || e === undefined) return { ok: true };
  if (e instanceof Fault) return { ok: false, message: e.message, fault: e.failure };
  return { ok: false, message: (e as Error).message ?? String(e), fault: null };
}

/** Checks (and with `to`, copies) one file of the checkpoint; a fault of the file throws Fault. */
async function takeFile(ctx: Context, name: string, f: FileEntry, from: string, to: string | null): Promise<void> {
  const check = ctx.cfg.bool('SCR_CRC_ON_FLUSH') && f.crc !== null;
  let got: { bytes: number; crc: number };
  try {
    if (to) got = await copyFileCrc(from, to, { bufSize: ctx.fileBufSize, fsync: false });
    else if (check) got = await crcFile(from, { bufSize: ctx.fileBufSize });
    else return;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // A source that is not there is the checkpoint's fault; anything else (the cache side, or a
    // permission or I/O error on the file system) is not.
    if (err.code === 'ENOENT' && err.path === from) throw fault('missing', ctx.rank, f.path, `fetching ${name}: ${f.path} is missing`);
    throw err;
  }
  if (got.bytes !== f.size) throw fault('size', ctx.rank, f.path, `fetching ${name}: ${f.path} has ${got.bytes} bytes, ${f.size} were flushed`);
  if (check && got.crc !== f.crc) {
    throw fault('crc', ctx.rank, f.path, `fetching ${name}: ${f.path} has CRC32 ${hex(got.crc)}, but ${hex(f.crc!)} was recorded when it was flushed: the file is damaged`);
  }
}

/** This rank's files into its cache (`copy`), or checked where they are. */
async function takeMine(ctx: Context, rec: DatasetRecord, files: FileEntry[], copy: boolean): Promise<PlacedFile[]> {
  const out: PlacedFile[] = [];
  const dir = dirOf(ctx, rec);
  if (copy) await mkdir(join(dir, '.scr'), { recursive: true, mode: 0o700 });
  try {
    for (const f of files) {
      const from = await readablePath(f, rec.id);
      const to = copy ? join(dir, f.name) : null;
      await takeFile(ctx, rec.name, f, from, to);
      if (to) await applyFileMetadata(to, f);
      out.push({ ...f, readAt: from });
    }
    if (copy) await writeFilemap(dir, { dataset: rec.id, rank: ctx.rank, files });
  } catch (e) {
    if (!isNoSpace(e)) throw e;
    throw await noSpaceError(e, { what: `fetching ${rec.name}`, store: rec.store, node: ctx.node, need: files.reduce((a, f) => a + f.size, 0) });
  }
  return out;
}

/** Every rank's outcome, and the first problem. */
async function gatherOutcomes(ctx: Context, mine: Outcome): Promise<{ ok: boolean; fault: Failure | null; first: string }> {
  if (await ctx.comm.allreduce(mine.ok, 'LAND')) return { ok: true, fault: null, first: '' };
  const all = (await ctx.comm.allgatherObject(mine)) as Outcome[];
  const bad = all.map((o, r) => ({ o, r })).filter((x): x is { o: Extract<Outcome, { ok: false }>; r: number } => !x.o.ok);
  const withFault = bad.find((x) => x.o.fault);
  const first = withFault ?? bad[0]!;
  return { ok: false, fault: withFault?.o.fault ?? null, first: `rank ${first.r}: ${first.o.message}${bad.length > 1 ? ` (and ${bad.length - 1} more rank(s))` : ''}` };
}

async function markBad(ctx: Context, cand: IndexEntry, failure: Failure, why: string): Promise<void> {
  ctx.warn(`${why}; marking ${cand.name} failed and trying an older checkpoint (if the file is repaired, \`scr index --unfail ${cand.name}\` clears the mark)`);
  if (ctx.rank === 0) {
    await markFailed(ctx.prefix, cand.id, failure, (m) => ctx.warn(m)).catch((e: Error) => ctx.warn(`could not mark ${cand.name} failed: ${e.message}`));
    await logEvent(ctx, 'FAILED', { name: cand.name, id: cand.id, why: JSON.stringify(failure.message) });
  }
}

/** A checkpoint written by a different number of ranks (SCR cannot restart from one, its issue
 * #535): nothing is copied; the ranks check the files between them, read in place. */
async function openOtherRankCount(ctx: Context, cand: IndexEntry, rec: DatasetRecord, ranks: FileEntry[][]): Promise<PlacedFile[] | 'fault' | 'skip'> {
  const all = ranks.flat();
  const placed: PlacedFile[] = await Promise.all(all.map(async (f) => ({ ...f, readAt: await readablePath(f, rec.id) })));
  let err: unknown = null;
  try {
    for (let i = ctx.rank; i < placed.length; i += ctx.size) await takeFile(ctx, rec.name, placed[i]!, placed[i]!.readAt, null);
  } catch (e) { err = e; }
  const res = await gatherOutcomes(ctx, outcomeOf(err));
  if (res.ok) return placed;
  if (res.fault) { await markBad(ctx, cand, res.fault, `opening ${cand.name} (written by ${cand.ranks} ranks) in place failed on ${res.first}`); return 'fault'; }
  ctx.warn(`could not read ${cand.name} in place (${res.first}); it is not marked failed; trying an older checkpoint`);
  return 'skip';
}

/** Collective: the fetched checkpoint, or null if none could be fetched (`tried` counts the
 * candidates that failed). */
export async function fetchCheckpoint(ctx: Context, wanted: string | null, tried = { count: 0 }): Promise<Fetched | null> {
  let candidates: IndexEntry[] = [];
  if (ctx.rank === 0) {
    try {
      candidates = restartCandidates(await readIndex(ctx.prefix, (m) => ctx.warn(m)), 'any', wanted);
    } catch (e) {
      ctx.warn(`cannot read the index of ${ctx.prefix}: ${(e as Error).message}; nothing is fetched`);
    }
  }
  candidates = await ctx.comm.bcastObject(candidates, 0);
  for (const cand of candidates) {
    tried.count++;
    const t0 = performance.now();
    const d = ctx.cfg.descriptorFor(cand.id, { checkpoint: true });
    const rec: DatasetRecord = {
      id: cand.id, name: cand.name, flags: cand.flags, created: cand.created, store: d.store, descriptor: d.index,
      ranks: cand.ranks, complete: true, flushed: true, bytes: cand.bytes, files: cand.files, prefix: ctx.prefix,
    };
    let map = null;
    if (ctx.rank === 0) map = (await readRankMap(ctx.prefix, cand.id).catch(() => undefined)) ?? null;
    const usable = map && map.ranks.length === cand.ranks ? map.ranks : null;
    if (!(await ctx.comm.bcastObject(usable !== null, 0))) {
      await markBad(ctx, cand, { check: 'rankmap', message: `its rank map in ${ctx.prefix}/.scr/scr.dataset.${cand.id} is missing or damaged`, at: Date.now() }, `${cand.name} has no usable rank map`);
      continue;
    }
    if (cand.ranks !== ctx.size) {
      // Another rank count: the ranks share out every file of the map, so each needs all of it.
      const placed = await openOtherRankCount(ctx, cand, rec, await ctx.comm.bcastObject(usable!, 0));
      if (typeof placed === 'string') continue;
      await logEvent(ctx, 'FETCH', { name: rec.name, id: rec.id, bytes: cand.bytes, seconds: (performance.now() - t0) / 1000, ranks: `${cand.ranks}->${ctx.size}` });
      return { rec: { ...rec, bypass: true }, inPlace: placed };
    }
    // The same rank count: each rank gets only its own files (the map's size grows with the job).
    const mine = await ctx.comm.scatterObject(usable ?? undefined, 0);
    let copy = !ctx.cfg.bool('SCR_FETCH_BYPASS');
    for (;;) {
      let placed: PlacedFile[] = [];
      let err: unknown = null;
      try { placed = await takeMine(ctx, rec, mine, copy); } catch (e) { err = e; }
      let res = await gatherOutcomes(ctx, outcomeOf(err));
      if (res.ok && copy) {
        // Into cache: protected like any checkpoint, and recorded in this node's cache index.
        const p = await protect(ctx, rec, d, mine, false);
        err = p.error;
        if (!err) try { await recordDataset(ctx, rec); } catch (e) { err = e; }
        res = await gatherOutcomes(ctx, outcomeOf(err));
      }
      if (res.ok) {
        await logEvent(ctx, 'FETCH', { name: rec.name, id: rec.id, bytes: cand.bytes, seconds: (performance.now() - t0) / 1000, ...(copy ? {} : { where: JSON.stringify('in place') }) });
        return copy ? { rec } : { rec: { ...rec, bypass: true }, inPlace: placed };
      }
      if (copy) await removeDataset(ctx, rec).catch(() => undefined);
      if (res.fault) { await markBad(ctx, cand, res.fault, `fetching ${cand.name} failed on ${res.first}`); break; }
      if (copy) {
        ctx.warn(`could not copy ${cand.name} into the cache (${res.first}); it is not marked failed, and is read in place from the file system instead`);
        copy = false;
        continue;
      }
      ctx.warn(`could not read ${cand.name} in place (${res.first}); it is not marked failed; trying an older checkpoint`);
      break;
    }
  }
  return null;
}
