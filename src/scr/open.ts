// init() and finalize() of an enabled library (SPEC §2): make the directories, bring the cache
// back (restore.ts), finish what a previous job left half done, and choose the next dataset id;
// at the end, flush the newest checkpoint and record that the run finished on purpose.
import type { ResolvedConfig } from '../config/resolve.js';
import { CheckpointPolicy, readHalt, setHaltAside, updateHalt } from '../halt/index.js';
import { autoMtbf } from './history-mtbf.js';
import { MetaError } from '../meta/index.js';
import type { Comm } from '../mpi/index.js';
import { readIndex } from '../pfs/index.js';
import { agreeKeepingMine } from './agree.js';
import { Context } from './context.js';
import { explainDirError } from './dir-errors.js';
import { sameOnEveryRank } from './errors.js';
import { existsSync } from 'node:fs';
import { completeFlushes } from '../pfs/commit.js';
import { drainKept } from './drain.js';
import { logEvent } from './log.js';
import { restoreCache, type RestoreTiming } from './restore.js';
import { Session } from './session.js';
import { enterPhase } from './init-stats.js';

/** Opens a session (collective). `appConf`: the config() values to save for the commands. */
export async function openSession(cfg: ResolvedConfig, comm: Comm, appConf: string | null): Promise<{ session: Session; timings: RestoreTiming[] }> {
  enterPhase('node names and communicators');
  const node = cfg.str('SCR_NODE_NAME');
  const nodeOf = (await comm.allgatherObject(node)) as string[];
  // The node's communicator from the names just gathered (splitByString would gather them again).
  const nodeComm = (await comm.split(nodeOf.indexOf(node)))!;
  const ctx = new Context(cfg, comm, nodeOf, nodeComm);
  if (ctx.rank === 0) for (const w of cfg.warnings) ctx.warn(w);
  let err: unknown = null;
  enterPhase('directories and marks');
  try {
    if (ctx.rank === 0) {
      const existed = existsSync(ctx.prefix);
      await ctx.makePrefixDir();
      if (!existed) ctx.note(`SCR_PREFIX=${ctx.prefix} did not exist: created it`);
      // Always replaced, so the commands never read a previous run's config() values.
      await ctx.writeAppConf(appConf);
    }
  } catch (e) { err = explainDirError(cfg, e, ctx.prefix); }
  try {
    if (ctx.nodeLeader) await ctx.makeNodeDirs();
  } catch (e) { err ??= explainDirError(cfg, e, ctx.cntlDir); }
  try {
    enterPhase('agreement (collectives)');
    await agreeKeepingMine(comm, 'creating the control and cache directories', err);
  } catch (e) {
    // Every rank throws: uncaught, it is one line from rank 0 and a clean exit (errors.ts).
    throw sameOnEveryRank(e, 1, 'init()');
  }
  const s = new Session(ctx);
  const restored = await restoreCache(ctx);
  for (const line of restored.dropped) ctx.warn(`cache: dropped ${line}`);
  s.droppedAtInit = restored.dropped.length > 0;
  for (const rec of restored.restored) s.datasets.set(rec.id, rec);
  enterPhase('drain of kept datasets');
  if (restored.kept.length) await drainKept(ctx, restored.kept, s.restartable()[0]);
  // Ids keep growing across runs: beyond every dataset in any cache and in the PFS index.
  let pfsMax = 0;
  enterPhase('earlier flushes and the PFS index (rank 0)');
  if (ctx.rank === 0) {
    // Asynchronous flushes a previous job copied completely but could not record (SCR loses
    // these, its issue #531): finished here from the ranks' durable markers.
    try {
      const done = await completeFlushes(ctx.prefix, cfg.int('SCR_PREFIX_SIZE'), (m) => ctx.warn(m));
      for (const name of done.completed) ctx.note(`completed the flush of ${name}, which the previous run copied but did not finish`);
      for (const line of done.abandoned) ctx.warn(line);
    } catch (e) { ctx.warn(`completing earlier flushes: ${(e as Error).message}`); }
    try { pfsMax = Math.max(0, ...Object.keys((await readIndex(ctx.prefix)).datasets).map(Number)); } catch (e) { ctx.warn(`the index of ${ctx.prefix} is unreadable: ${(e as Error).message}`); }
  }
  enterPhase('agreement (collectives)');
  pfsMax = await comm.bcastObject(pfsMax, 0);
  s.nextId = Math.max(restored.maxId, pfsMax) + 1;
  enterPhase('log events');
  for (const t of restored.timings) if (t.rebuilt.length || t.moved.length) await logEvent(ctx, 'REBUILD', { name: t.name, id: t.id, seconds: t.seconds, rebuilt: t.rebuilt.join(',') || undefined, moved: t.moved.join(',') || undefined, scheme: t.scheme || undefined });
  enterPhase('halt file and policy (rank 0)');
  if (ctx.rank === 0) {
    let seen = 0;
    try { seen = (await readHalt(ctx.prefix)).checkpointNow ?? 0; } catch (e) { ctx.warn(`halt file: ${(e as Error).message}`); }
    const seconds = cfg.get('SCR_CHECKPOINT_SECONDS') as number | 'auto';
    const configured = cfg.get('SCR_MTBF') as number | null;
    const { mtbf, source } = seconds === 'auto' ? await autoMtbf(ctx.prefix, configured) : { mtbf: configured, source: undefined };
    s.policy = new CheckpointPolicy({
      interval: cfg.int('SCR_CHECKPOINT_INTERVAL'), seconds, mtbf, mtbfSource: source,
      overhead: cfg.get('SCR_CHECKPOINT_OVERHEAD') as number, checkpointNowSeen: seen,
    });
  }
  // The caller agrees on SIGTERM handling next.
  enterPhase('agreement (collectives)');
  return { session: s, timings: restored.timings };
}

