// Flush (SPEC §6), the collective half: every rank stages its cached files beside their paths
// under SCR_PREFIX (src/pfs/commit.ts), the ranks agree, rank 0 records the dataset (rank map,
// summary, then the index says flushed), every rank renames its staged files into place, and rank
// 0 finishes (retention). If the job dies half way, the index says "not flushed" (or "flushed,
// staged", which readers handle), and the previous flushed checkpoint is untouched until then.
import type { DatasetRecord, FileEntry, Filemap } from '../cache/records.js';
import { readFilemap } from '../cache/records.js';
import { crcFile } from '../kernels/index.js';
import { writeMetaFile } from '../meta/index.js';
import { finishPlacement, indexEntryOf, markerPath, placeFiles, readablePath, recordFlushed, removeStaged, stageFile, writeStagingList } from '../pfs/commit.js';
import { pfsDatasetDir, updateIndex } from '../pfs/index.js';
import { agree, outcomeOf } from './agree.js';
import type { Context } from './context.js';
import { dirOf } from './dataset.js';
import { CODES, ScrError } from './errors.js';
import { logEvent } from './log.js';
import { mkdir } from 'node:fs/promises';
import { eachLimited } from '../common/each-limited.js';

/** Stages this rank's files (or checks them in place, in bypass mode). */
async function flushMine(ctx: Context, rec: DatasetRecord): Promise<FileEntry[]> {
  const dir = dirOf(ctx, rec);
  const map = await readFilemap(dir, ctx.rank);
  if (!map) throw new ScrError(`rank ${ctx.rank} has no file map for ${rec.name} in ${dir}`, CODES.IO);
  const checkCrc = ctx.cfg.bool('SCR_CRC_ON_FLUSH');
  const width = ctx.cfg.str('SCR_FLUSH_TYPE') === 'PTHREAD' ? 4 : 1;
  try {
    await eachLimited(map.files, width, async (f) => {
      let crc: number;
      if (rec.bypass) {
        if (!checkCrc && f.crc !== null) return;
        crc = (await crcFile(await readablePath(f, rec.id), { bufSize: ctx.fileBufSize })).crc;
      } else {
        crc = await stageFile(dir, f, rec.id, ctx.fileBufSize);
      }
      if (checkCrc && f.crc !== null && crc !== f.crc) {
        throw new ScrError(`flushing ${rec.name}: ${f.path} has CRC32 ${crc.toString(16)} but ${f.crc.toString(16)} when it was written; the cached copy is damaged`, CODES.IO);
      }
      f.crc = crc;
    });
  } catch (e) {
    if (!rec.bypass) await removeStaged(map.files, rec.id).catch(() => undefined);
    throw e;
  }
  return map.files;
}

export { markerPath };

/** Step 1 (collective): the index learns the dataset is being flushed (not yet flushed), and
 * rank 0 keeps the list of every rank's files, so a flush cut off before it is recorded can be
 * cleaned up (completeFlushes). */
export async function startFlush(ctx: Context, rec: DatasetRecord): Promise<void> {
  const mine = (await readFilemap(dirOf(ctx, rec), ctx.rank).catch(() => undefined))?.files ?? [];
  const all = await ctx.comm.gatherObject(mine, 0);
  let err: unknown = null;
  if (ctx.rank === 0) {
    try {
      await updateIndex(ctx.prefix, (idx) => { idx.datasets[String(rec.id)] = indexEntryOf(rec); }, (m) => ctx.warn(m));
      await mkdir(pfsDatasetDir(ctx.prefix, rec.id), { recursive: true, mode: 0o700 });
      await writeStagingList(ctx.prefix, rec.id, all!);
    } catch (e) { err = e; }
  }
  await agree(ctx.comm, `flushing ${rec.name}: recording it in the index`, outcomeOf(err));
}

/** Step 2 (local, may run in the background): stage and fsync; with `marker` (asynchronous
 * flushes, which may be cut off before the collective finish) also write this rank's marker. */
