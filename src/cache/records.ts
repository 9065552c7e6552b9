// The metadata records of the cache, stored with the metadata container (src/meta):
//   filemap.<rank>.scr  (kind 'filemap') one rank's files of one dataset
//   cindex.scr          (kind 'cindex')  the datasets in one node's cache
// Layouts are documented in docs/formats.md.
import { chmod, rename, utimes } from 'node:fs/promises';
import { MetaError, readMetaFileIfExists, updateMetaFile, writeMetaFile } from '../meta/index.js';
import { cacheIndexPath, filemapPath } from './paths.js';

export interface FileEntry {
  /** Basename: the file's name in the cache directory. */
  name: string;
  /** Absolute path the application routed (under SCR_PREFIX): where it goes on flush. */
  path: string;
  size: number;
  /** CRC32 (zlib) of the contents, or null when SCR_CRC_ON_COPY=0 and nothing read them. */
  crc: number | null;
  mode: number;
  mtimeMs: number;
}

export interface Filemap {
  dataset: number;
  rank: number;
  files: FileEntry[];
}

export interface DatasetFlags {
  checkpoint: boolean;
  output: boolean;
}

export interface DatasetRecord {
  id: number;
  name: string;
  flags: DatasetFlags;
  /** Epoch milliseconds when startOutput was called. */
  created: number;
  /** The store (cache base directory) holding it. */
  store: string;
  /** The redundancy descriptor's index (CKPT=<index>). */
  descriptor: number;
  /** Number of ranks that wrote it. */
  ranks: number;
  /** True once completeOutput agreed every rank wrote its files and redundancy was applied. */
  complete: boolean;
  /** false while its redundancy encode runs in the background (SCR_ENCODE_ASYNC=1), true once
   * every rank finished it and the ranks agreed. Absent (records of older versions, synchronous
   * encodes) counts as protected. An unprotected dataset is never restored nor drained. */
  protected?: boolean;
  /** Marked by completeRestart(false): never offered for restart again. */
  failed?: boolean;
  /** On the parallel file system, fsynced, and in its index. */
  flushed?: boolean;
  /** Files were written straight to the prefix directory (SCR_CACHE_BYPASS). */
  bypass?: boolean;
  /** Total bytes of all ranks' files (set when complete). */
  bytes?: number;
  files?: number;
  /** The SCR_PREFIX of the job that wrote it: a cached dataset belongs to one prefix, and a job of
   * another prefix neither restores nor deletes it. Absent in records of older versions. */
  prefix?: string;
}

export interface CacheIndex {
  datasets: Record<string, DatasetRecord>;
}

/** Gives a file the mode and modification time its file-map entry recorded. */
export async function applyFileMetadata(path: string, f: Pick<FileEntry, 'mode' | 'mtimeMs'>): Promise<void> {
  await chmod(path, f.mode);
  await utimes(path, f.mtimeMs / 1000, f.mtimeMs / 1000);
}

export async function writeFilemap(dsDir: string, map: Filemap): Promise<void> {
  await writeMetaFile(filemapPath(dsDir, map.rank), 'filemap', map);
}

export async function readFilemap(dsDir: string, rank: number): Promise<Filemap | undefined> {
  return readMetaFileIfExists<Filemap>(filemapPath(dsDir, rank), { expectKind: 'filemap' });
}

export async function readCacheIndex(cntlDir: string): Promise<CacheIndex> {
  return (await readMetaFileIfExists<CacheIndex>(cacheIndexPath(cntlDir), { expectKind: 'cindex' })) ?? { datasets: {} };
}

/** A node's cache index; a damaged one (a MetaError: torn, flipped bits, not an index) is renamed
 * to cindex.scr.damaged.<time> with a warning, and an empty index is returned, so the node's
 * cached data counts as lost (and is rebuilt from redundancy) instead of failing the job. */
export async function readCacheIndexOrSetAside(cntlDir: string, warn: (message: string) => void): Promise<{ index: CacheIndex; damaged: boolean }> {
  try {
    return { index: await readCacheIndex(cntlDir), damaged: false };
  } catch (e) {
    if (!(e instanceof MetaError)) throw e;
    const aside = `${cacheIndexPath(cntlDir)}.damaged.${Date.now()}`;
    await rename(cacheIndexPath(cntlDir), aside).catch(() => undefined);
    warn(`the cache index ${cacheIndexPath(cntlDir)} is damaged (${e.message}); it was moved to ${aside}, and this node's cached datasets count as lost`);
    return { index: { datasets: {} }, damaged: true };
  }
}

/** Replaces a node's cache index (atomically: temp file, fsync, rename). */
export async function writeCacheIndex(cntlDir: string, idx: CacheIndex): Promise<void> {
  await writeMetaFile(cacheIndexPath(cntlDir), 'cindex', idx);
}

/** Read-modify-write of a node's cache index under the metadata lock, for writers outside the
 * running job (the job's node leader keeps its own copy: Context.updateCacheIndex). */
export async function updateCacheIndex(cntlDir: string, fn: (idx: CacheIndex) => void): Promise<CacheIndex> {
  let out: CacheIndex = { datasets: {} };
  await updateMetaFile<CacheIndex>(cacheIndexPath(cntlDir), 'cindex', (old) => {
    out = old ?? { datasets: {} };
    fn(out);
    return out;
  });
  return out;
}
