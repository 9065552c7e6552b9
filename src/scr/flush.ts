// Flush (SPEC §6): copy a cached dataset's files to their paths under SCR_PREFIX, fsync them,
// record the rank→file map and summary, and only then mark the dataset flushed in the index. If
// the job dies half way, the index entry says "not flushed" and no restart will fetch it.
import { chmod, mkdir, rm, rmdir, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DatasetRecord, FileEntry } from '../cache/records.js';
import { readFilemap } from '../cache/records.js';
import { copyFileCrc, crcFile } from '../kernels/index.js';
import { syncDir } from '../meta/index.js';
import { type IndexEntry, pfsDatasetDir, readRankMap, updateIndex, writeRankMap, writeSummary } from '../pfs/index.js';
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
      await mkdir(dirname(f.path), { recursive: true });
      crc = (await copyFileCrc(join(dir, f.name), f.path, { bufSize: ctx.fileBufSize, fsync: true })).crc;
      await chmod(f.path, f.mode);
      await utimes(f.path, f.mtimeMs / 1000, f.mtimeMs / 1000);
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

/** Flushes one cached dataset (collective). Resolves when it is durable and in the index. */
export async function flushDataset(ctx: Context, rec: DatasetRecord): Promise<void> {
  const t0 = performance.now();
  let err: unknown = null;
  if (ctx.rank === 0) {
    try {
      await updateIndex(ctx.prefix, (idx) => { idx.datasets[String(rec.id)] = indexEntryOf(rec); });
    } catch (e) { err = e; }
  }
  await agree(ctx.comm, `flushing ${rec.name}: recording it in the index`, outcomeOf(err));
  let files: FileEntry[] = [];
  err = null;
  try { files = await flushMine(ctx, rec); } catch (e) { err = e; }
  await agree(ctx.comm, `flushing ${rec.name}`, outcomeOf(err));
  const all = await ctx.comm.gatherObject(files, 0);
  err = null;
  if (ctx.rank === 0) {
    try {
      const entry = indexEntryOf(rec, { complete: true, flushed: true, flushedAt: Date.now() });
      await mkdir(pfsDatasetDir(ctx.prefix, rec.id), { recursive: true, mode: 0o700 });
      await writeRankMap(ctx.prefix, rec.id, { ranks: all! });
      await writeSummary(ctx.prefix, entry);
      await syncDir(pfsDatasetDir(ctx.prefix, rec.id));
      const dropped: string[] = [];
      await updateIndex(ctx.prefix, (idx) => {
        idx.datasets[String(rec.id)] = entry;
        if (rec.flags.checkpoint) idx.current = rec.name;
        dropped.push(...retention(idx, ctx.cfg.int('SCR_PREFIX_SIZE')));
      });
      for (const id of dropped) await deleteFromPfsByRankMap(ctx, Number(id));
    } catch (e) { err = e; }
  }
  await agree(ctx.comm, `flushing ${rec.name}: recording it as flushed`, outcomeOf(err));
  rec.flushed = true;
  await ctx.updateCacheIndex((idx) => { if (idx.datasets[String(rec.id)]) idx.datasets[String(rec.id)]!.flushed = true; }).catch(() => undefined);
  const bytes = (await ctx.comm.allreduce(files.reduce((a, f) => a + f.size, 0), 'SUM'));
  await logEvent(ctx, 'FLUSH', { name: rec.name, id: rec.id, bytes, seconds: (performance.now() - t0) / 1000 });
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
