// The run loop of `scr sim` / `scr run` / `scr srun` (SPEC §8): launch; when the run ends, stop
// if the application finalized, a halt condition holds, SCR_RUNS is used up or fewer than
// SCR_MIN_NODES nodes remain; otherwise relaunch without the down nodes (down once, down for the
// allocation), a failed node's place taken by the first unused spare.
import { readHalt, runShouldStop, startJob } from '../halt/index.js';
import type { ResourceManager, Run } from './types.js';

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
}

export interface LoopResult {
  runs: number;
  finalized: boolean;
  reason: string;
  lastCode: number | null;
}

export async function runLoop(o: LoopOptions): Promise<LoopResult> {
  // What an earlier job left in the halt file is announced; its finalize marker does not stop this job (src/halt/stale.ts).
  { const early = await startJob(o.prefix, o.rm.jobId(), o.haltSeconds, o.say); if (early) return { ...early, runs: 0, lastCode: null }; }
  const down = new Set(o.exclude.filter((n) => o.rm.nodes().includes(n)));
  let placement: string[] = [];
  let attempt = 0;
  let lastCode: number | null = null;
  for (;;) {
    // A resource manager that does not answer leaves the known down nodes as they are.
    const fresh = await o.rm.downNodes().catch((e: Error) => { o.say(`warning: ${e.message}; using the down nodes known so far`); return new Map<string, string>(); });
    if (attempt > 0 && o.probe) {
      const candidates = o.rm.nodes().filter((n) => !down.has(n) && !fresh.has(n));
      for (const [n, why] of await o.probe(candidates)) fresh.set(n, why);
    }
    for (const [n, why] of fresh) {
      if (!down.has(n)) o.say(`node ${n} is down (${why})`);
      down.add(n);
    }
    const usable = o.rm.nodes().filter((n) => !down.has(n));
    const need = Math.max(o.minNodes, o.need ?? 1);
    if (usable.length < need) {
      return { runs: attempt, finalized: false, reason: `only ${usable.length} usable node(s) left, ${need} needed`, lastCode };
    }
    // Keep every surviving node where it was; a down node's place goes to the first unused one.
    // Without a node count, a run takes every usable node.
    const next = o.need === null ? usable : attempt === 0 ? usable.slice(0, o.need) : placement.map((n) => n);
    for (let i = 0; o.need !== null && i < next.length; i++) {
      if (down.has(next[i]!)) next[i] = usable.find((n) => !next.includes(n))!;
    }
    const moved = o.need === null ? [] : placement.map((n, i) => (n !== next[i] ? `${n}→${next[i]}` : '')).filter(Boolean);
    placement = next;
    attempt++;
    const spares = usable.filter((n) => !placement.includes(n));
    o.say(`run ${attempt}${o.runs >= 0 ? ` of at most ${o.runs}` : ''} on ${placement.join(',')}${moved.length ? ` (moved: ${moved.join(', ')})` : ''}${spares.length ? `; spares: ${spares.join(',')}` : ''}`);
    const end = await o.rm.endTime().catch(() => null);
    const run = o.rm.launch({ nodes: placement, ppn: o.ppn, launcher: o.launcher, launcherArgs: o.launcherArgs, argv: o.argv, env: { ...o.env, ...(end ? { SCR_END_TIME: String(end) } : {}) } });
    o.onLaunch?.(run, placement, attempt);
    const res = await run.done;
    lastCode = res.code;
    o.say(`run ${attempt} ended: ${res.code === 0 ? 'exit 0' : res.signal ? `killed by ${res.signal}` : `exit ${res.code}`}`);
    const halt = await readHalt(o.prefix).catch(() => ({}));
    const stop = runShouldStop(halt, { now: Date.now() / 1000, endTime: end, haltSeconds: o.haltSeconds });
    if (stop) return { runs: attempt, finalized: (halt as { finalized?: boolean }).finalized === true, reason: stop, lastCode };
    if (res.code === 0) return { runs: attempt, finalized: false, reason: 'the application exited 0 without calling finalize()', lastCode };
    if (o.runs >= 0 && attempt >= o.runs) return { runs: attempt, finalized: false, reason: `SCR_RUNS=${o.runs} launches used up`, lastCode };
  }
}
