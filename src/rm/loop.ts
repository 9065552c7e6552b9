// The run loop of `scr sim` / `scr run` / `scr srun` (SPEC §8): launch; when the run ends, stop
// if the application finalized, a halt condition holds, SCR_RUNS is used up or fewer than
// SCR_MIN_NODES nodes remain; otherwise relaunch without the down nodes (down once, down for the
// allocation), a failed node's place taken by the first unused spare. A run the watchdog killed
// (SCR_WATCHDOG_TIMEOUT: no checkpoint for that long) is a hang, not a node failure: it is
// relaunched on the same nodes, without probing them. Each stop has a code (StopCode) that the
// wrapper decides on (requeue or not); the reason is for people. Halt state left by an earlier job
// is announced (and another job's finalize marker cleared) before the first launch (startJob).
import { type HaltContext, haltReason, type HaltRecord, readHalt, runShouldStop, startJob } from '../halt/index.js';
import type { WrapperLog } from './events.js';
import type { ResourceManager, Run } from './types.js';
import { type Watch, watchRun } from './watchdog.js';

/** Why the loop stopped:
 *  - finalized: the application called finalize();
 *  - time: the allocation is running out (a warning signal, the wrapper's or the library's
 *    allocation-end halt) — the one stop worth a requeue;
 *  - signal: the job is being ended (SIGTERM, SIGINT: a cancel);
 *  - halted: another halt condition (scr halt: a reason, checkpoints left, before/after times);
 *  - runs: SCR_RUNS launches used up; nodes: too few usable nodes;
 *  - exit0: the application exited 0 without calling finalize(). */
export type StopCode = 'finalized' | 'time' | 'signal' | 'halted' | 'runs' | 'nodes' | 'exit0';

export interface LoopOptions {
  rm: ResourceManager;
  /** Nodes a run needs (the rest of the allocation are spares); null: every usable node. */
  need: number | null;
  /** Ranks per node; 0 leaves it to the launcher's options. */
  ppn: number;
  launcher?: string;
  /** The user's launcher options, passed through. */
  launcherArgs?: string[];
  argv: string[];
  env: Record<string, string>;
  prefix: string;
  /** SCR_RUNS: launches allowed (−1: no limit). */
  runs: number;
  /** SCR_MIN_NODES: stop when fewer usable nodes remain. */
  minNodes: number;
  /** SCR_EXCLUDE_NODES, expanded. */
  exclude: string[];
  haltSeconds: number;
  say: (line: string) => void;
  /** Checks nodes before a relaunch; the ones it returns are down from then on. */
  probe?: (nodes: string[]) => Promise<Map<string, string>>;
  /** Called when a run starts (e.g. to inject a failure). */
  onLaunch?: (run: Run, nodes: string[], attempt: number) => void;
  /** SCR_HALT_GRACE: seconds a launch gets after SIGTERM if the wrapper dies. */
  graceSeconds?: number;
  /** SCR_WATCHDOG_TIMEOUT: seconds without a completed checkpoint before a run is taken for hung
   * and relaunched (0 or absent: off). */
  watchdog?: number;
  /** The event log (NODE_DOWN, RUN, RUN_END, WATCHDOG); absent: nothing is logged. */
  log?: WrapperLog;
  /** The code of a halt reason the wrapper itself wrote ('time', 'signal'); others are 'halted'. */
  ownHalt?: (reason: string) => StopCode | undefined;
  /** A stop the wrapper decided (a cancel: SIGTERM/SIGINT), checked before each launch and after
   * each run, before the halt file: a cancel stops the job even when the halt file is unwritable. */
  stop?: () => { code: StopCode; reason: string } | undefined;
}

export interface LoopResult {
  runs: number;
  finalized: boolean;
  /** Why it stopped, for people. */
  reason: string;
  /** Why it stopped, for decisions. */
  code: StopCode;
  lastCode: number | null;
  /** Runs the watchdog killed. */
  hangs: number;
}

/** The stop a halt record implies after a run, with its code; null to go on. */
export function haltStop(halt: HaltRecord, ctx: HaltContext, own?: (reason: string) => StopCode | undefined): { code: StopCode; reason: string } | null {
  const reason = runShouldStop(halt, ctx);
  if (reason === null) return null;
  if (halt.finalized) return { code: 'finalized', reason };
  if (halt.reason) return { code: own?.(halt.reason) ?? 'halted', reason };
  // The allocation-end rule is the only condition left when the others' keys are taken away.
  return { code: reason === haltReason({ seconds: halt.seconds }, ctx) ? 'time' : 'halted', reason };
}

