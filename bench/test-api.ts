// Runs bench/checkpoint's test-api workload: for each row (scheme × SCR_CRC_ON_COPY) one job of 4
// ranks on 4 simulated nodes with PRIVATE storage each (test/harness/nodes.ts: a mount namespace
// per rank, the node's own directory seen at the same path), then for PARTNER, XOR and RS node
// n1's storage is deleted and the job relaunched with an empty spare in its place.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MpiFlavour } from '../src/native/paths.js';
import { cleanupNodeJob, loseNode, newNodeJob, privateNodesMissing, runNodes, type NodeRunResult } from '../test/harness/nodes.js';

export type Scheme = 'SINGLE' | 'PARTNER' | 'XOR' | 'RS';
export interface WriteOut {
  loadSeconds: number; mpiInitSeconds: number; initSeconds: number; ranks: number; bytesPerRank: number; bufBytes: number;
  raw: number[]; ckpt: number[]; phases: Array<[number, number, number]>; protect: number[];
  /** Per rank: [the application's own peak before any scr call, the peak at the end], KiB. */
  rssKiB: Array<[number, number]>;
}
export interface RebuildOut {
  loadSeconds: number; mpiInitSeconds: number; initSeconds: number; restored: string | null; ranksVerified: number; ranks: number;
  initStats: { seconds: number; phases: Array<{ name: string; seconds: number }> } | null;
  timings: Array<{ id: number; name: string; seconds: number; moved: number[]; rebuilt: number[] }>;
}
export interface Row { scheme: Scheme; crc: boolean; label: string; write: WriteOut; rebuild: RebuildOut | null; rebuildError: string | null }

const worker = join(fileURLToPath(import.meta.url), '..', 'test-api-rank.js');
const NODES = ['n0', 'n1', 'n2', 'n3'];
const RELAUNCH = ['n0', 'spare', 'n2', 'n3'];

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

/** Why the relaunch did not rebuild n1's part of the newest checkpoint, or null if it did. */
function rebuildProblem(rb: RebuildOut, rounds: number): string | null {
  if (!rb.restored) return 'haveRestart() found no checkpoint after n1 was lost';
  if (rb.restored !== `ckpt.${rounds}`) return `restarted from ${rb.restored}, not the newest checkpoint ckpt.${rounds}`;
  if (rb.ranksVerified !== rb.ranks) return `only ${rb.ranksVerified} of ${rb.ranks} ranks read back the bytes they wrote`;
  if (!rb.timings.some((x) => x.name === rb.restored && x.rebuilt.includes(1))) return `init() reports no rebuild of rank 1's files (${JSON.stringify(rb.timings)})`;
  return null;
}

export async function runRow(flavour: MpiFlavour, mib: number, rounds: number, scheme: Scheme, crc: boolean): Promise<Row> {
  const label = rowLabel(scheme, crc);
  const job = newNodeJob({
    env: {
      SCR_JOB_ID: `bench-${process.pid}-${scheme}-${crc ? 1 : 0}`, SCR_COPY_TYPE: scheme, SCR_SET_FAILURES: '2',
      SCR_CRC_ON_COPY: crc ? '1' : '0', SCR_CACHE_SIZE: '1', SCR_FLUSH: '0',
    },
  });
  try {
    const args = [String(mib), String(rounds)];
    const write = lastJson<WriteOut>(await runNodes(flavour, job, NODES, [worker, 'write', ...args], { timeoutMs: 900_000 }), label);
    let rebuild: RebuildOut | null = null;
    let rebuildError: string | null = null;
    if (scheme !== 'SINGLE') {
      loseNode(job, 'n1');
      try {
        rebuild = lastJson<RebuildOut>(await runNodes(flavour, job, RELAUNCH, [worker, 'rebuild', ...args], { timeoutMs: 900_000 }), `${label} rebuild`);
        rebuildError = rebuildProblem(rebuild, rounds);
      } catch (e) {
        rebuildError = (e as Error).message;
      }
    }
    return { scheme, crc, label, write, rebuild, rebuildError };
  } finally {
    cleanupNodeJob(job);
  }
}

export async function runTestApi(flavour: MpiFlavour, mib: number, rounds: number, onRow: (r: Row) => void): Promise<Row[]> {
  const missing = privateNodesMissing();
  if (missing) throw new Error(`private node storage is needed: ${missing}`);
  const rows: Row[] = [];
  for (const { scheme, crc } of ROWS) {
    const r = await runRow(flavour, mib, rounds, scheme, crc);
    rows.push(r);
    onRow(r);
  }
  return rows;
}
