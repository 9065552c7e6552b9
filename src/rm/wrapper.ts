// The run wrapper behind `scr srun`, `scr run` and `scr sim` (SPEC §7, §8): the run loop, plus
//  - the scheduler's warning signal (USR1/USR2; TERM/INT when the job is being ended) becomes a
//    halt, so the application checkpoints and exits cleanly; TERM/INT are a cancel: no node is
//    called down, nothing is relaunched, and the end says what was saved (cancel-summary.ts);
//  - its own halt SCR_HALT_SECONDS before the allocation ends (asked of the resource manager every
//    30 s, so an extended time limit is seen), not depending on the signal;
//  - `scr halt --immediate` ends the running step;
//  - once asked to stop (SIGTERM/SIGINT, `scr halt --immediate`), it waits at most SCR_HALT_GRACE
//    seconds for the run to end, then kills it (launcher and ranks; a run launched through the
//    guard of guard.ts never outlives the wrapper, however the wrapper ends);
//  - a halt it could not write is said and written again at the next tick (every second);
//  - at the end, postrun's scavenge, then (last, because it ends the job) requeue when asked and the
//    job stopped only because its time ran out (stop code 'time'), unless the requeue guard
//    (requeue-guard.ts) says why not.
// A halt reason the wrapper set is removed again before it returns, so it never halts the next job.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/resolve.js';
import { haltFilePath, readHalt, updateHalt } from '../halt/index.js';
import { type NodeAccess, scavenge, type ScavengeProgress, type ScavengeReport } from '../scavenge/scavenge.js';
import { cancelSummary } from './cancel-summary.js';
import { logScavenged, wrapperLog } from './events.js';
import { excludedNodes } from './down.js';
import { runLoop, type LoopResult, type StopCode } from './loop.js';
import { newestCheckpoint, requeueBlockers } from './requeue-guard.js';
import type { ResourceManager, Run } from './types.js';

export interface WrapOptions {
  rm: ResourceManager & { requeue?(): Promise<void>; timeLimit?(): Promise<number | null> };
  cfg: ResolvedConfig;
  need: number | null;
  ppn: number;
  /** The launcher (srun, an mpirun); the resource manager's default when absent. */
  launcher?: string;
  launcherArgs?: string[];
  argv: string[];
  /** Nodes to leave out besides SCR_EXCLUDE_NODES and prerun's bad nodes, with why. */
  extraExclude?: Map<string, string>;
  /** Launches allowed (−1: no limit). */
  runs: number;
  /** Requeue the job when it stopped for lack of time. */
  requeue: boolean;
  say: (line: string) => void;
  /** Progress of the scavenge (a bar on a terminal). */
  progress?: (line: string) => void;
  onLaunch?: (run: Run, nodes: string[], attempt: number) => void;
  /** A progress bar for the scavenge's copies. */
  bar?: ScavengeProgress;
  /** How the scavenge reaches the nodes' caches (default: from this process). */
  access?: NodeAccess;
  /** Checks nodes before a relaunch (e.g. prerun's node check); what fails is down from then on. */
  probe?: (nodes: string[]) => Promise<Map<string, string>>;
  /** Seconds between end-time queries (default 30). */
  endPollSeconds?: number;
}

export interface WrapResult extends LoopResult {
  scavenge: ScavengeReport;
  requeued: boolean;
  /** Why a job that ran out of time was not requeued (the requeue guard), if it was not. */
  notRequeued?: string[];
  /** The halt reason the wrapper set (signal or time), if any. */
  haltedBy?: string;
}

const WARNINGS: NodeJS.Signals[] = ['SIGUSR1', 'SIGUSR2'];
const ENDINGS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

