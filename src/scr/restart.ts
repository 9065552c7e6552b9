// The restart phase (SPEC §2 haveRestart, startRestart, routeFile, completeRestart): offer the
// checkpoint to restart from (in cache, else fetched from the file system), open it, route reads
// to its files, and on a rejection mark it failed so an older one is offered next.
import { existsSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { stagePath } from '../pfs/commit.js';
import type { DatasetRecord, Filemap } from '../cache/records.js';
import { readFilemap } from '../cache/records.js';
import { type Failure, markFailed, readIndex, restartCandidates } from '../pfs/index.js';
import { agreeKeepingMine } from './agree.js';
import type { Context } from './context.js';
import { dirOf } from './dataset.js';
import { CODES, ScrError } from './errors.js';
import { fetchCheckpoint, type PlacedFile } from './fetch.js';
import { logEvent } from './log.js';
import type { Session } from './session.js';

/** What haveRestart offered: a dataset in cache, or one read in place from the file system. */
export interface Offer {
  rec: DatasetRecord;
  /** Read in place: the files this rank may route, and where each is read. */
  inPlace?: PlacedFile[];
}

/** An open restart phase. */
export interface RestartPhase {
  rec: DatasetRecord;
  map: Filemap;
  /** Where each file is read when the checkpoint is read in place. */
  readAt?: Map<string, string>;
}

/** haveRestart() (collective): the checkpoint to restart from, or null. */
export async function haveRestart(s: Session): Promise<Offer | null> {
  const ctx = s.ctx;
  await s.flushes.progress();
  const usable = s.restartable();
  const wanted = ctx.cfg.optStr('SCR_CURRENT') ?? s.currentName;
  let best: Offer | null = null;
  let inCache = wanted ? usable.find((r) => r.name === wanted) : usable[0];
  // A newer checkpoint on the file system (one written by another number of ranks, say, which
  // the cache could not restore) wins over an older one in cache.
  if (inCache && !wanted && ctx.cfg.bool('SCR_FETCH') && (await newerOnPfs(ctx, inCache.id))) inCache = undefined;
  if (inCache) best = { rec: inCache };
  const tried = { count: 0 };
  if (!best && ctx.cfg.bool('SCR_FETCH')) {
    const fetched = await fetchCheckpoint(ctx, wanted ?? null, tried);
    if (fetched?.inPlace) {
      best = { rec: fetched.rec, inPlace: fetched.inPlace };
    } else if (fetched) {
      best = { rec: fetched.rec };
      s.datasets.set(fetched.rec.id, fetched.rec);
    }
  }
  if (!best && wanted && usable[0]) best = { rec: usable[0] };
  if (!best) nothingLeftNote(s, tried.count);
  return best;
}

/** Whether the file system's first restart candidate is newer than dataset `id` (collective). */
async function newerOnPfs(ctx: Context, id: number): Promise<boolean> {
  let newer = false;
  if (ctx.rank === 0) {
    try { newer = (restartCandidates(await readIndex(ctx.prefix, (m) => ctx.warn(m)), 'any', null)[0]?.id ?? 0) > id; } catch { /* the cache's then */ }
  }
  return ctx.comm.bcastObject(newer, 0);
}

/** startRestart() (collective): opens the offered checkpoint on every rank. */
export async function startRestart(ctx: Context, offer: Offer): Promise<RestartPhase> {
  let map: Filemap | undefined;
  let err: unknown = null;
  try {
    // Read in place (e.g. another rank count: every file of the dataset is this rank's to route).
    if (offer.inPlace) map = { dataset: offer.rec.id, rank: ctx.rank, files: offer.inPlace };
    else map = await readFilemap(dirOf(ctx, offer.rec), ctx.rank);
    if (!map) throw new ScrError(`rank ${ctx.rank} has no file map for ${offer.rec.name} in ${dirOf(ctx, offer.rec)}`, CODES.IO);
  } catch (e) { err = e; }
  await agreeKeepingMine(ctx.comm, `startRestart(): opening ${offer.rec.name}`, err);
  return { rec: offer.rec, map: map!, ...(offer.inPlace ? { readAt: new Map(offer.inPlace.map((f) => [f.path, f.readAt])) } : {}) };
}

/** routeFile() in a restart phase: where to read `path` (local). */
export function routeRestart(ctx: Context, phase: RestartPhase, path: string): string {
  const { rec, map } = phase;
  const abs = resolve(path);
  // By path; else, for a path under this job's prefix, by a file name unique in the checkpoint.
  // (With a checkpoint of another rank count the map holds every rank's files, read in place.)
  const rel = relative(ctx.prefix, abs);
  const underPrefix = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  const byName = underPrefix ? map.files.filter((f) => f.name === basename(abs)) : [];
  const hit = map.files.find((f) => f.path === abs) ?? (byName.length === 1 ? byName[0] : undefined);
  if (!hit) {
    throw new ScrError(`routeFile(${path}): rank ${ctx.rank} has no such file in checkpoint ${rec.name} (it has ${map.files.map((f) => f.name).join(', ') || 'no files'})`, CODES.NO_FILE);
  }
  if (!rec.bypass) return join(dirOf(ctx, rec), hit.name);
  // On the file system: where the fetch found it, else its staged copy while one exists.
  const staged = stagePath(hit.path, rec.id);
  return phase.readAt?.get(hit.path) ?? (existsSync(staged) ? staged : hit.path);
}

/** completeRestart(ok) once every rank's answer is reduced into `ok` (collective). */
export async function completeRestart(s: Session, rec: DatasetRecord, ok: boolean): Promise<void> {
  const ctx = s.ctx;
  if (ok) {
    await logEvent(ctx, 'RESTART', { name: rec.name, id: rec.id });
    return;
  }
  if (s.flushes.has(rec.id)) await s.flushes.progress(rec.id);
  // A rejection must be reversible (the application may be wrong, e.g. about its own input):
  // a checkpoint only in cache is first flushed, so the mark can be undone with --unfail.
  const inCacheOnly = !rec.flushed && !rec.bypass && s.datasets.has(rec.id);
  if (inCacheOnly && ctx.cfg.int('SCR_FLUSH') > 0) await s.flushes.flush(rec);
  await s.flushes.progress(rec.id);
  const kept = !!(rec.flushed || rec.bypass);
  rec.failed = true;
  s.rejected.push({ name: rec.name, kept });
  ctx.warn(`checkpoint ${rec.name} was rejected by the application (completeRestart(false)): ${kept ? 'it is marked failed in the index' : `it was only in cache${ctx.cfg.int('SCR_FLUSH') > 0 ? ' and could not be flushed' : ' (SCR_FLUSH=0)'}, so it is deleted`}`);
  await s.drop(rec);
  if (ctx.rank === 0) {
    const failure: Failure = { check: 'rejected', message: 'rejected by the application (completeRestart(false))', at: Date.now() };
    await markFailed(ctx.prefix, rec.id, failure, (m) => ctx.warn(m)).catch((e) => ctx.warn(`could not mark ${rec.name} failed in the index: ${(e as Error).message}`));
    await logEvent(ctx, 'FAILED', { name: rec.name, id: rec.id, why: 'completeRestart(false)' });
  }
  await ctx.comm.barrier();
}

/** Said when haveRestart finds nothing although there were checkpoints: what happened to them,
 * and — when the application rejected them, perhaps by a mistake of its own — how to undo it. */
function nothingLeftNote(s: Session, fetchFailures: number): void {
  const why: string[] = [];
  const kept = [...new Set(s.rejected.filter((r) => r.kept).map((r) => r.name))];
  const gone = [...new Set(s.rejected.filter((r) => !r.kept).map((r) => r.name))];
  if (kept.length) {
    why.push(`the application rejected ${kept.join(', ')} with completeRestart(false), and each is now marked failed; if that was a mistake ` +
      `(for example because of the application's own input), clear the marks with ${kept.map((n) => `\`scr index --unfail ${n}\``).join(', ')} (each checks every CRC first) and restart`);
  }
  if (gone.length) why.push(`the application rejected ${gone.join(', ')}, which ${gone.length > 1 ? 'were' : 'was'} only in cache (SCR_FLUSH=0) and ${gone.length > 1 ? 'are' : 'is'} deleted; with SCR_FLUSH > 0 a rejected checkpoint is kept on the file system and can be restored with \`scr index --unfail\``);
  if (s.droppedAtInit && !s.rejected.length) why.push('the checkpoints in cache could not be restored (see the warnings above)');
  if (fetchFailures) why.push(`${fetchFailures} checkpoint${fetchFailures > 1 ? 's' : ''} on the file system could not be used (see above)`);
  if (why.length) s.ctx.warn(`no checkpoint is left to restart from, so the application starts from the beginning: ${why.join('; ')}`);
  s.rejected.length = 0;
}
