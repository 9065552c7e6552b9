// The prefix directory's side of the cache (SPEC §4, §6): the index of datasets on the parallel
// file system, and each flushed dataset's summary and rank→file map. No MPI here: the library
// calls it on rank 0, the commands call it directly.
//   <prefix>/.scr/index.scr                      kind 'index'
//   <prefix>/.scr/scr.dataset.<id>/summary.scr   kind 'summary'
//   <prefix>/.scr/scr.dataset.<id>/rankmap.scr   kind 'rankmap'
// A missing or damaged index is rebuilt from the summaries and rank maps (recover.ts), with a
// warning; it is never silently replaced by an empty one.
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileEntry } from '../cache/records.js';
import { MetaError, readMetaFileIfExists, withLock, writeMetaFile } from '../meta/index.js';
import { prefixScrDir } from '../cache/paths.js';
import { indexFromSummaries } from './recover.js';

/** Why a dataset was marked failed: which check found it bad, where. */
export interface Failure {
  /** 'crc' (contents differ from the recorded CRC32), 'missing', 'size' (short or long file),
   * 'rankmap' (its rank map is missing or damaged), 'rejected' (completeRestart(false)). */
  check: 'crc' | 'missing' | 'size' | 'rankmap' | 'rejected';
  rank?: number;
  /** The file that failed the check (its path on the file system). */
  file?: string;
  message: string;
  /** Epoch milliseconds. */
  at: number;
}

export interface IndexEntry {
  id: number;
  name: string;
  flags: { checkpoint: boolean; output: boolean };
  /** Epoch milliseconds when the dataset was started. */
  created: number;
  /** Ranks that wrote it. */
  ranks: number;
  /** Every rank's files are on the file system (set together with flushed). */
  complete: boolean;
  /** The copy finished and was fsynced; only then may it be fetched. */
  flushed: boolean;
  /** A fetch or restart found it bad: never offered again (until `scr index --unfail`). */
  failed: boolean;
  /** Why it was marked failed. */
  failure?: Failure;
  bytes: number;
  files: number;
  /** Epoch milliseconds when the flush finished. */
  flushedAt?: number;
  /** Flushed, but some files may still be under their staging names (stagePath) because the
   * renames into place did not all happen: readers take the staged file where one exists. */
  staged?: boolean;
  /** The id of a newer dataset flushed to some of the same paths: its files were replaced, so it
   * is no longer flushed (and never fetched). */
  superseded?: number;
}

export interface PfsIndex {
  /** The dataset to restart from (a name), or null: then the newest good checkpoint. */
  current: string | null;
  datasets: Record<string, IndexEntry>;
}

export interface Summary {
  entry: IndexEntry;
}

export interface RankMap {
  /** rank → its files (paths are where they are on the file system). */
  ranks: FileEntry[][];
}

export const indexPath = (prefix: string): string => join(prefixScrDir(prefix), 'index.scr');
export const pfsDatasetDir = (prefix: string, id: number): string => join(prefixScrDir(prefix), `scr.dataset.${id}`);
export const summaryPath = (prefix: string, id: number): string => join(pfsDatasetDir(prefix, id), 'summary.scr');
export const rankmapPath = (prefix: string, id: number): string => join(pfsDatasetDir(prefix, id), 'rankmap.scr');

export const emptyIndex = (): PfsIndex => ({ current: null, datasets: {} });

/** Where warnings about the index go (stderr unless the caller says otherwise). */
export type Warn = (message: string) => void;
const stderrWarn: Warn = (m) => process.stderr.write(`scr: warning: ${m}\n`);

/** The index as stored, or why it cannot be used: 'missing', or a damaged file's message. */
async function readStored(prefix: string): Promise<PfsIndex | { unusable: string }> {
  try {
    return (await readMetaFileIfExists<PfsIndex>(indexPath(prefix), { expectKind: 'index' })) ?? { unusable: 'missing' };
  } catch (e) {
    if (e instanceof MetaError) return { unusable: e.message };
    throw e;
  }
}

/** Under the index lock: the stored index, or one rebuilt from the summaries (then written,
 * the damaged file kept beside it, and a warning given). */
