// The run wrapper behind `scr srun`, `scr run` and `scr sim` (SPEC §7, §8): the run loop, plus
//  - the scheduler's warning signal (USR1/USR2; TERM/INT when the job is being ended) becomes a
//    halt, so the application checkpoints and exits cleanly;
//  - its own halt SCR_HALT_SECONDS before the allocation ends (asked of the resource manager every
//    30 s, so an extended time limit is seen), not depending on the signal;
//  - `scr halt --immediate` ends the running step;
//  - at the end, postrun's scavenge, then (last, because it ends the job) requeue when asked and the
//    job stopped only because its time ran out.
// A halt reason the wrapper set is removed again before it returns, so it never halts the next job.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/resolve.js';
import { readHalt, updateHalt } from '../halt/index.js';
import { type NodeAccess, scavenge, type ScavengeProgress, type ScavengeReport } from '../scavenge/scavenge.js';
import { excludedNodes } from './down.js';
import { runLoop, type LoopResult } from './loop.js';
import type { ResourceManager, Run } from './types.js';

export interface WrapOptions {
  rm: ResourceManager & { requeue?(): Promise<void> };
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
  /** Seconds between end-time queries (default 30). */
  endPollSeconds?: number;
}

export interface WrapResult extends LoopResult {
  scavenge: ScavengeReport;
  requeued: boolean;
  /** The halt reason the wrapper set (signal or time), if any. */
  haltedBy?: string;
}

const WARNINGS: NodeJS.Signals[] = ['SIGUSR1', 'SIGUSR2'];
const ENDINGS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

export async function runWrapped(o: WrapOptions): Promise<WrapResult> {
  const prefix = o.cfg.str('SCR_PREFIX');
  await mkdir(join(prefix, '.scr'), { recursive: true, mode: 0o700 });
  const haltSeconds = o.cfg.int('SCR_HALT_SECONDS');
  let current: Run | undefined;
  let ours: string | undefined;
  let endings = 0;

  const halt = async (reason: string): Promise<void> => {
    if (ours) return;
    ours = reason;
    const h = await updateHalt(prefix, (old) => (old.reason ? undefined : { ...old, reason }));
    o.say(h.reason === reason ? `halting the job: ${reason}` : `${reason}; the job is already halting (${h.reason})`);
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    if (ENDINGS.includes(sig) && ++endings > 1) { o.say(`${sig} again: ending the run now`); current?.kill('SIGKILL'); return; }
    void halt(WARNINGS.includes(sig) ? `${sig} from the scheduler: the allocation is ending` : `${sig}: the job is being ended`).catch((e) => o.say(`could not write the halt file: ${(e as Error).message}`));
  };
  for (const s of [...WARNINGS, ...ENDINGS]) process.on(s, onSignal);

  let lastEndCheck = 0;
  let killedImmediate = false;
  const watch = setInterval(() => {
    void (async () => {
      const h = await readHalt(prefix).catch(() => ({} as Awaited<ReturnType<typeof readHalt>>));
      if (h.immediate && current && !killedImmediate) {
        killedImmediate = true;
        o.say(`scr halt --immediate: ending the running step`);
        current.kill('SIGTERM');
        setTimeout(() => current?.kill('SIGKILL'), 5000).unref();
      }
      const now = Date.now() / 1000;
      if (haltSeconds > 0 && now - lastEndCheck >= (o.endPollSeconds ?? 30)) {
        lastEndCheck = now;
        const end = await o.rm.endTime().catch(() => null);
        if (end !== null && end - now < haltSeconds) await halt(`the allocation ends in ${Math.max(0, Math.floor(end - now))} s (SCR_HALT_SECONDS=${haltSeconds})`);
      }
    })().catch(() => undefined);
  }, 1000);

  const excluded = new Map([...await excludedNodes(o.cfg, o.rm.jobId()), ...(o.extraExclude ?? [])]);
  for (const [n, why] of excluded) if (o.rm.nodes().includes(n)) o.say(`leaving out ${n}: ${why}`);
  let result: LoopResult;
  try {
    result = await runLoop({
      rm: o.rm, need: o.need, ppn: o.ppn, launcher: o.launcher, launcherArgs: o.launcherArgs, argv: o.argv, prefix, runs: o.runs,
      env: { SCR_PREFIX: prefix, SCR_JOB_ID: o.rm.jobId() },
      minNodes: o.cfg.optInt('SCR_MIN_NODES') ?? 1,
      exclude: [...excluded.keys()],
      haltSeconds, say: o.say,
      onLaunch: (run, nodes, attempt) => { current = run; killedImmediate = false; o.onLaunch?.(run, nodes, attempt); },
    });
  } finally {
    clearInterval(watch);
  }
  o.say(`stopping: ${result.reason}`);

  const ident = { user: o.cfg.str('SCR_USER_NAME'), jobId: o.rm.jobId() };
  const down = await o.rm.downNodes().catch(() => new Map<string, string>());
  const live = o.rm.nodes().filter((n) => !down.has(n));
  for (const [n, why] of down) o.say(`postrun: leaving out ${n}: ${why}`);
  const report = await scavenge(o.cfg, ident, live, o.progress ?? ((s) => o.say(`postrun: ${s}`)), o.access, o.bar);
  if (!report.datasets.length && !report.completedFromMarkers.length) o.say('postrun: nothing to scavenge');

  // Our own halt reason belongs to this allocation only; a requeued or next job must not see it.
  const haltedBy = ours;
  if (ours) await updateHalt(prefix, (h) => (h.reason === ours ? { ...h, reason: undefined, immediate: undefined } : undefined));
  let requeued = false;
  // Out of time: our own halt (signal or SCR_HALT_SECONDS), or the library saw the end coming.
  const outOfTime = haltedBy !== undefined || /^allocation end/.test(result.reason);
  if (o.requeue && !result.finalized && outOfTime) {
    if (!o.rm.requeue) o.say(`--requeue: the ${o.rm.name} resource manager cannot requeue a job`);
    else {
      o.say('requeueing the job (scontrol requeue): it resumes from its checkpoint when it starts again');
      await o.rm.requeue();
      requeued = true;
    }
  }
  for (const s of [...WARNINGS, ...ENDINGS]) process.off(s, onSignal);
  // A late warning signal while we exit must not kill the wrapper with a signal status.
  for (const s of WARNINGS) process.on(s, () => undefined);
  return { ...result, scavenge: report, requeued, ...(haltedBy ? { haltedBy } : {}) };
}
