// Flush (SPEC §6): copy a cached dataset's files to their paths under SCR_PREFIX, fsync them,
// record the rank→file map and summary, and only then mark the dataset flushed in the index. If
// the job dies half way, the index entry says "not flushed" and no restart will fetch it.
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DatasetRecord, FileEntry, Filemap } from '../cache/records.js';
import { applyFileMetadata, readFilemap } from '../cache/records.js';
import { copyFileCrc, crcFile } from '../kernels/index.js';
import { readMetaFileIfExists, syncDir, writeMetaFile } from '../meta/index.js';
import { type IndexEntry, pfsDatasetDir, readIndex, readRankMap, updateIndex, writeRankMap, writeSummary } from '../pfs/index.js';
import { agree, outcomeOf } from './agree.js';
import type { Context } from './context.js';
import { dirOf } from './dataset.js';
import { CODES, ScrError } from './errors.js';
import { logEvent } from './log.js';

export function indexEntryOf(rec: DatasetRecord, over: Partial<IndexEntry> = {}): IndexEntry {
  return {
    id: rec.id, name: rec.name, flags: rec.flags, created: rec.created, ranks: rec.ranks, complete: false, flushed: false,
    failed: false, bytes: rec.bytes ?? 0, files: rec.files ?? 0, ...over,
  };
}

