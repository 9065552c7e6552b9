// The restart phase (SPEC §2 haveRestart, startRestart, routeFile, completeRestart): offer the
// checkpoint to restart from (in cache, else fetched from the file system), open it, route reads
// to its files, and on a rejection mark it failed so an older one is offered next.
import { basename, join, resolve } from 'node:path';
import type { DatasetRecord, FileEntry, Filemap } from '../cache/records.js';
import { readFilemap } from '../cache/records.js';
import { updateIndex } from '../pfs/index.js';
import { agreeKeepingMine } from './agree.js';
import type { Context } from './context.js';
import { dirOf } from './dataset.js';
import { CODES, ScrError } from './errors.js';
import { fetchCheckpoint } from './fetch.js';
import { logEvent } from './log.js';
import type { Session } from './session.js';

/** What haveRestart offered: a dataset, and for one of another rank count every rank's files. */
export interface Offer {
  rec: DatasetRecord;
  /** A checkpoint written by another number of ranks: read in place; any of its files routes. */
  global?: FileEntry[];
}

/** An open restart phase. */
export interface RestartPhase {
  rec: DatasetRecord;
  map: Filemap;
}

/** haveRestart() (collective): the checkpoint to restart from, or null. */
export async function haveRestart(s: Session): Promise<Offer | null> {
  const ctx = s.ctx;
  await s.flushes.progress();
  const usable = s.restartable();
  const wanted = ctx.cfg.optStr('SCR_CURRENT') ?? s.currentName;
  let best: Offer | null = null;
  const inCache = wanted ? usable.find((r) => r.name === wanted) : usable[0];
  if (inCache) best = { rec: inCache };
  if (!best && ctx.cfg.bool('SCR_FETCH')) {
    const fetched = await fetchCheckpoint(ctx, wanted ?? null);
    if (fetched?.global) {
      best = { rec: fetched.rec, global: fetched.global };
    } else if (fetched) {
      best = { rec: fetched.rec };
      s.datasets.set(fetched.rec.id, fetched.rec);
    }
  }
  if (!best && wanted && usable[0]) best = { rec: usable[0] };
  return best;
}

/** startRestart() (collective): opens the offered checkpoint on every rank. */
export async function startRestart(ctx: Context, offer: Offer): Promise<RestartPhase> {
  let map: Filemap | undefined;
  let err: unknown = null;
  try {
    // A checkpoint of another rank count: every file of the dataset is this rank's to route.
    if (offer.global) map = { dataset: offer.rec.id, rank: ctx.rank, files: offer.global };
    else map = await readFilemap(dirOf(ctx, offer.rec), ctx.rank);
    if (!map) throw new ScrError(`rank ${ctx.rank} has no file map for ${offer.rec.name} in ${dirOf(ctx, offer.rec)}`, CODES.IO);
  } catch (e) { err = e; }
  await agreeKeepingMine(ctx.comm, `startRestart(): opening ${offer.rec.name}`, err);
  return { rec: offer.rec, map: map! };
}

/** routeFile() in a restart phase: where to read `path` (local). */
export function routeRestart(ctx: Context, phase: RestartPhase, path: string): string {
  const { rec, map } = phase;
  const abs = resolve(path);
  const hit = map.files.find((f) => f.path === abs) ?? (map.files.filter((f) => f.name === basename(abs)).length === 1 ? map.files.find((f) => f.name === basename(abs)) : undefined);
  // (With a checkpoint of another rank count the map holds every rank's files, read in place.)
  if (!hit) {
    throw new ScrError(`routeFile(${path}): rank ${ctx.rank} has no such file in checkpoint ${rec.name} (it has ${map.files.map((f) => f.name).join(', ') || 'no files'})`, CODES.NO_FILE);
  }
  return rec.bypass ? hit.path : join(dirOf(ctx, rec), hit.name);
}

/** completeRestart(ok) once every rank's answer is reduced into `ok` (collective). */
export async function completeRestart(s: Session, rec: DatasetRecord, ok: boolean): Promise<void> {
  const ctx = s.ctx;
  if (ok) {
    await logEvent(ctx, 'RESTART', { name: rec.name, id: rec.id });
    return;
  }
  if (s.flushes.has(rec.id)) await s.flushes.progress(rec.id);
  rec.failed = true;
  ctx.warn(`checkpoint ${rec.name} was marked failed by completeRestart(false) and dropped from cache`);
  await s.drop(rec);
  if (ctx.rank === 0) {
    await updateIndex(ctx.prefix, (idx) => { const e = idx.datasets[String(rec.id)]; if (e) e.failed = true; if (idx.current === rec.name) idx.current = null; })
      .catch((e) => ctx.warn(`could not mark ${rec.name} failed in the index: ${(e as Error).message}`));
    await logEvent(ctx, 'FAILED', { name: rec.name, id: rec.id, why: 'completeRestart(false)' });
  }
  await ctx.comm.barrier();
}
