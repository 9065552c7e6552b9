// Opt-in counting of what each rank sends, receives, reads and writes, per phase (the scale model
// in docs/scaling.md is fitted from these counts). On with SCR_COUNT_FILE=<path>: each rank writes
// <path>.<world rank>.json when its process exits. Tests turn it on with startCounting(). When
// off, an instrumented call costs one test of `counter.on`.
import { closeSync, constants, openSync, writeSync } from 'node:fs';

/** One kind of call in one phase, on one rank. */
export interface Tally {
  /** API-level calls (an allgatherObject is one). */
  calls: number;
  /** MPI operations they made (a variable-size allgather is two: sizes, then data). */
  ops: number;
  /** Bytes this rank contributed / sent, and received (for metadata files: written, read). */
  sent: number;
  recv: number;
  /** The largest communicator the call ran on (0 for files). */
  maxSize: number;
}

/** Phase name ('init#1', 'completeOutput#2', 'between' for work outside calls) → call key → tally. */
export type Counts = Record<string, Record<string, Tally>>;

export class Counter {
  on = false;
  phase = 'between';
  counts: Counts = {};
  readonly #seen = new Map<string, number>();

  /** Enters the phase of an API call (numbered per name: the first completeOutput is
   * 'completeOutput#1'); returns the phase to go back to. */
  enter(name: string): string {
    const prev = this.phase;
    const n = (this.#seen.get(name) ?? 0) + 1;
    this.#seen.set(name, n);
    this.phase = `${name}#${n}`;
    return prev;
  }

  leave(prev: string): void {
    this.phase = prev;
  }

  /** Adds one call of `key` (e.g. 'allreduce@world', 'read:filemap'). */
  add(key: string, ops: number, sent: number, recv: number, size = 0): void {
    const ph = (this.counts[this.phase] ??= {});
    const t = (ph[key] ??= { calls: 0, ops: 0, sent: 0, recv: 0, maxSize: 0 });
    t.calls++;
    t.ops += ops;
    t.sent += sent;
    t.recv += recv;
    if (size > t.maxSize) t.maxSize = size;
  }

  /** Adds bytes received later (a receive's size is known when it completes) to `key` of the
   * phase the call was made in. */
  addRecv(phase: string, key: string, bytes: number): void {
    const t = this.counts[phase]?.[key];
    if (t) t.recv += bytes;
  }

  reset(): void {
    this.counts = {};
    this.#seen.clear();
    this.phase = 'between';
  }
}

/** The process's counter. */
export const counter = new Counter();

/** Turns counting on (from zero) for tests; returns the counts object that fills up. */
export function startCounting(): Counts {
  counter.reset();
  counter.on = true;
  return counter.counts;
}

export function stopCounting(): Counts {
  counter.on = false;
  return counter.counts;
}

// SCR_COUNT_FILE: on from the start; written at exit, named by the world rank the launcher set
// (Open MPI, MPICH/Hydra, Slurm), else the process id.
const file = process.env.SCR_COUNT_FILE;
if (file) {
  counter.on = true;
  process.on('exit', () => {
    const env = process.env;
    const rank = env.OMPI_COMM_WORLD_RANK ?? env.PMI_RANK ?? env.SLURM_PROCID ?? `pid${process.pid}`;
    try {
      // O_NOFOLLOW: a symlink planted at the path is an error, never written through.
      const fd = openSync(`${file}.${rank}.json`, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
      try { writeSync(fd, JSON.stringify({ rank: Number(rank), counts: counter.counts })); } finally { closeSync(fd); }
    } catch (e) {
      process.stderr.write(`scr: warning: SCR_COUNT_FILE: ${(e as Error).message}\n`);
    }
  });
}
