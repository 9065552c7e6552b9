// The counts of bench/scale.ts (SCR_COUNT_FILE, src/common/count.ts) summed by class of call,
// for the benchmark's tables and for test/unit/scale-count.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Counts, Tally } from '../src/common/count.js';

/** What one rank did in one phase, summed by class of call. */
export interface Summary {
  /** Collectives on the whole job's communicator: calls, MPI operations, bytes sent, received. */
  worldCalls: number; worldOps: number; worldSent: number; worldRecv: number;
  /** Collectives on node and set communicators (bounded size), and the largest such comm. */
  subCalls: number; subBytes: number; subMax: number;
  /** Point-to-point messages (sends and receives) and their bytes. */
  p2pMsgs: number; p2pBytes: number;
  /** Metadata files read and written, and their bytes. */
  metaFiles: number; metaBytes: number;
  /** Bytes received by gathering collectives on the job's communicator (the linear suspects). */
  gatherRecv: number;
  /** Bytes MPI_Comm_split moves per rank on the job's communicator (an allgather of color and key
   * in MPICH and Open MPI): once per communicator made, not per checkpoint. */
  splitRecv: number;
}

const P2P = new Set(['send', 'recv', 'sendrecv']);
const GATHERS = new Set(['allgather', 'gather', 'alltoall', 'bcastObject', 'bcast', 'splitByString']);

export function summarize(calls: Record<string, Tally>): Summary {
  const s: Summary = { worldCalls: 0, worldOps: 0, worldSent: 0, worldRecv: 0, subCalls: 0, subBytes: 0, subMax: 0, p2pMsgs: 0, p2pBytes: 0, metaFiles: 0, metaBytes: 0, gatherRecv: 0, splitRecv: 0 };
  for (const [key, t] of Object.entries(calls)) {
    if (key.startsWith('read:') || key.startsWith('write:')) {
      s.metaFiles += t.calls; s.metaBytes += t.sent + t.recv;
      continue;
    }
    const [name, scope] = key.split('@') as [string, string];
    if (P2P.has(name)) { s.p2pMsgs += t.ops; s.p2pBytes += t.sent + t.recv; continue; }
    if (scope === 'world') {
      s.worldCalls += t.calls; s.worldOps += t.ops; s.worldSent += t.sent; s.worldRecv += t.recv;
      if (GATHERS.has(name)) s.gatherRecv += t.recv;
      if (name === 'split') s.splitRecv += t.recv;
    } else {
      s.subCalls += t.calls; s.subBytes += t.sent + t.recv; s.subMax = Math.max(s.subMax, t.maxSize);
    }
  }
  return s;
}

export function readCounts(dir: string): Array<{ rank: number; counts: Counts }> {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { rank: number; counts: Counts }).sort((a, b) => a.rank - b.rank);
}

