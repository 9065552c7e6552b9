// What a job's event log says about its checkpoints (docs/report.md): its jobs and runs, the
// checkpoints of each level with their cost and bandwidth, the share of the run time spent
// checkpointing, the failures and the work each lost, the restarts and where they came from,
// and the inputs of the interval advice (src/advice/). Built from the events of
// src/report/events.ts and, for what is on the file system, the prefix's index.
import type { PfsIndex } from '../pfs/index.js';
import { type LogEvent, num, str } from './events.js';

export interface RunSummary {
  /** Counted from 1 across the whole log. */
  index: number;
  /** The wrapper's job id (JOB_START), or null when no wrapper logged this run's job. */
  job: string | null;
  /** The wrapper's run number within its job (RUN), or null for a run seen only in the library's events. */
  run: number | null;
  /** From RUN and RUN_END ('wrapper'), or from the library's first to last event ('library'). */
  source: 'wrapper' | 'library';
  start: number;
  end: number;
  seconds: number;
  nodes?: string;
  /** RUN's after=: start, failure or hang. */
  after?: string;
  exit?: number;
  signal?: string;
  watchdog: boolean;
  /** The library logged FINALIZE in this run. */
  finalized: boolean;
  checkpoints: number;
  /** Seconds the application waited: checkpoints' blocking plus synchronous flushes. */
  blockingSeconds: number;
  failed: boolean;
}

export interface CheckpointPoint { time: number; run: number; name: string; id: number; bytes: number; seconds: number; write?: number; redundancy?: number; blocking: number }
export interface FlushPoint { time: number; run: number; name: string; id: number; bytes: number; seconds: number; mode: 'sync' | 'async' | 'unknown' }

export interface LevelStats {
  count: number;
  bytes: number;
  /** Median and worst seconds the application waited for one (a cache checkpoint's blocking; a synchronous flush's seconds, an asynchronous one's 0). */
  medianBlocking: number | null;
  worstBlocking: number | null;
  /** Median seconds of one (a checkpoint from start to complete; a flush). */
  medianSeconds: number | null;
  /** Bytes over seconds of all of them, MiB/s. */
  mibPerSecond: number | null;
}

export interface FailureSummary {
  run: number;
  job: string | null;
  time: number;
  /** What ended the run: exit N, signal S, watchdog, no FINALIZE; and the nodes found down. */
  cause: string;
  nodesDown: string[];
  /** Seconds from the run's last completed checkpoint (else its start) to its end. */
  lostSeconds: number;
  lastCheckpoint: string | null;
}

export interface RestartSummary { run: number; time: number; name: string; id: number; from: 'file system' | 'rebuilt in cache' | 'cache' }

/** `code`: why the wrapper stopped (JOB_END's stop code: finalized, time, signal, halted, runs, nodes, exit0). */
export interface JobSummary { job: string; rm?: string; nodes?: string; start: number; end: number | null; runs: number; code?: string; reason?: string; seconds?: number }

/** What the interval advice (src/advice/) needs from the history. */
export interface AdviceInputs {
  /** Median blocking seconds of a cache checkpoint. */
  cacheCostSeconds: number | null;
  /** Median seconds of a flush to the file system. */
  flushCostSeconds: number | null;
  failures: number;
  runSeconds: number;
}

export interface Summary {
  first: number | null;
  last: number | null;
  events: number;
  jobs: JobSummary[];
  runs: RunSummary[];
  levels: { cache: LevelStats; fileSystem: LevelStats };
  flushes: { sync: number; async: number };
  outputs: number;
  fetches: number;
  rebuilds: number;
  scavenges: number;
  halts: string[];
  runSeconds: number;
  blockingSeconds: number;
  /** blockingSeconds / runSeconds, or null without run time. */
  checkpointShare: number | null;
  failures: FailureSummary[];
  /** Nodes left out before any run (SCR_EXCLUDE_NODES, prerun's bad nodes). */
  excludedNodes: string[];
  restarts: RestartSummary[];
  checkpoints: CheckpointPoint[];
  flushList: FlushPoint[];
  advice: AdviceInputs;
  /** What the prefix's index lists, when it could be read. */
  index: { datasets: number; flushedCheckpoints: number; current: string | null; bytes: number } | null;
  /** Kinds this version does not know, with their counts. */
  unknownKinds: Record<string, number>;
}