export async function flushLocal(ctx: Context, rec: DatasetRecord, opts: { marker: boolean }): Promise<FileEntry[]> {
  const files = await flushMine(ctx, rec);
  if (opts.marker) await writeMetaFile(markerPath(ctx.prefix, rec.id, ctx.rank), 'flushmark', { dataset: rec.id, rank: ctx.rank, files } satisfies Filemap);
  return files;
}

/** Step 3 (collective): agree every rank's copy worked, record the dataset as flushed, put the
 * files in place, finish. */
export async function finishFlush(ctx: Context, rec: DatasetRecord, files: FileEntry[], localError: unknown, t0: number, marks?: FlushMarks): Promise<void> {
  try {
    await agree(ctx.comm, `flushing ${rec.name}`, outcomeOf(localError));
  } catch (e) {
    if (!localError && !rec.bypass) await removeStaged(files, rec.id).catch(() => undefined);
    throw e;
  }
  const all = await ctx.comm.gatherObject(files, 0);
  let err: unknown = null;
  let placed = false;
  if (ctx.rank === 0) {
    try {
      placed = await recordFlushed(ctx.prefix, indexEntryOf(rec, { flushedAt: Date.now() }), all!, (m) => ctx.warn(m));
      if (!placed) ctx.warn(`${rec.name} was not put in place on the file system: a newer dataset was already flushed to the same paths`);
    } catch (e) { err = e; }
  }
  try {
    await agree(ctx.comm, `flushing ${rec.name}: recording it as flushed`, outcomeOf(err));
  } catch (e) {
    if (!rec.bypass) await removeStaged(files, rec.id).catch(() => undefined);
    throw e;
  }
  placed = await ctx.comm.bcastObject(placed, 0);
  // Flushed from here on: a rename that fails leaves a staged file, which readers take.
  let placeErr: unknown = null;
  try {
    if (placed) await placeFiles(files, rec.id);
    else if (!rec.bypass) await removeStaged(files, rec.id);
  } catch (e) { placeErr = e; }
  try {
    await agree(ctx.comm, `flushing ${rec.name}: renaming the files into place`, outcomeOf(placeErr));
    if (ctx.rank === 0 && placed) await finishPlacement(ctx.prefix, rec.id, ctx.cfg.int('SCR_PREFIX_SIZE'), (m) => ctx.warn(m));
  } catch (e) {
    ctx.warn(`${(e as Error).message}; ${rec.name} is flushed, with some files still under their staging names (readers use them; the next run finishes the renames)`);
  }
  if (!placed) return;
  rec.flushed = true;
  await ctx.updateCacheIndex((idx) => { if (idx.datasets[String(rec.id)]) idx.datasets[String(rec.id)]!.flushed = true; }).catch(() => undefined);
  const bytes = await ctx.comm.allreduce(files.reduce((a, f) => a + f.size, 0), 'SUM');
  const now = performance.now();
  // A synchronous flush also says where its time went, on rank 0 (phases of step 1, 2 and 3).
  const phases = marks ? { start: (marks.started - t0) / 1000, copy: (marks.copied - marks.started) / 1000, finish: (now - marks.copied) / 1000 } : {};
  await logEvent(ctx, 'FLUSH', { name: rec.name, id: rec.id, bytes, seconds: (now - t0) / 1000 }, { mode: marks ? 'sync' : 'async', ...phases });
}

/** When a synchronous flush finished step 1 (index, staging list) and step 2 (copies, fsyncs). */
export interface FlushMarks { started: number; copied: number }

/** Flushes one cached dataset synchronously (collective). Resolves when it is durable and in
 * the index. */
export async function flushDataset(ctx: Context, rec: DatasetRecord): Promise<void> {
  const t0 = performance.now();
  await startFlush(ctx, rec);
  const started = performance.now();
  let files: FileEntry[] = [];
  let err: unknown = null;
  // Synchronous: the finish follows at once, so no markers (each is an fsync on the file system).
  try { files = await flushLocal(ctx, rec, { marker: false }); } catch (e) { err = e; }
  await finishFlush(ctx, rec, files, err, t0, { started, copied: performance.now() });
}
