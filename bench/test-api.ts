// Runs bench/checkpoint's test-api workload: for each row (scheme × SCR_CRC_ON_COPY) one job of 4
// ranks on 4 simulated nodes with PRIVATE storage each (test/harness/nodes.ts: a mount namespace
// per rank, the node's own directory seen at the same path), then for PARTNER, XOR and RS node
// n1's storage (or --lose's nodes') is deleted and the job relaunched with an empty spare in its place.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MpiFlavour } from '../src/native/paths.js';
import { cleanupNodeJob, loseNode, newNodeJob, privateNodesMissing, runNodes, type NodeRunResult } from '../test/harness/nodes.js';

export type Scheme = 'SINGLE' | 'PARTNER' | 'XOR' | 'RS';
export interface WriteOut {
  loadSeconds: number; mpiInitSeconds: number; initSeconds: number; ranks: number; bytesPerRank: number; bufBytes: number;
  raw: number[]; ckpt: number[]; phases: Array<[number, number, number]>; protect: number[];
  /** Per timed round: CPU seconds of all ranks (all threads) inside completeOutput. */
  completeCpu: number[];
  /** Per rank: [the application's own peak before any scr call, the peak at the end], KiB. */
  rssKiB: Array<[number, number]>;
}
export interface RebuildOut {
  loadSeconds: number; mpiInitSeconds: number; initSeconds: number; restored: string | null; ranksVerified: number; ranks: number;
  initStats: { seconds: number; phases: Array<{ name: string; seconds: number }> } | null;
  timings: Array<{ id: number; name: string; seconds: number; moved: number[]; rebuilt: number[] }>;
}
export interface Row { scheme: Scheme; crc: boolean; label: string; lost: string[]; write: WriteOut; rebuild: RebuildOut | null; rebuildError: string | null }

const worker = join(fileURLToPath(import.meta.url), '..', 'test-api-rank.js');
const NODES = ['n0', 'n1', 'n2', 'n3'];

export interface TestApiOptions {
  flavour: MpiFlavour; mib: number; rounds: number;
  /** Nodes whose storage is deleted before the relaunch (default n1; rank i runs on node ni). */
  lose: string[];
  /** Only these schemes (default all). */
  only: Scheme[] | null;
  /** Extra configuration for every row (e.g. SCR_MPI_BUF_SIZE), from --set K=V,K=V. */
  set?: Record<string, string>;
}

export const ROWS: Array<{ scheme: Scheme; crc: boolean }> = (['SINGLE', 'PARTNER', 'XOR', 'RS'] as const)
  .flatMap((scheme) => [{ scheme, crc: false }, { scheme, crc: true }]);

export const rowLabel = (scheme: Scheme, crc: boolean) => `${scheme === 'RS' ? 'RS k=2' : scheme} CRC ${crc ? 'on' : 'off'}`;

function lastJson<T>(r: NodeRunResult, what: string): T {
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.code !== 0 || !line) {
    throw new Error(`${what}: the job failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ''}${r.timedOut ? ', timed out' : ''})\n${r.stderr.slice(-4000)}`);
  }
  return JSON.parse(line) as T;
}

/** Why the relaunch did not rebuild the lost nodes' part of the newest checkpoint, or null if it did. */
export function rebuildProblem(rb: RebuildOut, rounds: number, lostRanks: number[]): string | null {
  if (!rb.restored) return 'haveRestart() found no checkpoint after the node loss';
  if (rb.restored !== `ckpt.${rounds}`) return `restarted from ${rb.restored}, not the newest checkpoint ckpt.${rounds}`;
  if (rb.ranksVerified !== rb.ranks) return `only ${rb.ranksVerified} of ${rb.ranks} ranks read back the bytes they wrote`;
  const mine = rb.timings.find((x) => x.name === rb.restored);
  if (!mine || !lostRanks.every((r) => mine.rebuilt.includes(r))) return `init() reports no rebuild of lost rank(s) ${lostRanks.join(', ')}'s files (${JSON.stringify(rb.timings)})`;
  return null;
}

export async function runRow(o: TestApiOptions, scheme: Scheme, crc: boolean): Promise<Row> {
  const { flavour, mib, rounds, lose } = o;
  const label = rowLabel(scheme, crc);
  const job = newNodeJob({
    env: {
      SCR_JOB_ID: `bench-${process.pid}-${scheme}-${crc ? 1 : 0}`, SCR_COPY_TYPE: scheme, SCR_SET_FAILURES: '2',
      SCR_CRC_ON_COPY: crc ? '1' : '0', SCR_CACHE_SIZE: '1', SCR_FLUSH: '0', ...o.set,
    },
  });
  try {
    const args = [String(mib), String(rounds)];
    const write = lastJson<WriteOut>(await runNodes(flavour, job, NODES, [worker, 'write', ...args], { timeoutMs: 900_000 }), label);
    let rebuild: RebuildOut | null = null;
    let rebuildError: string | null = null;
    if (scheme !== 'SINGLE') {
      for (const n of lose) loseNode(job, n);
      const relaunch = NODES.map((n) => (lose.includes(n) ? `spare${n.slice(1)}` : n));
      try {
        rebuild = lastJson<RebuildOut>(await runNodes(flavour, job, relaunch, [worker, 'rebuild', ...args], { timeoutMs: 900_000 }), `${label} rebuild`);
        rebuildError = rebuildProblem(rebuild, rounds, lose.map((n) => NODES.indexOf(n)));
      } catch (e) {
        rebuildError = (e as Error).message;
      }
    }
    return { scheme, crc, label, lost: lose, write, rebuild, rebuildError };
  } finally {
    cleanupNodeJob(job);
  }
}

export async function runTestApi(o: TestApiOptions, onRow: (r: Row) => void): Promise<Row[]> {
  const bad = o.lose.filter((n) => !NODES.includes(n));
  if (bad.length || o.lose.length === 0) throw new Error(`--lose ${o.lose.join(',')}: name nodes among ${NODES.join(', ')}`);
  const missing = privateNodesMissing();
  if (missing) throw new Error(`private node storage is needed: ${missing}`);
  const rows: Row[] = [];
  for (const { scheme, crc } of ROWS.filter((x) => !o.only || o.only.includes(x.scheme))) {
    const r = await runRow(o, scheme, crc);
    rows.push(r);
    onRow(r);
  }
  return rows;
}
