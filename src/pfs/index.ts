// The prefix directory's side of the cache (SPEC §4, §6): the index of datasets on the parallel
// file system, and each flushed dataset's summary and rank→file map. No MPI here: the library
// calls it on rank 0, the commands call it directly.
//   <prefix>/.scr/index.scr                      kind 'index'
//   <prefix>/.scr/scr.dataset.<id>/summary.scr   kind 'summary'
//   <prefix>/.scr/scr.dataset.<id>/rankmap.scr   kind 'rankmap'
import { join } from 'node:path';
import type { FileEntry } from '../cache/records.js';
import { readMetaFileIfExists, updateMetaFile, writeMetaFile } from '../meta/index.js';
import { prefixScrDir } from '../cache/paths.js';

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
  /** A fetch or restart found it bad: never offered again. */
  failed: boolean;
  bytes: number;
  files: number;
  /** Epoch milliseconds when the flush finished. */
  flushedAt?: number;
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

const EMPTY = (): PfsIndex => ({ current: null, datasets: {} });

export async function readIndex(prefix: string): Promise<PfsIndex> {
  return (await readMetaFileIfExists<PfsIndex>(indexPath(prefix), { expectKind: 'index' })) ?? EMPTY();
}

/** Read-modify-write under the metadata lock (commands may edit it while the job runs). */
export async function updateIndex(prefix: string, fn: (idx: PfsIndex) => void): Promise<PfsIndex> {
  let out = EMPTY();
  await updateMetaFile<PfsIndex>(indexPath(prefix), 'index', (old) => {
    out = old ?? EMPTY();
    fn(out);
    return out;
  });
  return out;
}

export async function writeSummary(prefix: string, entry: IndexEntry): Promise<void> {
  await writeMetaFile(summaryPath(prefix, entry.id), 'summary', { entry } satisfies Summary);
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

/** Restart candidates, best first: the one SCR_CURRENT names, else the index's current marker,
 * else the newest; then the older ones (a failed fetch falls back, never forward). Only complete,
 * flushed, not failed checkpoints written by `ranks` ranks ('any': whatever their rank count). */
export function restartCandidates(idx: PfsIndex, ranks: number | 'any', wanted: string | null): IndexEntry[] {
  const usable = (e: IndexEntry | undefined): e is IndexEntry => !!e && e.flags.checkpoint && e.complete && e.flushed && !e.failed && (ranks === 'any' || e.ranks === ranks);
  const all = Object.values(idx.datasets).filter(usable).sort((a, b) => b.id - a.id);
  const first = [wanted, idx.current].map((n) => (n ? byName(idx, n) : undefined)).find(usable) ?? all[0];
  return first ? [first, ...all.filter((e) => e.id < first.id)] : [];
}