/** Runs `fn` over items with at most `width` at once. */
async function eachLimited<T>(items: T[], width: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** Copies one cached file to its path on the file system (parent directories created, fsynced,
 * mode and mtime as recorded); resolves to the CRC32 of what was copied. Flush and scavenge. */
export async function copyToPfs(cacheDir: string, f: FileEntry, bufSize: number): Promise<number> {
  await mkdir(dirname(f.path), { recursive: true });
  const { crc } = await copyFileCrc(join(cacheDir, f.name), f.path, { bufSize, fsync: true });
  await applyFileMetadata(f.path, f);
  return crc;
}

/** Copies this rank's files to the file system (or checks them in place, in bypass mode). */
async function flushMine(ctx: Context, rec: DatasetRecord): Promise<FileEntry[]> {
  const dir = dirOf(ctx, rec);
  const map = await readFilemap(dir, ctx.rank);
  if (!map) throw new ScrError(`rank ${ctx.rank} has no file map for ${rec.name} in ${dir}`, CODES.IO);
  const checkCrc = ctx.cfg.bool('SCR_CRC_ON_FLUSH');
  const width = ctx.cfg.str('SCR_FLUSH_TYPE') === 'PTHREAD' ? 4 : 1;
  const dirs = new Set<string>();
  await eachLimited(map.files, width, async (f) => {
    let crc: number;
    if (rec.bypass) {
      if (!checkCrc && f.crc !== null) return;
      crc = (await crcFile(f.path, { bufSize: ctx.fileBufSize })).crc;
    } else {
      crc = await copyToPfs(dir, f, ctx.fileBufSize);
      dirs.add(dirname(f.path));
    }
    if (checkCrc && f.crc !== null && crc !== f.crc) {
      throw new ScrError(`flushing ${rec.name}: ${f.path} has CRC32 ${crc.toString(16)} but ${f.crc.toString(16)} when it was written; the cached copy is damaged`, CODES.IO);
    }
    f.crc = crc;
  });
  for (const d of dirs) await syncDir(d);
  return map.files;
}

/** This rank's durable marker: written once its files are copied and fsynced. With one marker
 * per rank, a flush the job could not finish is completed later from them. */
export function markerPath(prefix: string, id: number, rank: number): string {
  return join(pfsDatasetDir(prefix, id), `flushed.${rank}.scr`);
}

/** Step 1 (collective): the index learns the dataset is being flushed (not yet flushed). */
export async function startFlush(ctx: Context, rec: DatasetRecord): Promise<void> {
  let err: unknown = null;
  if (ctx.rank === 0) {
    try {
      await updateIndex(ctx.prefix, (idx) => { idx.datasets[String(rec.id)] = indexEntryOf(rec); });
      await mkdir(pfsDatasetDir(ctx.prefix, rec.id), { recursive: true, mode: 0o700 });
    } catch (e) { err = e; }
  }
  await agree(ctx.comm, `flushing ${rec.name}: recording it in the index`, outcomeOf(err));
}

/** Step 2 (local, may run in the background): copy and fsync; with `marker` (asynchronous
 * flushes, which may be cut off before the collective finish) also write this rank's marker. */
export async function flushLocal(ctx: Context, rec: DatasetRecord, opts: { marker: boolean }): Promise<FileEntry[]> {
  const files = await flushMine(ctx, rec);
  if (opts.marker) await writeMetaFile(markerPath(ctx.prefix, rec.id, ctx.rank), 'flushmark', { dataset: rec.id, rank: ctx.rank, files } satisfies Filemap);
  return files;
}

/** Step 3 (rank 0): rank map, summary, then the index says flushed; retention. */
export async function finishFlushRecord(prefix: string, rec: { id: number; name: string; flags: { checkpoint: boolean } }, entry: IndexEntry, all: FileEntry[][], prefixSize: number): Promise<void> {
  await mkdir(pfsDatasetDir(prefix, rec.id), { recursive: true, mode: 0o700 });
  await writeRankMap(prefix, rec.id, { ranks: all });
  await writeSummary(prefix, entry);
  await syncDir(pfsDatasetDir(prefix, rec.id));
  const dropped: string[] = [];
  await updateIndex(prefix, (idx) => {
    idx.datasets[String(rec.id)] = entry;
    // The marker only moves forward: an older flush finishing late must not take it back.
    const cur = idx.current ? Object.values(idx.datasets).find((e) => e.name === idx.current) : undefined;
    if (rec.flags.checkpoint && (!cur || cur.id <= rec.id)) idx.current = rec.name;
    dropped.push(...retention(idx, prefixSize));
  });
  for (const id of dropped) await deleteFromPfsByRankMap({ prefix }, Number(id));
  for (let r = 0; r < all.length; r++) await rm(markerPath(prefix, rec.id, r), { force: true });
}

/** Step 3 (collective): agree every rank's copy worked, then record the dataset as flushed. */
export async function finishFlush(ctx: Context, rec: DatasetRecord, files: FileEntry[], localError: unknown, t0: number): Promise<void> {
  await agree(ctx.comm, `flushing ${rec.name}`, outcomeOf(localError));
  const all = await ctx.comm.gatherObject(files, 0);
  let err: unknown = null;
  if (ctx.rank === 0) {
    try {
      await finishFlushRecord(ctx.prefix, rec, indexEntryOf(rec, { complete: true, flushed: true, flushedAt: Date.now() }), all!, ctx.cfg.int('SCR_PREFIX_SIZE'));
    } catch (e) { err = e; }
  }
  await agree(ctx.comm, `flushing ${rec.name}: recording it as flushed`, outcomeOf(err));
  rec.flushed = true;
  await ctx.updateCacheIndex((idx) => { if (idx.datasets[String(rec.id)]) idx.datasets[String(rec.id)]!.flushed = true; }).catch(() => undefined);
  const bytes = await ctx.comm.allreduce(files.reduce((a, f) => a + f.size, 0), 'SUM');
  await logEvent(ctx, 'FLUSH', { name: rec.name, id: rec.id, bytes, seconds: (performance.now() - t0) / 1000 });
}

/** Flushes one cached dataset synchronously (collective). Resolves when it is durable and in
 * the index. */
export async function flushDataset(ctx: Context, rec: DatasetRecord): Promise<void> {
  const t0 = performance.now();
  await startFlush(ctx, rec);
  let files: FileEntry[] = [];
  let err: unknown = null;
  // Synchronous: the finish follows at once, so no markers (each is an fsync on the file system).
  try { files = await flushLocal(ctx, rec, { marker: false }); } catch (e) { err = e; }
  await finishFlush(ctx, rec, files, err, t0);
}

/** Completes flushes the job could not finish (the index says not flushed, but every rank wrote
 * its durable marker): run by the next job's rank 0 at init, and by `scr postrun`. Returns the
 * names completed. No MPI. */
export async function completeFlushesFromMarkers(prefix: string, prefixSize: number): Promise<string[]> {
  const done: string[] = [];
  const idx = await readIndex(prefix);
  for (const e of Object.values(idx.datasets).filter((x) => !x.flushed && !x.failed).sort((a, b) => a.id - b.id)) {
    const all: FileEntry[][] = [];
    for (let r = 0; r < e.ranks; r++) {
      const m = await readMetaFileIfExists<Filemap>(markerPath(prefix, e.id, r), { expectKind: 'flushmark' }).catch(() => undefined);
      if (!m) break;
      all.push(m.files);
    }
    if (all.length !== e.ranks) continue;
    await finishFlushRecord(prefix, e, { ...e, complete: true, flushed: true, flushedAt: Date.now() }, all, prefixSize);
    done.push(e.name);
  }
  return done;
}

/** SCR_PREFIX_SIZE: the ids of flushed checkpoints beyond the newest `keep` (outputs are kept),
 * removed from the index here; their files are deleted by the caller. */
export function retention(idx: { current: string | null; datasets: Record<string, IndexEntry> }, keep: number): string[] {
  if (keep <= 0) return [];
  const ckpts = Object.values(idx.datasets).filter((e) => e.flushed && e.flags.checkpoint && !e.flags.output).sort((a, b) => b.id - a.id);
  const out = ckpts.slice(keep).map((e) => String(e.id));
  for (const id of out) {
    if (idx.current === idx.datasets[id]!.name) idx.current = null;
    delete idx.datasets[id];
  }
  return out;
}

/** Deletes a dataset's files from the file system by its rank map, then its .scr directory, and
 * parent directories the deletion left empty (below the prefix). Run by one rank. */
export async function deleteFromPfsByRankMap(ctx: { prefix: string }, id: number): Promise<void> {
  const map = await readRankMap(ctx.prefix, id).catch(() => undefined);
  const parents = new Set<string>();
  for (const f of map?.ranks.flat() ?? []) {
    await rm(f.path, { force: true });
    parents.add(dirname(f.path));
  }
  await rm(pfsDatasetDir(ctx.prefix, id), { recursive: true, force: true });
  for (let d of [...parents].sort((a, b) => b.length - a.length)) {
    while (d.startsWith(ctx.prefix + '/') && d !== ctx.prefix) {
      try { await rmdir(d); } catch { break; }
      d = dirname(d);
    }
  }
}
