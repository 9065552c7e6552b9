// One dataset in cache: creating its directories, checking what a rank wrote, applying
// redundancy, recording file maps, and deleting it.
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crcFile } from '../kernels/index.js';
import { eachLimited } from '../common/each-limited.js';
import { writeMetaFile } from '../meta/index.js';
import { datasetDir, datasetMetaDir, redDataPath, redMetaPath } from '../cache/paths.js';
import { type DatasetRecord, type FileEntry, type Filemap, writeFilemap } from '../cache/records.js';
import type { CkptDescriptor } from '../config/resolve.js';
import { encode } from '../redundancy/encode.js';
import { FileStream } from '../redundancy/stream.js';
import type { Context } from './context.js';
import { CODES, ScrError } from './errors.js';
import { isNoSpace, noSpaceError } from './space.js';
import { stagePath } from '../pfs/commit.js';

/** What a rank routed during an output phase: cache name → original path. */
export interface Routed {
  name: string;
  path: string;
}

/** The redundancy record every member of a set keeps (red.<rank>.scr): enough to rebuild any
 * member, metadata included, and to rebuild offline. */
export interface RedRecord {
  dataset: number;
  scheme: 'SINGLE' | 'PARTNER' | 'XOR' | 'RS';
  k: number;
  /** World ranks of the set, in ring order, and the node each was on when encoded. */
  members: number[];
  nodes: string[];
  position: number;
  /** Chunk size (XOR/RS). */
  chunk: number;
  /** Stream length of each member. */
  lens: number[];
  /** Every member's file map. */
  filemaps: Filemap[];
  pieceSize: number;
  /** CRC32 of every member's redundancy data (XOR/RS; null for PARTNER, whose copy is checked
   * against the left neighbour's file CRCs). Absent in records of older versions. */
  redCrcs?: Array<number | null>;
}

export function dirOf(ctx: Context, rec: DatasetRecord, node: string = ctx.node): string {
  return datasetDir(rec.store, ctx.ident, rec.id, node);
}

/** Creates this node's directory for the dataset (every rank; idempotent). */
export async function createDatasetDir(ctx: Context, rec: DatasetRecord): Promise<void> {
  await mkdir(datasetMetaDir(dirOf(ctx, rec)), { recursive: true, mode: 0o700 });
}

/** Stats the files this rank routed: where they are (cache, or the prefix in bypass mode). */
export async function statRouted(ctx: Context, rec: DatasetRecord, routed: Routed[], bypass: boolean): Promise<FileEntry[]> {
  const dir = dirOf(ctx, rec);
  const out: FileEntry[] = [];
  for (const r of routed) {
    const where = bypass ? stagePath(r.path, rec.id) : `${dir}/${r.name}`;
    let st;
    try {
      st = await stat(where);
    } catch (e) {
      throw new ScrError(`rank ${ctx.rank} routed ${r.path} for ${rec.name} but did not write it (${where}: ${(e as Error).message}); call completeOutput(false) if the dataset is not valid`, CODES.IO, { cause: e });
    }
    out.push({ name: r.name, path: r.path, size: st.size, crc: null, mode: st.mode & 0o7777, mtimeMs: st.mtimeMs });
  }
  return out;
}

/** Applies the descriptor's redundancy to this rank's files and writes its file map and
 * redundancy record. Collective over the job; local I/O errors are returned after the ring, so
 * the caller can agree on them. */
