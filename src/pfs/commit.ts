// The MPI-free half of putting a dataset on the file system (SPEC §6), shared by the library's
// flush, the completion of asynchronous flushes from their markers, scavenge and the offline
// rebuild. The last good copy is never overwritten before the new one is durable, even when an
// application reuses its paths for every checkpoint:
//  1. stage:  each file is copied to a staging name beside its path (stagePath), fsynced;
//  2. record: the rank map and summary are written, then the index says flushed and staged; any
//     older dataset listing one of these paths is marked superseded (its files are about to be
//     replaced; the new one is complete and durable, so one fetchable checkpoint always exists);
//  3. place:  each staged file is renamed over its path (atomic), directories fsynced;
//  4. finish: the index clears staged; retention deletes what falls out of SCR_PREFIX_SIZE.
// A reader of a staged dataset takes the staged file where it still exists (readablePath). A
// dataset whose paths a newer flushed dataset already owns is recorded superseded and never
// placed, so a late flush of an older checkpoint cannot replace a newer one's files.
import { access, mkdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { DatasetRecord, FileEntry, Filemap } from '../cache/records.js';
import { applyFileMetadata } from '../cache/records.js';
import { copyFileCrc } from '../kernels/index.js';
import { readMetaFileIfExists, syncDir, writeMetaFile } from '../meta/index.js';
import { type IndexEntry, type PfsIndex, pfsDatasetDir, type RankMap, readIndex, readRankMap, updateIndex, type Warn, writeRankMap, writeSummary } from './index.js';

/** The index entry of a cached dataset, not yet flushed (`over` changes fields). */
export function indexEntryOf(rec: DatasetRecord, over: Partial<IndexEntry> = {}): IndexEntry {
  return {
    id: rec.id, name: rec.name, flags: rec.flags, created: rec.created, ranks: rec.ranks, complete: false, flushed: false,
    failed: false, bytes: rec.bytes ?? 0, files: rec.files ?? 0, ...over,
  };
}

/** The staging name of a dataset's file: hidden, beside its path (so the rename is atomic). */
export function stagePath(path: string, id: number): string {
  return join(dirname(path), `.${basename(path)}.scr${id}.part`);
}

/** Where to read a file of dataset `id` now: its staged copy while one exists, else its path. */
export async function readablePath(f: Pick<FileEntry, 'path'>, id: number): Promise<string> {
  const staged = stagePath(f.path, id);
  return access(staged).then(() => staged, () => f.path);
}

/** Step 1 for one file: copies a cached file to its staging name (parent directories created),
 * fsyncs it, gives it the recorded mode and mtime; resolves to the CRC32 of what was copied. */
export async function stageFile(cacheDir: string, f: FileEntry, id: number, bufSize: number): Promise<number> {
  await mkdir(dirname(f.path), { recursive: true });
  const to = stagePath(f.path, id);
  const { crc } = await copyFileCrc(join(cacheDir, f.name), to, { bufSize, fsync: true });
  await applyFileMetadata(to, f);
  return crc;
}

/** The paths listed by the rank maps of the entries `which` selects (but `except`), each with
 * the newest such entry's id; and the entries whose rank map is missing or unreadable (what
 * they list is then unknown). */
async function owners(prefix: string, idx: PfsIndex, except: number, which: (e: IndexEntry) => boolean): Promise<Map<string, number> & { unknown: IndexEntry[] }> {
  const owners = Object.assign(new Map<string, number>(), { unknown: [] as IndexEntry[] });
  for (const e of Object.values(idx.datasets)) {
    if (e.id === except || !which(e)) continue;
    const map = await readRankMap(prefix, e.id).catch(() => undefined);
    if (!map) { if (e.flushed || e.staged) owners.unknown.push(e); continue; }
    for (const f of map.ranks.flat()) if ((owners.get(f.path) ?? -1) < e.id) owners.set(f.path, e.id);
  }
  return owners;
}

/** Step 2 (one process). Resolves to whether the dataset may be placed: false when a newer
 * flushed dataset already owns one of its paths (it is then recorded superseded, not flushed). */
export async function recordFlushed(prefix: string, entry: IndexEntry, all: FileEntry[][], warn?: Warn): Promise<boolean> {
  await mkdir(pfsDatasetDir(prefix, entry.id), { recursive: true, mode: 0o700 });
  await writeRankMap(prefix, entry.id, { ranks: all });
  const mine = new Set(all.flat().map((f) => f.path));
  let placed = true;
  const recorded: IndexEntry = { ...entry, complete: true, flushed: true, staged: true, flushedAt: entry.flushedAt ?? Date.now() };
  // The owners (flushed datasets) are read before taking the lock: rank maps never change.
  const flushed = await owners(prefix, await readIndex(prefix, warn), entry.id, (e) => e.flushed);
  const newer = [...mine].map((p) => flushed.get(p)).filter((o): o is number => o !== undefined && o > entry.id);
  if (newer.length) {
    placed = false;
    recorded.flushed = false;
    recorded.staged = false;
    recorded.superseded = Math.min(...newer);
  }
  await writeSummary(prefix, recorded);
  await syncDir(pfsDatasetDir(prefix, entry.id));
  await updateIndex(prefix, (idx) => {
    idx.datasets[String(entry.id)] = recorded;
    if (!placed) return;
    for (const e of Object.values(idx.datasets)) {
      if (e.id < entry.id && e.flushed && [...mine].some((p) => flushed.get(p) === e.id)) {
        e.superseded = entry.id;
        e.flushed = false;
        if (idx.current === e.name) idx.current = null;
      }
    }
    // The marker only moves forward: an older flush finishing late must not take it back.
    const cur = idx.current ? Object.values(idx.datasets).find((e) => e.name === idx.current) : undefined;
    if (entry.flags.checkpoint && (!cur || cur.id <= entry.id)) idx.current = entry.name;
  }, warn);
  return placed;
}

/** Step 3 for some files of dataset `id` (each rank its own): staged copies renamed over their
 * paths, then the directories fsynced. A file without a staged copy is already in place. */
export async function placeFiles(files: FileEntry[], id: number): Promise<void> {
  const dirs = new Set<string>();
  for (const f of files) {
    try {
      await rename(stagePath(f.path, id), f.path);
      dirs.add(dirname(f.path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  for (const d of dirs) await syncDir(d);
}

/** Deletes the staged copies of some files of dataset `id` (a flush that failed or lost). */
export async function removeStaged(files: Array<Pick<FileEntry, 'path'>>, id: number): Promise<void> {
  await Promise.all(files.map((f) => rm(stagePath(f.path, id), { force: true })));
}

/** Step 4 (one process): the index (and summary) no longer say staged; retention; markers go. */
export async function finishPlacement(prefix: string, id: number, prefixSize: number, warn?: Warn): Promise<void> {
  let entry: IndexEntry | undefined;
  const dropped: string[] = [];
  await updateIndex(prefix, (idx) => {
    entry = idx.datasets[String(id)];
    if (entry) delete entry.staged;
    dropped.push(...retention(idx, prefixSize));
  }, warn);
  if (entry) await writeSummary(prefix, entry);
  for (const d of dropped) await deleteDatasetFiles(prefix, Number(d), warn);
  const map = await readRankMap(prefix, id).catch(() => undefined);
  for (let r = 0; r < (map?.ranks.length ?? entry?.ranks ?? 0); r++) await rm(markerPath(prefix, id, r), { force: true });
}

/** Steps 2–4 in one process, for files already staged (or in place): markers, scavenge, build. */
export async function commitStaged(prefix: string, entry: IndexEntry, all: FileEntry[][], prefixSize: number, warn?: Warn): Promise<boolean> {
  const placed = await recordFlushed(prefix, entry, all, warn);
  if (!placed) {
    await removeStaged(all.flat(), entry.id);
    return false;
  }
  await placeFiles(all.flat(), entry.id);
  await finishPlacement(prefix, entry.id, prefixSize, warn);
  return true;
}

/** This rank's durable marker of an asynchronous flush: written once its files are staged and
 * fsynced. With one marker per rank, a flush the job could not finish is completed later. */
export function markerPath(prefix: string, id: number, rank: number): string {
  return join(pfsDatasetDir(prefix, id), `flushed.${rank}.scr`);
}

/** The files a flush is about to stage, every rank's (written by its start step, so that a flush
 * cut off before it was recorded can be cleaned up). */
export function stagingListPath(prefix: string, id: number): string {
  return join(pfsDatasetDir(prefix, id), 'staging.scr');
}

export async function writeStagingList(prefix: string, id: number, all: FileEntry[][]): Promise<void> {
  await writeMetaFile(stagingListPath(prefix, id), 'rankmap', { ranks: all } satisfies RankMap);
}

/** Forgets a flush that was cut off before it was recorded: its staged copies (as far as its
 * staging list or its markers tell) and its .scr/scr.dataset.<id> directory go, and its index
 * entry. Nothing else: the files in place belong to other datasets, and a cache may still hold it. */
async function abandonFlush(prefix: string, e: IndexEntry, markers: FileEntry[][], warn?: Warn): Promise<void> {
  const list = await readMetaFileIfExists<RankMap>(stagingListPath(prefix, e.id), { expectKind: 'rankmap' }).catch(() => undefined);
  await removeStaged([...(list?.ranks.flat() ?? []), ...markers.flat()], e.id);
  await updateIndex(prefix, (idx) => { if (idx.datasets[String(e.id)]?.flushed === false) delete idx.datasets[String(e.id)]; }, warn);
  await rm(pfsDatasetDir(prefix, e.id), { recursive: true, force: true });
}

export interface Completed {
  /** Names of the flushes completed. */
  completed: string[];
  /** One line per flush that could not be completed and was abandoned, saying why. */
  abandoned: string[];
}

/** Completes what flushes left undone (no MPI; the next job's rank 0 at init, and `scr postrun`):
 * datasets whose every rank wrote its marker are recorded and placed (SCR loses these, its issue
 * #531), and flushed datasets still staged are placed. A flush that was cut off before every rank
 * confirmed its copies is abandoned (said so, its partial copies removed): it never became a
 * checkpoint on the file system, and the one before it is untouched. */
export async function completeFlushes(prefix: string, prefixSize: number, warn?: Warn): Promise<Completed> {
  const out: Completed = { completed: [], abandoned: [] };
  const done = out.completed;
  const idx = await readIndex(prefix, warn);
  for (const e of Object.values(idx.datasets).sort((a, b) => a.id - b.id)) {
    if (e.failed || e.superseded !== undefined) continue;
    if (e.flushed && e.staged) {
      const map = await readRankMap(prefix, e.id).catch(() => undefined);
      if (!map) continue;
      await placeFiles(map.ranks.flat(), e.id);
      await finishPlacement(prefix, e.id, prefixSize, warn);
      done.push(e.name);
      continue;
    }
    if (e.flushed) continue;
    const all: FileEntry[][] = [];
    const missing: number[] = [];
    const damaged: string[] = [];
    for (let r = 0; r < e.ranks; r++) {
      try {
        const m = await readMetaFileIfExists<Filemap>(markerPath(prefix, e.id, r), { expectKind: 'flushmark' });
        if (m) all.push(m.files); else missing.push(r);
      } catch (err) { damaged.push(`rank ${r}'s marker is damaged (${(err as Error).message})`); }
    }
    if (all.length === e.ranks) {
      if (await commitStaged(prefix, e, all, prefixSize, warn)) done.push(e.name);
      continue;
    }
    await abandonFlush(prefix, e, all, warn);
    const why = [...damaged, ...(missing.length ? [`rank${missing.length > 1 ? 's' : ''} ${missing.join(',')} did not confirm ${missing.length > 1 ? 'their' : 'its'} copies`] : [])].join('; ');
    out.abandoned.push(`an earlier run's flush of ${e.name} did not finish (${why}): it never became a checkpoint on the file system, its partial copies were removed, and the checkpoints flushed before it are untouched`);
  }
  return out;
}

/** SCR_PREFIX_SIZE: the ids of flushed checkpoints beyond the newest `keep`, and of superseded
 * entries older than the oldest kept one (outputs are kept), removed from the index here; their
 * files are deleted by the caller. */
export function retention(idx: PfsIndex, keep: number): string[] {
  if (keep <= 0) return [];
  const ckpts = Object.values(idx.datasets).filter((e) => e.flushed && e.flags.checkpoint && !e.flags.output).sort((a, b) => b.id - a.id);
  const out = ckpts.slice(keep).map((e) => String(e.id));
  const oldestKept = ckpts[Math.min(keep, ckpts.length) - 1]?.id;
  if (oldestKept !== undefined) {
    for (const e of Object.values(idx.datasets)) if (e.superseded !== undefined && e.id < oldestKept && !e.flags.output) out.push(String(e.id));
  }
  for (const id of out) {
    if (idx.current === idx.datasets[id]!.name) idx.current = null;
    delete idx.datasets[id];
  }
  return out;
}

/** Deletes a dataset's files from the file system by its rank map — except paths that a dataset
 * still in the index lists (an application that reuses its paths shares them with newer
 * checkpoints) — and its staged leftovers, then its .scr directory and the parent directories
 * the deletion left empty (below the prefix). Run by one process, after the index forgot it. */
export async function deleteDatasetFiles(prefix: string, id: number, warn: Warn = (m) => process.stderr.write(`scr: warning: ${m}\n`)): Promise<void> {
  const map = await readRankMap(prefix, id).catch(() => undefined);
  // Every dataset still in the index that owns its paths (not one whose files were replaced).
  const kept = await owners(prefix, await readIndex(prefix), id, (e) => e.superseded === undefined);
  // A flushed dataset whose rank map cannot be read may list any of these paths: keep them all.
  if (kept.unknown.length) {
    warn(`the files of dataset ${id} are left on the file system: the rank map of ${kept.unknown.map((e) => `${e.name} (id ${e.id})`).join(', ')} is missing or damaged, so whether it shares them is unknown`);
  }
  const parents = new Set<string>();
  for (const f of map?.ranks.flat() ?? []) {
    await rm(stagePath(f.path, id), { force: true });
    if (!kept.has(f.path) && !kept.unknown.length) await rm(f.path, { force: true });
    parents.add(dirname(f.path));
  }
  await rm(pfsDatasetDir(prefix, id), { recursive: true, force: true });
  for (let d of [...parents].sort((a, b) => b.length - a.length)) {
    while (d.startsWith(prefix + '/') && d !== prefix) {
      try { await rmdir(d); } catch { break; }
      d = dirname(d);
    }
  }
}