/** finalize() of a session (collective). Never throws for a damaged halt file or a full file
 * system: it warns, names what failed, and leaves the cached checkpoint for `scr postrun`. */
export async function closeSession(s: Session): Promise<void> {
  const ctx = s.ctx;
  // After a SIGTERM (SCR_HALT_ON_TERM) the newest checkpoint is flushed whatever SCR_FLUSH says.
  if (await s.termAgreed()) await s.flushForTerm();
  // The newest checkpoint reaches the file system if flushing is on and it is not there yet.
  const newest = [...s.datasets.values()].filter((r) => r.flags.checkpoint && r.complete && !r.failed).sort((a, b) => b.id - a.id)[0];
  const flushing = ctx.cfg.int('SCR_FLUSH') > 0;
  if (newest && !newest.flushed && flushing) await s.flushes.flush(newest);
  await s.flushes.progress('all');
  if (newest && !newest.flushed && flushing && !newest.bypass) {
    ctx.warn(`finalize(): the newest checkpoint, ${newest.name}, could not be flushed to ${ctx.prefix} (see above); it stays in the node caches: run \`scr postrun\` (or \`scr postrun --prefix ${ctx.prefix}\`) in the same allocation to drain it before the caches go`);
  }
  if (ctx.rank === 0) await recordFinalized(s);
  await logEvent(ctx, 'FINALIZE', {});
  // finalize() returns on every rank once the run is recorded as finished.
  await ctx.comm.barrier();
  await ctx.close();
}

/** The halt file's "finalize was called" marker (rank 0). A job that stops because a halt
 * condition holds (or a SIGTERM) has not finished: the marker is left off, so a run wrapper with --requeue
 * requeues it. A damaged halt file is set aside and replaced. */
async function recordFinalized(s: Session): Promise<void> {
  const ctx = s.ctx;
  const mark = () => updateHalt(ctx.prefix, (h) => (s.haltReason(h) === null && s.termAt === null ? { ...h, finalized: true, finalizedJob: ctx.cfg.str('SCR_JOB_ID') } : undefined));
  try {
    await mark();
  } catch (e) {
    if (!(e instanceof MetaError)) {
      ctx.warn(`finalize(): could not record in the halt file that the run finished (${(e as Error).message}); a run wrapper may relaunch the job: stop it with \`scr halt --prefix ${ctx.prefix}\` once it can write there`);
      return;
    }
    try {
      const aside = await setHaltAside(ctx.prefix);
      ctx.warn(`finalize(): the halt file was damaged (${e.message}); it was moved to ${aside} and replaced (any halt conditions it held are gone: set them again with \`scr halt\`)`);
      await mark();
    } catch (e2) {
      ctx.warn(`finalize(): could not replace the damaged halt file: ${(e2 as Error).message}`);
    }
  }
}