export async function protect(ctx: Context, rec: DatasetRecord, d: CkptDescriptor, files: FileEntry[], bypass: boolean): Promise<{ error: Error | null; redundancyBytes: number }> {
  const dir = dirOf(ctx, rec);
  const place = await ctx.setsFor(d);
  const scheme = bypass ? 'SINGLE' : place.set.scheme;
  const where = (f: FileEntry) => (bypass ? stagePath(f.path, rec.id) : `${dir}/${f.name}`);
  let error: Error | null = null;
  let redundancyBytes = 0;
  let chunk = 0;
  let redCrc: number | null = null;
  const myLen = files.reduce((a, f) => a + f.size, 0);
  const lensAll = scheme === 'SINGLE' ? [myLen] : ((await place.comm.allgatherObject(myLen)) as number[]);
  if (scheme === 'SINGLE') {
    // No pass reads the bytes here: a read of each file on the libuv pool (several at once).
    if (ctx.crcOnCopy) {
      try {
        await eachLimited(files, 4, async (f) => { f.crc = (await crcFile(where(f), { bufSize: ctx.fileBufSize })).crc; });
      } catch (e) { error = e as Error; }
    }
  } else {
    // Read with pread on the pool, the CRCs computed there as the bytes are read (not mapped:
    // page faults on maps cost more than the copy, docs/kernels.md).
    const stream = new FileStream(files.map((f) => ({ path: where(f), size: f.size })), { crc: ctx.crcOnCopy });
    const res = await encode({ comm: place.comm, scheme, k: place.set.k, stream, lens: lensAll, pieceSize: ctx.pieceSize, parityPath: redDataPath(dir, ctx.rank) });
    await stream.close().catch(() => undefined);
    error = res.error;
    chunk = res.chunk;
    redCrc = res.crc;
    redundancyBytes = res.bytes;
    if (!error && stream.crcs) files.forEach((f, i) => { f.crc = stream.crcs![i]!.value(f.size); });
  }
  const filemap: Filemap = { dataset: rec.id, rank: ctx.rank, files };
  // Every member keeps every member's file map and redundancy CRC, so a lost member's metadata
  // can be rebuilt and every member's redundancy data checked.
  const all = scheme === 'SINGLE' ? [{ filemap, redCrc }] : ((await place.comm.allgatherObject({ filemap, redCrc })) as Array<{ filemap: Filemap; redCrc: number | null }>);
  const filemaps = all.map((x) => x.filemap);
  if (!error) {
    try {
      await writeFilemap(dir, filemap);
      if (scheme !== 'SINGLE') {
        const red: RedRecord = {
          dataset: rec.id, scheme, k: place.set.k, members: place.set.members, nodes: place.set.members.map((r) => ctx.nodeOf[r]!),
          position: place.comm.rank, chunk, lens: lensAll, filemaps, pieceSize: ctx.pieceSize, redCrcs: all.map((x) => x.redCrc),
        };
        await writeMetaFile(redMetaPath(dir, ctx.rank), 'redset', red);
      }
    } catch (e) { error = e as Error; }
  }
  if (error && isNoSpace(error)) {
    const left = (place.comm.rank + place.comm.size - 1) % place.comm.size;
    const need = scheme === 'SINGLE' ? 0 : scheme === 'PARTNER' ? lensAll[left]! : place.set.k * chunk;
    error = await noSpaceError(error, { what: `the redundancy data and records of ${rec.name} (rank ${ctx.rank}, ${scheme})`, store: rec.store, node: ctx.node, need });
  }
  return { error, redundancyBytes };
}

/** Deletes this node's part of a dataset and its cache-index entry (node leaders). With
 * `background`, the directory is renamed aside at once and deleted while the job goes on
 * (Context.settleDeletes waits for it before the next eviction and at finalize). */
export async function removeDataset(ctx: Context, rec: DatasetRecord, opts: { background?: boolean } = {}): Promise<void> {
  if (!ctx.nodeLeader) return;
  const dir = dirOf(ctx, rec);
  await ctx.updateCacheIndex((idx) => { delete idx.datasets[String(rec.id)]; });
  if (!opts.background) {
    await rm(dir, { recursive: true, force: true });
    return;
  }
  const aside = join(dirname(dir), `.deleting.${basename(dir)}.${process.pid}`);
  try {
    await rename(dir, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  ctx.deleteLater(aside);
}

/** Records the dataset in this node's cache index (node leaders). */
export async function recordDataset(ctx: Context, rec: DatasetRecord): Promise<void> {
  await ctx.updateCacheIndex((idx) => { idx.datasets[String(rec.id)] = rec; });
}