export async function runWrapped(o: WrapOptions): Promise<WrapResult> {
  const prefix = o.cfg.str('SCR_PREFIX');
  await mkdir(join(prefix, '.scr'), { recursive: true, mode: 0o700 });
  const haltSeconds = o.cfg.int('SCR_HALT_SECONDS');
  const grace = o.cfg.int('SCR_HALT_GRACE');
  let current: Run | undefined;
  /** The halt the wrapper wrote (its reason and stop code); `wanted` one it could not write yet. */
  let ours: { reason: string; code: StopCode } | undefined;
  let wanted: { reason: string; code: StopCode; tries: number } | undefined;
  let writing = false;
  /** A cancel (SIGTERM/SIGINT): the loop stops after this run even if the halt file is unwritable. */
  let cancelled: { reason: string; code: StopCode } | undefined;
  let endings = 0;
  const startedAt = Date.now();
  const timers: NodeJS.Timeout[] = [];
  const log = wrapperLog(prefix, o.cfg.bool('SCR_LOG_ENABLE'), o.say);

  /** Writes the wanted halt reason; on failure says so (once) and leaves it for the next tick. */
  const writeHalt = async (): Promise<void> => {
    if (!wanted || writing) return;
    writing = true;
    const w = wanted;
    try {
      const h = await updateHalt(prefix, (old) => (old.reason ? undefined : { ...old, reason: w.reason }));
      wanted = undefined;
      if (h.reason === w.reason) ours = { reason: w.reason, code: w.code };
      const late = w.tries > 0 ? ` (written at attempt ${w.tries + 1})` : '';
      o.say(h.reason === w.reason ? `halting the job: ${w.reason}${late}` : `${w.reason}; the job is already halting (${h.reason})`);
    } catch (e) {
      if (w.tries++ === 0) {
        o.say(`could not write the halt file ${haltFilePath(prefix)}: ${(e as Error).message}; the job is not told to halt yet. ` +
          `Retrying every second: make ${join(prefix, '.scr')} writable (or free space there)`);
      }
    } finally {
      writing = false;
    }
  };
  const halt = async (reason: string, code: StopCode): Promise<void> => {
    if (ours || wanted) return;
    wanted = { reason, code, tries: 0 };
    await writeHalt();
  };
  /** Kills `run` (SIGKILL: launcher and ranks) if it has not ended SCR_HALT_GRACE seconds from now. */
  const killAfterGrace = (run: Run, why: string): void => {
    let over = false;
    void run.done.then(() => { over = true; });
    timers.push(setTimeout(() => {
      if (over) return;
      o.say(`the run did not end within SCR_HALT_GRACE=${grace} s of ${why}: killing the launcher and its ranks`);
      run.kill('SIGKILL');
    }, grace * 1000));
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    // SIGTERM/SIGINT are a cancel (scancel, Ctrl-C), not the allocation running out: no requeue.
    if (ENDINGS.includes(sig) && ++endings > 1) { o.say(`${sig} again: ending the run now`); current?.kill('SIGKILL'); return; }
    const warning = WARNINGS.includes(sig);
    const reason = warning ? `${sig} from the scheduler: the allocation is ending` : `${sig}: the job is being ended`;
    if (!warning) {
      // The job gets SCR_HALT_GRACE seconds to checkpoint and exit, then it is killed; no relaunch.
      cancelled = { reason: `cancelled (${sig})`, code: 'signal' };
      if (current) killAfterGrace(current, sig);
    }
    void halt(reason, warning ? 'time' : 'signal');
  };
  const handlers = () => { for (const s of [...WARNINGS, ...ENDINGS]) process.off(s, onSignal); };
  for (const s of [...WARNINGS, ...ENDINGS]) process.on(s, onSignal);

  // Every second: write a halt that could not be written; act on `scr halt --immediate`; and halt
  // SCR_HALT_SECONDS before the allocation ends, asking for the end every 30 s, or sooner when the
  // halt point comes before that.
  let nextEndCheck = 0;
  // Once the loop is over, a tick still waiting (on squeue, on the halt file) must not act: it could
  // write a halt reason after ours was removed, or arm a kill timer that keeps the wrapper alive.
  let stopped = false;
  let tick: Promise<void> = Promise.resolve();
  const stopWatching = async (): Promise<void> => { stopped = true; clearInterval(watch); await tick; };
  const watch = setInterval(() => {
    if (stopped) return;
    tick = (async () => {
      if (wanted) await writeHalt();
      const h = await readHalt(prefix).catch(() => ({} as Awaited<ReturnType<typeof readHalt>>));
      if (stopped) return;
      if (h.immediate && current) {
        const run = current;
        current = undefined;
        o.say('scr halt --immediate: ending the running step');
        // One shot: the flag goes, the reason stays (the loop stops on it).
        await updateHalt(prefix, (x) => ({ ...x, immediate: undefined })).catch(() => undefined);
        run.kill('SIGTERM');
        killAfterGrace(run, 'scr halt --immediate');
      }
      const now = Date.now() / 1000;
      if (haltSeconds > 0 && !ours && !wanted && now >= nextEndCheck) {
        nextEndCheck = now + (o.endPollSeconds ?? 30);
        const end = await o.rm.endTime().catch(() => null);
        if (end === null || stopped) return;
        const left = end - now;
        if (left < haltSeconds) await halt(`the allocation ends in ${Math.max(0, Math.floor(left))} s (SCR_HALT_SECONDS=${haltSeconds})`, 'time');
        else nextEndCheck = Math.min(nextEndCheck, end - haltSeconds + 0.5);
      }
    })().catch(() => undefined);
  }, 1000);

  let result: LoopResult;
  let report: ScavengeReport;
  let logged = false;
  let requeued = false;
  let notRequeued: string[] | undefined;
  try {
    // What the job can restart from now: the requeue guard compares it with what it can at the end.
    const before = o.requeue ? await newestCheckpoint(prefix, o.say) : undefined;
    // The watchdog sees checkpoints complete in the event log only.
    let watchdog = o.cfg.int('SCR_WATCHDOG_TIMEOUT');
    if (watchdog > 0 && !o.cfg.bool('SCR_LOG_ENABLE')) {
      o.say(`SCR_WATCHDOG_TIMEOUT=${watchdog} is ignored: the watchdog sees checkpoints complete in the event log, which SCR_LOG_ENABLE=0 turns off`);
      watchdog = 0;
    }
    const excluded = new Map([...await excludedNodes(o.cfg, o.rm.jobId()), ...(o.extraExclude ?? [])]);
    await log('JOB_START', { job: o.rm.jobId(), rm: o.rm.name, nodes: o.rm.nodes().join(','), need: o.need ?? undefined, runs: o.runs });
    for (const [n, why] of excluded) {
      if (!o.rm.nodes().includes(n)) continue;
      o.say(`leaving out ${n}: ${why}`);
      await log('NODE_DOWN', { node: n, why });
    }
    result = await runLoop({
      rm: o.rm, need: o.need, ppn: o.ppn, launcher: o.launcher, launcherArgs: o.launcherArgs, argv: o.argv, prefix, runs: o.runs,
      env: { SCR_PREFIX: prefix, SCR_JOB_ID: o.rm.jobId() },
      minNodes: o.cfg.optInt('SCR_MIN_NODES') ?? 1,
      exclude: [...excluded.keys()],
      haltSeconds, say: o.say, probe: o.probe,
      graceSeconds: grace, watchdog, log,
      ownHalt: (reason) => (ours?.reason === reason ? ours.code : undefined),
      stop: () => cancelled,
      onLaunch: (run, nodes, attempt) => { current = run; o.onLaunch?.(run, nodes, attempt); },
    });
    // No run is left to watch; the outer finally also stops the watch if the loop threw.
    await stopWatching();
    o.say(`stopping: ${result.reason}`);

    const ident = { user: o.cfg.str('SCR_USER_NAME'), jobId: o.rm.jobId() };
    // A cancel (SIGTERM/SIGINT): the nodes are being released, not failing (squeue lists a
    // completing job's nodes only until each is done), so none is called down; the SIGKILL may
    // come at any moment, so our halt reason goes first (it must not stop the next job), then
    // what was saved and what not; the scavenge is tried only for what is not saved.
    if (cancelled) await removeOurs(prefix, ours?.reason).catch(() => undefined);
    const atCancel = cancelled ? await cancelSummary(prefix, startedAt) : null;
    for (const line of atCancel?.lines ?? []) o.say(line);
    if (atCancel?.lost.length) o.say('trying to scavenge them from the node caches before the allocation ends');
    const lostAtCancel = atCancel?.lost ?? [];
    const down = cancelled ? new Map<string, string>()
      : await o.rm.downNodes().catch((e: Error) => { o.say(`warning: ${e.message}; scavenging from every node`); return new Map<string, string>(); });
    const live = o.rm.nodes().filter((n) => !down.has(n));
    for (const [n, why] of down) o.say(`postrun: leaving out ${n}: ${why}`);
    report = cancelled && !lostAtCancel.length ? { datasets: [], skipped: [], completedFromMarkers: [] }
      : await scavenge(o.cfg, ident, live, o.progress ?? ((s) => o.say(`postrun: ${s}`)), o.access, o.bar);
    await logScavenged(log, report);
    if (!report.datasets.length && !report.completedFromMarkers.length) o.say(cancelled && !lostAtCancel.length ? 'postrun: nothing to scavenge (the newest checkpoint is on the file system)' : 'postrun: nothing to scavenge');

    // Out of time: a warning signal or our SCR_HALT_SECONDS halt, or the library's allocation-end
    // rule (SCR_END_TIME with SCR_HALT_SECONDS or `scr halt --seconds`).
    if (o.requeue && result.code === 'time') {
      const blockers = requeueBlockers({
        prefix, haltSeconds, before, after: await newestCheckpoint(prefix, o.say),
        timeLimit: o.rm.timeLimit ? await o.rm.timeLimit().catch(() => null) : null,
      });
      if (blockers.length) {
        notRequeued = blockers;
        o.say(`not requeueing the job: ${blockers.join('; and ')}`);
        await log('REQUEUE', { done: 0, why: blockers.join('; and ') });
      } else if (!o.rm.requeue) {
        o.say(`--requeue: the ${o.rm.name} resource manager cannot requeue a job`);
        await log('REQUEUE', { done: 0, why: `the ${o.rm.name} resource manager cannot requeue a job` });
      } else {
        // Requeueing makes the manager (Slurm) signal this process: nothing may write a halt after this point,
        // and the job's last lines go to the log first.
        handlers();
        await removeOurs(prefix, ours?.reason);
        await log('REQUEUE', { done: 1 });
        await log('JOB_END', { code: result.code, runs: result.runs, hangs: result.hangs || undefined, seconds: (Date.now() - startedAt) / 1000, reason: result.reason });
        logged = true;
        o.say(`requeueing the job (${o.rm.requeueCommand ?? o.rm.name}): it resumes from its checkpoint when it starts again`);
        await o.rm.requeue();
        requeued = true;
      }
    }
    if (!logged) await log('JOB_END', { code: result.code, runs: result.runs, hangs: result.hangs || undefined, seconds: (Date.now() - startedAt) / 1000, reason: result.reason });
  } finally {
    await stopWatching();
    for (const t of timers) clearTimeout(t);
    handlers();
    // A late signal while we exit must not kill the wrapper with a signal status.
    ignoreLateWarnings();
    // Our own halt reason belongs to this allocation only; a requeued or next job must not see it.
    await removeOurs(prefix, ours?.reason).catch((e: Error) => o.say(`warning: could not remove the wrapper's halt reason: ${e.message}`));
  }
  return { ...result, scavenge: report, requeued, ...(notRequeued ? { notRequeued } : {}), ...(ours ? { haltedBy: ours.reason } : {}) };
}

let lateIgnored = false;
function ignoreLateWarnings(): void {
  if (lateIgnored) return;
  lateIgnored = true;
  for (const s of WARNINGS) process.on(s, () => undefined);
}

async function removeOurs(prefix: string, ours: string | undefined): Promise<void> {
  if (ours) await updateHalt(prefix, (h) => (h.reason === ours ? { ...h, reason: undefined, immediate: undefined } : undefined));
}
