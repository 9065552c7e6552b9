// init() and finalize() of an enabled library (SPEC §2): make the directories, bring the cache
// back (restore.ts), finish what a previous job left half done, and choose the next dataset id;
// at the end, flush the newest checkpoint and record that the run finished on purpose.
import type { ResolvedConfig } from '../config/resolve.js';
import { CheckpointPolicy, readHalt, updateHalt } from '../halt/index.js';
import type { Comm } from '../mpi/index.js';
import { readIndex } from '../pfs/index.js';
import { agreeKeepingMine } from './agree.js';
import { Context } from './context.js';
import { completeFlushesFromMarkers } from './flush.js';
import { logEvent } from './log.js';
import { restoreCache, type RestoreTiming } from './restore.js';
import { Session } from './session.js';

/** Opens a session (collective). `appConf`: the config() values to save for the commands. */
export async function openSession(cfg: ResolvedConfig, comm: Comm, appConf: string | null): Promise<{ session: Session; timings: RestoreTiming[] }> {
  const node = cfg.str('SCR_NODE_NAME');
  const nodeOf = (await comm.allgatherObject(node)) as string[];
  const nodeComm = await comm.splitByString(node);
  const ctx = new Context(cfg, comm, nodeOf, nodeComm);
  if (ctx.rank === 0) for (const w of cfg.warnings) ctx.warn(w);
  let err: unknown = null;
  try {
    if (ctx.rank === 0) {
      await ctx.makePrefixDir();
      // Always replaced, so the commands never read a previous run's config() values.
      await ctx.writeAppConf(appConf);
    }
    if (ctx.nodeLeader) await ctx.makeNodeDirs();
  } catch (e) { err = e; }
  await agreeKeepingMine(comm, 'creating the control and cache directories', err);
  const s = new Session(ctx);
  const restored = await restoreCache(ctx);
  for (const line of restored.dropped) ctx.warn(`cache: dropped ${line}`);
  for (const rec of restored.restored) s.datasets.set(rec.id, rec);
  // Ids keep growing across runs: beyond every dataset in any cache and in the PFS index.
  let pfsMax = 0;
  if (ctx.rank === 0) {
    // Asynchronous flushes a previous job copied completely but could not record (SCR loses
    // these, its issue #531): finished here from the ranks' durable markers.
    try {
      for (const name of await completeFlushesFromMarkers(ctx.prefix, cfg.int('SCR_PREFIX_SIZE'))) ctx.note(`completed the flush of ${name}, which the previous run copied but did not record`);
    } catch (e) { ctx.warn(`completing earlier flushes: ${(e as Error).message}`); }
    try { pfsMax = Math.max(0, ...Object.keys((await readIndex(ctx.prefix)).datasets).map(Number)); } catch (e) { ctx.warn(`the index of ${ctx.prefix} is unreadable: ${(e as Error).message}`); }
  }
  pfsMax = await comm.bcastObject(pfsMax, 0);
  s.nextId = Math.max(restored.maxId, pfsMax) + 1;
  for (const t of restored.timings) if (t.rebuilt.length || t.moved.length) await logEvent(ctx, 'REBUILD', { name: t.name, id: t.id, seconds: t.seconds, rebuilt: t.rebuilt.join(',') || undefined, moved: t.moved.join(',') || undefined });
  if (ctx.rank === 0) {
    let seen = 0;
    try { seen = (await readHalt(ctx.prefix)).checkpointNow ?? 0; } catch (e) { ctx.warn(`halt file: ${(e as Error).message}`); }
    s.policy = new CheckpointPolicy({
      interval: cfg.int('SCR_CHECKPOINT_INTERVAL'), seconds: cfg.int('SCR_CHECKPOINT_SECONDS'),
      overhead: cfg.get('SCR_CHECKPOINT_OVERHEAD') as number, checkpointNowSeen: seen,
    });
  }
  return { session: s, timings: restored.timings };
}

/** finalize() of a session (collective). */
export async function closeSession(s: Session): Promise<void> {
  const ctx = s.ctx;
  // The newest checkpoint reaches the file system if flushing is on and it is not there yet.
  const newest = [...s.datasets.values()].filter((r) => r.flags.checkpoint && r.complete).sort((a, b) => b.id - a.id)[0];
  if (newest && !newest.flushed && ctx.cfg.int('SCR_FLUSH') > 0) await s.flushes.flush(newest);
  await s.flushes.progress('all');
  let err: unknown = null;
  if (ctx.rank === 0) {
    // A job that stops because a halt condition holds has not finished: the marker is left
    // off, so a run wrapper with --requeue requeues it.
    try { await updateHalt(ctx.prefix, (h) => (s.haltReason(h) === null ? { ...h, finalized: true } : undefined)); } catch (e) { err = e; }
  }
  await agreeKeepingMine(ctx.comm, 'recording that finalize() was called', err);
  await logEvent(ctx, 'FINALIZE', {});
  await ctx.close();
}