export function median(xs: readonly number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The last element that matches (Array.prototype.findLast is ES2023; the project targets ES2022). */
function lastOf<T>(xs: readonly T[], ok: (x: T) => boolean): T | undefined {
  for (let i = xs.length - 1; i >= 0; i--) if (ok(xs[i]!)) return xs[i];
  return undefined;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const MIB = 2 ** 20;

function level(items: ReadonlyArray<{ bytes: number; seconds: number; blocking: number }>): LevelStats {
  const secs = sum(items.map((i) => i.seconds));
  return {
    count: items.length,
    bytes: sum(items.map((i) => i.bytes)),
    medianBlocking: median(items.map((i) => i.blocking)),
    worstBlocking: items.length ? items.reduce((m, i) => Math.max(m, i.blocking), -Infinity) : null,
    medianSeconds: median(items.map((i) => i.seconds)),
    mibPerSecond: secs > 0 ? sum(items.map((i) => i.bytes)) / MIB / secs : null,
  };
}

// What a run's init logs (FAILED: a checkpoint a fetch or completeRestart(false) rejected).
const LIBRARY_INIT = new Set(['FETCH', 'REBUILD', 'RESTART', 'FAILED']);
const LIBRARY = new Set(['START', 'CHECKPOINT', 'OUTPUT', 'FLUSH', 'FETCH', 'REBUILD', 'PROTECTED', 'RESTART', 'FAILED', 'HALT', 'FINALIZE']);

interface OpenRun { r: RunSummary; events: LogEvent[]; pastInit: boolean; ended: boolean; nodesDown: string[] }

/** Splits the events into runs: a RUN line opens one (closed by its RUN_END); library events
 * outside a wrapper's run form runs of their own, a new one after a FINALIZE, and when a
 * FETCH, REBUILD, RESTART or FAILED (which happen at init) comes after the run wrote or flushed a dataset. */
function splitRuns(events: readonly LogEvent[]): { runs: OpenRun[]; jobs: JobSummary[]; excluded: string[] } {
  const runs: OpenRun[] = [];
  const jobs: JobSummary[] = [];
  const excluded: string[] = [];
  let job: JobSummary | null = null;
  let cur: OpenRun | null = null;
  const open = (e: LogEvent, source: RunSummary['source']): OpenRun => {
    const o: OpenRun = { r: { index: runs.length + 1, job: source === 'wrapper' ? job?.job ?? null : null, run: null, source, start: e.time, end: e.time, seconds: 0,
      watchdog: false, finalized: false, checkpoints: 0, blockingSeconds: 0, failed: false }, events: [], pastInit: false, ended: false, nodesDown: [] };
    runs.push(o);
    return o;
  };
  for (const e of events) {
    switch (e.kind) {
      case 'JOB_START':
        job = { job: str(e, 'job') ?? '?', rm: str(e, 'rm'), nodes: str(e, 'nodes'), start: e.time, end: null, runs: 0 };
        jobs.push(job);
        cur = null;
        continue;
      case 'JOB_END':
        if (job) Object.assign(job, { end: e.time, code: str(e, 'code'), reason: str(e, 'reason'), seconds: num(e, 'seconds'), runs: num(e, 'runs') ?? job.runs });
        job = null;
        cur = null;
        continue;
      case 'RUN':
        cur = open(e, 'wrapper');
        cur.r.run = num(e, 'run') ?? null;
        cur.r.nodes = str(e, 'nodes');
        cur.r.after = str(e, 'after');
        if (job) job.runs++;
        continue;
      case 'RUN_END': {
        const target = cur && cur.r.source === 'wrapper' && !cur.ended ? cur : lastOf(runs, (o) => o.r.source === 'wrapper' && o.r.run === num(e, 'run'));
        if (target) {
          target.ended = true;
          target.r.end = e.time;
          target.r.seconds = num(e, 'seconds') ?? (e.time - target.r.start) / 1000;
          target.r.exit = num(e, 'exit');
          target.r.signal = str(e, 'signal');
          target.r.watchdog = num(e, 'watchdog') === 1;
        }
        continue;
      }
      case 'NODE_DOWN': {
        const node = str(e, 'node') ?? '?';
        const after = num(e, 'run');
        const target = after === undefined ? undefined : lastOf(runs, (o) => o.r.source === 'wrapper' && o.r.run === after && (job === null || o.r.job === job.job));
        if (target) target.nodesDown.push(node); else excluded.push(node);
        continue;
      }
      case 'WATCHDOG': {
        const target = lastOf(runs, (o) => o.r.source === 'wrapper' && o.r.run === num(e, 'run'));
        if (target) target.r.watchdog = true;
        continue;
      }
    }
    if (!LIBRARY.has(e.kind)) continue;
    const inWrapperRun = cur !== null && cur.r.source === 'wrapper' && !cur.ended;
    if (!inWrapperRun) {
      const fresh = cur === null || cur.ended || cur.r.source === 'wrapper' || cur.r.finalized || (LIBRARY_INIT.has(e.kind) && cur.pastInit);
      if (fresh) cur = open(e, 'library');
    }
    const o = cur!;
    o.events.push(e);
    if (e.kind === 'FINALIZE') o.r.finalized = true;
    if (['START', 'CHECKPOINT', 'OUTPUT', 'FLUSH'].includes(e.kind)) o.pastInit = true;
    if (o.r.source === 'library') {
      o.r.end = e.time;
      o.r.seconds = (o.r.end - o.r.start) / 1000;
    }
  }
  // A wrapper's run with no RUN_END (the wrapper itself was killed): up to its last event.
  for (const o of runs) if (o.r.source === 'wrapper' && !o.ended) {
    const last = o.events.at(-1)?.time ?? o.r.start;
    o.r.end = last;
    o.r.seconds = (last - o.r.start) / 1000;
  }
  return { runs, jobs, excluded };
}

function restartFrom(before: readonly LogEvent[], id: number | undefined): RestartSummary['from'] {
  const same = (e: LogEvent) => id === undefined || num(e, 'id') === id;
  if (before.some((e) => e.kind === 'FETCH' && same(e))) return 'file system';
  if (before.some((e) => e.kind === 'REBUILD' && same(e))) return 'rebuilt in cache';
  return 'cache';
}

export function summarize(events: readonly LogEvent[], index: PfsIndex | null = null): Summary {
  const { runs, jobs, excluded } = splitRuns(events);
  const checkpoints: CheckpointPoint[] = [];
  const flushList: FlushPoint[] = [];
  const failures: FailureSummary[] = [];
  const restarts: RestartSummary[] = [];
  let outputs = 0;
  // An output dataset is flushed too; only checkpoints count at the file-system level.
  const outputOnly = new Set(events.filter((e) => e.kind === 'START' && !(str(e, 'flags') ?? 'C').includes('C')).map((e) => num(e, 'id')));
  // The last run of a job the wrapper stopped on purpose (a cancel, the allocation's end, a halt)
  // was ended, not failed, even when a signal ended it.
  const stoppedOnPurpose = new Set(jobs.filter((j) => ['signal', 'time', 'halted'].includes(j.code ?? '')).map((j) => lastOf(runs, (o) => o.r.job === j.job && o.r.start >= j.start)?.r));
  for (const o of runs) {
    const r = o.r;
    for (const [i, e] of o.events.entries()) {
      const base = { time: e.time, run: r.index, name: str(e, 'name') ?? '?', id: num(e, 'id') ?? -1, bytes: num(e, 'bytes') ?? 0, seconds: num(e, 'seconds') ?? 0 };
      if (e.kind === 'CHECKPOINT') {
        const p: CheckpointPoint = { ...base, write: num(e, 'write'), redundancy: num(e, 'redundancy'), blocking: num(e, 'blocking') ?? base.seconds };
        checkpoints.push(p);
        r.checkpoints++;
        r.blockingSeconds += p.blocking;
      } else if (e.kind === 'OUTPUT') {
        outputs++;
      } else if (e.kind === 'FLUSH' && !outputOnly.has(base.id)) {
        const mode = str(e, 'mode');
        const f: FlushPoint = { ...base, mode: mode === 'sync' || mode === 'async' ? mode : 'unknown' };
        flushList.push(f);
        if (f.mode === 'sync') r.blockingSeconds += f.seconds;
      } else if (e.kind === 'RESTART') {
        restarts.push({ run: r.index, time: e.time, name: base.name, id: base.id, from: restartFrom(o.events.slice(0, i), num(e, 'id')) });
      }
    }
    const last = lastOf(o.events, (e) => e.kind === 'CHECKPOINT');
    const wrapperFailed = r.source === 'wrapper' && o.ended && !stoppedOnPurpose.has(r) && ((r.exit !== undefined && r.exit !== 0) || r.signal !== undefined || r.watchdog);
    // A library-only run that stopped without FINALIZE and was followed by another run crashed.
    const libraryCrashed = r.source === 'library' && !r.finalized && r.index < runs.length;
    r.failed = wrapperFailed || libraryCrashed || o.nodesDown.length > 0;
    if (r.failed) {
      const cause = r.watchdog ? 'watchdog kill' : r.signal ? `killed by ${r.signal}` : r.exit !== undefined && r.exit !== 0 ? `exit ${r.exit}` : libraryCrashed ? 'ended without FINALIZE' : 'node down';
      failures.push({ run: r.index, job: r.job, time: r.end, cause, nodesDown: o.nodesDown, lostSeconds: Math.max(0, (r.end - (last?.time ?? r.start)) / 1000), lastCheckpoint: last ? str(last, 'name') ?? null : null });
    }
  }
  const runSeconds = sum(runs.map((o) => o.r.seconds));
  const blockingSeconds = sum(runs.map((o) => o.r.blockingSeconds));
  const cache = level(checkpoints);
  const fileSystem = level(flushList.map((f) => ({ ...f, blocking: f.mode === 'sync' ? f.seconds : 0 })));
  const unknownKinds: Record<string, number> = {};
  for (const e of events) if (!e.known) unknownKinds[e.kind] = (unknownKinds[e.kind] ?? 0) + 1;
  const datasets = index ? Object.values(index.datasets) : [];
  return {
    first: events[0]?.time ?? null,
    last: events.at(-1)?.time ?? null,
    events: events.length,
    jobs,
    runs: runs.map((o) => o.r),
    levels: { cache, fileSystem },
    flushes: { sync: flushList.filter((f) => f.mode === 'sync').length, async: flushList.filter((f) => f.mode === 'async').length },
    outputs,
    fetches: events.filter((e) => e.kind === 'FETCH').length,
    rebuilds: events.filter((e) => e.kind === 'REBUILD').length,
    scavenges: events.filter((e) => e.kind === 'SCAVENGE').length,
    halts: events.filter((e) => e.kind === 'HALT').map((e) => str(e, 'reason') ?? '?'),
    runSeconds,
    blockingSeconds,
    checkpointShare: runSeconds > 0 ? blockingSeconds / runSeconds : null,
    failures,
    excludedNodes: excluded,
    restarts,
    checkpoints,
    flushList,
    advice: { cacheCostSeconds: cache.medianBlocking, flushCostSeconds: fileSystem.medianSeconds, failures: failures.length, runSeconds },
    index: index ? {
      datasets: datasets.length,
      flushedCheckpoints: datasets.filter((d) => d.flags.checkpoint && d.flushed && !d.failed).length,
      current: index.current ?? null,
      bytes: sum(datasets.filter((d) => d.flushed).map((d) => d.bytes)),
    } : null,
    unknownKinds,
  };
}