export async function runLoop(o: LoopOptions): Promise<LoopResult> {
  // What an earlier job left in the halt file is announced; its finalize marker does not stop this job (src/halt/stale.ts).
  const early = await startJob(o.prefix, o.rm.jobId(), o.haltSeconds, o.say);
  if (early) return { ...early, code: early.finalized ? 'finalized' : 'halted', runs: 0, lastCode: null, hangs: 0 };
  const down = new Set(o.exclude.filter((n) => o.rm.nodes().includes(n)));
  let placement: string[] = [];
  let attempt = 0;
  let lastCode: number | null = null;
  let hangs = 0;
  let hung = false;
  const result = (code: StopCode, reason: string, finalized = false): LoopResult => ({ runs: attempt, finalized, reason, code, lastCode, hangs });
  const log: WrapperLog = o.log ?? (async () => undefined);
  for (;;) {
    // A resource manager that does not answer leaves the known down nodes as they are.
    const fresh = await o.rm.downNodes().catch((e: Error) => { o.say(`warning: ${e.message}; using the down nodes known so far`); return new Map<string, string>(); });
    // After a hang the nodes are not suspect: no probe.
    if (attempt > 0 && o.probe && !hung) {
      const candidates = o.rm.nodes().filter((n) => !down.has(n) && !fresh.has(n));
      for (const [n, why] of await o.probe(candidates)) fresh.set(n, why);
    }
    for (const [n, why] of fresh) {
      if (!down.has(n)) {
        o.say(`node ${n} is down (${why})`);
        await log('NODE_DOWN', { node: n, why, run: attempt || undefined });
      }
      down.add(n);
    }
    const usable = o.rm.nodes().filter((n) => !down.has(n));
    const need = Math.max(o.minNodes, o.need ?? 1);
    if (usable.length < need) {
      return result('nodes', `only ${usable.length} usable node(s) left, ${need} needed`);
    }
    // Keep every surviving node where it was; a down node's place goes to the first unused one.
    // Without a node count, a run takes every usable node.
    const next = o.need === null ? usable : attempt === 0 ? usable.slice(0, o.need) : placement.map((n) => n);
    for (let i = 0; o.need !== null && i < next.length; i++) {
      if (down.has(next[i]!)) next[i] = usable.find((n) => !next.includes(n))!;
    }
    const moved = o.need === null ? [] : placement.map((n, i) => (n !== next[i] ? `${n}→${next[i]}` : '')).filter(Boolean);
    placement = next;
    const end = await o.rm.endTime().catch(() => null);
    // A cancel that came before this launch: no launch. (No await between this check and the
    // launch, so a cancel arriving later finds the run and bounds it by the grace time.)
    const spares = usable.filter((n) => !placement.includes(n));
    const pre = o.stop?.();
    if (pre) return result(pre.code, pre.reason);
    attempt++;
    o.say(`run ${attempt}${o.runs >= 0 ? ` of at most ${o.runs}` : ''} on ${placement.join(',')}${moved.length ? ` (moved: ${moved.join(', ')})` : ''}${spares.length ? `; spares: ${spares.join(',')}` : ''}`);
    const launchedAt = Date.now();
    const after = attempt === 1 ? 'start' : hung ? 'hang' : 'failure';
    const run = o.rm.launch({ nodes: placement, ppn: o.ppn, launcher: o.launcher, launcherArgs: o.launcherArgs, argv: o.argv, graceSeconds: o.graceSeconds,
      env: { ...o.env, ...(end ? { SCR_END_TIME: String(end) } : {}) } });
    o.onLaunch?.(run, placement, attempt);
    // Logged once launched (an await before the launch would let a cancel slip in unseen); awaited
    // with the run's end.
    const runLogged = log('RUN', { run: attempt, nodes: placement.join(','), spares: spares.join(',') || undefined, moved: moved.join(',') || undefined, after });
    const run1 = attempt;
    let logged: Promise<void> | undefined;
    const watch: Watch | undefined = o.watchdog ? await watchRun({
      prefix: o.prefix, timeout: o.watchdog, run,
      onHang: (idle, newest) => {
        o.say(`watchdog: no checkpoint completed in run ${run1} for ${Math.floor(idle)} s (SCR_WATCHDOG_TIMEOUT=${o.watchdog}): ` +
          'the job is taken for hung; killing the run to relaunch it on the same nodes');
        // idle always with three decimals (formats.md), even when it is a whole number of seconds.
        logged = log('WATCHDOG', { run: run1, timeout: o.watchdog, idle: idle.toFixed(3), checkpoint: newest });
      },
    }) : undefined;
    const res = await run.done;
    await runLogged;
    watch?.stop();
    await logged;
    hung = watch?.fired() ?? false;
    if (hung) hangs++;
    lastCode = res.code;
    o.say(`run ${attempt} ended: ${res.code === 0 ? 'exit 0' : res.signal ? `killed by ${res.signal}` : `exit ${res.code}`}${hung ? ' (watchdog)' : ''}`);
    await log('RUN_END', { run: attempt, exit: res.code ?? undefined, signal: res.signal ?? undefined, watchdog: hung ? 1 : undefined, seconds: (Date.now() - launchedAt) / 1000 });
    const halt = await readHalt(o.prefix).catch(() => ({}));
    // A job that called finalize has finished, even if a cancel came after; otherwise a stop the
    // wrapper decided (a cancel) comes first: its reason says what happened.
    const fromHalt = haltStop(halt, { now: Date.now() / 1000, endTime: end, haltSeconds: o.haltSeconds }, o.ownHalt);
    const stop = fromHalt?.code === 'finalized' ? fromHalt : o.stop?.() ?? fromHalt;
    if (stop) return result(stop.code, stop.reason, stop.code === 'finalized');
    if (res.code === 0) return result('exit0', 'the application exited 0 without calling finalize()');
    if (o.runs >= 0 && attempt >= o.runs) return result('runs', `SCR_RUNS=${o.runs} launches used up${hung ? ' (the last run hung)' : ''}`);
    if (hung) o.say('relaunching after the hang on the same nodes (not a node failure: no node is left out)');
  }
}