async function loadLocked(prefix: string, warn: Warn): Promise<PfsIndex> {
  const stored = await readStored(prefix);
  if (!('unusable' in stored)) return stored;
  const rebuilt = await indexFromSummaries(prefix);
  if (stored.unusable === 'missing' && Object.keys(rebuilt.index.datasets).length === 0) return emptyIndex();
  if (stored.unusable !== 'missing') {
    await rename(indexPath(prefix), `${indexPath(prefix)}.damaged.${Date.now()}`).catch(() => undefined);
  }
  await writeMetaFile(indexPath(prefix), 'index', rebuilt.index);
  warn(`the index ${indexPath(prefix)} was ${stored.unusable === 'missing' ? 'missing' : `damaged (${stored.unusable}; kept as index.scr.damaged.*)`}; ` +
    `it was rebuilt from the summaries of ${rebuilt.summaries} dataset(s) in ${prefixScrDir(prefix)}` +
    `${rebuilt.index.current ? `, and ${rebuilt.index.current}, the newest good checkpoint, is current` : ''}` +
    `${rebuilt.skipped.length ? `; not recovered: ${rebuilt.skipped.join('; ')}` : ''}`);
  return rebuilt.index;
}

export async function readIndex(prefix: string, warn: Warn = stderrWarn): Promise<PfsIndex> {
  const stored = await readStored(prefix);
  if (!('unusable' in stored)) return stored;
  // A prefix with no index and nothing flushed is simply new: nothing to rebuild or write.
  if (stored.unusable === 'missing' && (await indexFromSummaries(prefix)).summaries === 0) return emptyIndex();
  return withLock(indexPath(prefix), () => loadLocked(prefix, warn));
}

/** Read-modify-write under the metadata lock (commands may edit it while the job runs). */
export async function updateIndex(prefix: string, fn: (idx: PfsIndex) => void, warn: Warn = stderrWarn): Promise<PfsIndex> {
  return withLock(indexPath(prefix), async () => {
    const idx = await loadLocked(prefix, warn);
    fn(idx);
    await writeMetaFile(indexPath(prefix), 'index', idx);
    return idx;
  });
}

export async function writeSummary(prefix: string, entry: IndexEntry): Promise<void> {
  await writeMetaFile(summaryPath(prefix, entry.id), 'summary', { entry } satisfies Summary);
}

export async function readSummary(prefix: string, id: number): Promise<Summary | undefined> {
  return readMetaFileIfExists<Summary>(summaryPath(prefix, id), { expectKind: 'summary' });
}

export async function writeRankMap(prefix: string, id: number, map: RankMap): Promise<void> {
  await writeMetaFile(rankmapPath(prefix, id), 'rankmap', map);
}

export async function readRankMap(prefix: string, id: number): Promise<RankMap | undefined> {
  return readMetaFileIfExists<RankMap>(rankmapPath(prefix, id), { expectKind: 'rankmap' });
}

/** Finds an entry by name (the newest if names repeat). */
export function byName(idx: PfsIndex, name: string): IndexEntry | undefined {
  return Object.values(idx.datasets).filter((e) => e.name === name).sort((a, b) => b.id - a.id)[0];
}

/** Whether an entry can be restarted from: a complete, flushed, not failed checkpoint. */
export function fetchable(e: IndexEntry | undefined): e is IndexEntry {
  return !!e && e.flags.checkpoint && e.complete && e.flushed && !e.failed && e.superseded === undefined;
}

/** Restart candidates, best first: the one SCR_CURRENT names, else the index's current marker,
 * else the newest; then the older ones (a failed fetch falls back, never forward). Only fetchable
 * checkpoints written by `ranks` ranks ('any': whatever their rank count). */
export function restartCandidates(idx: PfsIndex, ranks: number | 'any', wanted: string | null): IndexEntry[] {
  const usable = (e: IndexEntry | undefined): e is IndexEntry => fetchable(e) && (ranks === 'any' || e.ranks === ranks);
  const all = Object.values(idx.datasets).filter(usable).sort((a, b) => b.id - a.id);
  const first = [wanted, idx.current].map((n) => (n ? byName(idx, n) : undefined)).find(usable) ?? all[0];
  return first ? [first, ...all.filter((e) => e.id < first.id)] : [];
}

/** Marks a dataset failed, with why, in the index and its summary (so a rebuilt index keeps the
 * mark); the current marker leaves it. */
export async function markFailed(prefix: string, id: number, failure: Failure, warn?: Warn): Promise<void> {
  let entry: IndexEntry | undefined;
  await updateIndex(prefix, (idx) => {
    entry = idx.datasets[String(id)];
    if (!entry) return;
    entry.failed = true;
    entry.failure = failure;
    if (idx.current === entry.name) idx.current = null;
  }, warn);
  if (entry) await writeSummary(prefix, entry).catch(() => undefined);
}

/** Clears a failed mark (after the caller verified every file), in the index and the summary. */
export async function clearFailed(prefix: string, id: number, warn?: Warn): Promise<void> {
  let entry: IndexEntry | undefined;
  await updateIndex(prefix, (idx) => {
    entry = idx.datasets[String(id)];
    if (!entry) return;
    entry.failed = false;
    delete entry.failure;
  }, warn);
  if (entry) await writeSummary(prefix, entry).catch(() => undefined);
}
