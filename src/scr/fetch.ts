// Fetch (SPEC §2 haveRestart, §6): when the cache has no checkpoint to restart from, copy one
// from the file system into cache, checking every file's CRC, and protect it with the descriptor's
// redundancy. Candidates come from the index: SCR_CURRENT, else the current marker, else the
// newest; a candidate that fails on any rank is marked failed in the index and the next older one
// is tried. With SCR_FETCH_BYPASS the files are read where they are.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetRecord, FileEntry } from '../cache/records.js';
import { applyFileMetadata, writeFilemap } from '../cache/records.js';
import { copyFileCrc, crcFile } from '../kernels/index.js';
import { type IndexEntry, readIndex, readRankMap, restartCandidates, updateIndex } from '../pfs/index.js';
import { agree, outcomeOf } from './agree.js';
import type { Context } from './context.js';
import { dirOf, protect, recordDataset, removeDataset } from './dataset.js';
import { CODES, ScrError } from './errors.js';
import { logEvent } from './log.js';

async function fetchMine(ctx: Context, rec: DatasetRecord, files: FileEntry[]): Promise<void> {
  const dir = dirOf(ctx, rec);
  await mkdir(join(dir, '.scr'), { recursive: true, mode: 0o700 });
  const check = ctx.cfg.bool('SCR_CRC_ON_FLUSH');
  for (const f of files) {
    let crc: number | null = null;
    if (rec.bypass) {
      if (check && f.crc !== null) crc = (await crcFile(f.path, { bufSize: ctx.fileBufSize })).crc;
    } else {
      const to = join(dir, f.name);
      crc = (await copyFileCrc(f.path, to, { bufSize: ctx.fileBufSize, fsync: false })).crc;
      await applyFileMetadata(to, f);
    }
    if (check && crc !== null && f.crc !== null && crc !== f.crc) {
      throw new ScrError(`fetching ${rec.name}: ${f.path} has CRC32 ${crc.toString(16)}, but ${f.crc.toString(16)} was recorded when it was flushed: the file is damaged`, CODES.IO);
    }
  }
  await writeFilemap(dir, { dataset: rec.id, rank: ctx.rank, files });
}

export interface Fetched {
  rec: DatasetRecord;
  /** A checkpoint written by another number of ranks: not in cache; every file of every rank,
   * to be read where it is (routeFile resolves any of them). */
  global?: FileEntry[];
}

/** A checkpoint written by a different number of ranks (SCR cannot restart from one, its issue
 * #535): nothing is copied; the ranks check the files' CRCs between them and agree. */
async function openGlobal(ctx: Context, cand: IndexEntry, ranks: FileEntry[][] | null): Promise<FileEntry[]> {
  let err: unknown = null;
  const all = (ranks ?? []).flat();
  try {
    if (!ranks) throw new ScrError(`${cand.name}: its rank map in ${ctx.prefix}/.scr is missing or damaged`, CODES.IO);
    if (ctx.cfg.bool('SCR_CRC_ON_FLUSH')) {
      for (let i = ctx.rank; i < all.length; i += ctx.size) {
        const f = all[i]!;
        if (f.crc === null) continue;
        const got = (await crcFile(f.path, { bufSize: ctx.fileBufSize })).crc;
        if (got !== f.crc) throw new ScrError(`fetching ${cand.name}: ${f.path} has CRC32 ${got.toString(16)}, but ${f.crc.toString(16)} was recorded when it was flushed: the file is damaged`, CODES.IO);
      }
    }
  } catch (e) { err = e; }
  await agree(ctx.comm, `opening ${cand.name} (written by ${cand.ranks} ranks) in place`, outcomeOf(err));
  return all;
}

/** Collective: the fetched checkpoint, or null if none could be fetched. One written by this
 * many ranks is copied into cache; one written by another number is opened in place. */
export async function fetchCheckpoint(ctx: Context, wanted: string | null): Promise<Fetched | null> {
  let candidates: IndexEntry[] = [];
  if (ctx.rank === 0) {
    try {
      candidates = restartCandidates(await readIndex(ctx.prefix), 'any', wanted);
    } catch (e) {
      ctx.warn(`cannot read the index of ${ctx.prefix}: ${(e as Error).message}; nothing is fetched`);
    }
  }
  candidates = await ctx.comm.bcastObject(candidates, 0);
  for (const cand of candidates) {
    const t0 = performance.now();
    const d = ctx.cfg.descriptorFor(cand.id, { checkpoint: true });
    const rec: DatasetRecord = {
      id: cand.id, name: cand.name, flags: cand.flags, created: cand.created, store: d.store, descriptor: d.index,
      ranks: cand.ranks, complete: true, flushed: true, bytes: cand.bytes, files: cand.files,
      ...(ctx.cfg.bool('SCR_FETCH_BYPASS') ? { bypass: true } : {}),
    };
    let map = null;
    let err: unknown = null;
    if (ctx.rank === 0) {
      try {
        map = (await readRankMap(ctx.prefix, cand.id)) ?? null;
        if (!map || map.ranks.length !== cand.ranks) throw new ScrError(`${cand.name} has no usable rank map (it lists ${map?.ranks.length ?? 0} ranks of ${cand.ranks})`, CODES.IO);
      } catch (e) { err = e; map = null; }
      if (err) ctx.warn(`${cand.name}: ${(err as Error).message}`);
    }
    const ranks = await ctx.comm.bcastObject(map?.ranks ?? null, 0);
    err = null;
    try {
      if (cand.ranks !== ctx.size) {
        const global = await openGlobal(ctx, cand, ranks);
        await logEvent(ctx, 'FETCH', { name: rec.name, id: rec.id, bytes: cand.bytes, seconds: (performance.now() - t0) / 1000, ranks: `${cand.ranks}->${ctx.size}` });
        return { rec: { ...rec, bypass: true }, global };
      }
      if (!ranks) throw new ScrError(`${cand.name}: its rank map in ${ctx.prefix}/.scr is missing or damaged`, CODES.IO);
      await fetchMine(ctx, rec, ranks[ctx.rank]!);
    } catch (e) { err = e; }
    try {
      await agree(ctx.comm, `fetching ${cand.name}`, outcomeOf(err));
      const files = ranks![ctx.rank]!;
      if (!rec.bypass) {
        const res = await protect(ctx, rec, d, files, false);
        await agree(ctx.comm, `fetching ${cand.name}: applying redundancy`, outcomeOf(res.error));
      }
      await recordDataset(ctx, rec);
      await logEvent(ctx, 'FETCH', { name: rec.name, id: rec.id, bytes: cand.bytes, seconds: (performance.now() - t0) / 1000 });
      return { rec };
    } catch (e) {
      ctx.warn(`${(e as Error).message}; marking ${cand.name} failed and trying an older checkpoint`);
      await removeDataset(ctx, rec).catch(() => undefined);
      if (ctx.rank === 0) {
        await updateIndex(ctx.prefix, (idx) => { const x = idx.datasets[String(cand.id)]; if (x) x.failed = true; if (idx.current === cand.name) idx.current = null; })
          .catch((e2: Error) => ctx.warn(`could not mark ${cand.name} failed: ${e2.message}`));
        await logEvent(ctx, 'FAILED', { name: cand.name, id: cand.id, why: JSON.stringify((e as Error).message) });
      }
      await ctx.comm.barrier();
    }
  }
  return null;
}
