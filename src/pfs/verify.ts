// Checking a flushed dataset on the file system against its rank map: every file present, of its
// recorded size and CRC32 (a staged copy is checked where one still exists). Used by
// `scr index --verify` and `scr index --unfail`; no MPI.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { crcFile } from '../kernels/index.js';
import { readablePath } from './commit.js';
import { type Failure, readRankMap } from './index.js';

export interface FileCheck {
  rank: number;
  /** The file's path (its final path under the prefix). */
  path: string;
  /** Where it was read (its staged copy, or the path). */
  at: string;
  size: number;
  crc: number | null;
}

export interface Problem {
  rank: number;
  path: string;
  message: string;
  check: Failure['check'];
}

export interface VerifyPlan {
  files: FileCheck[];
  /** Why the rank map cannot be used, if it cannot. */
  mapProblem?: string;
}

export interface VerifyResult {
  problems: Problem[];
  /** Files with no recorded CRC, checked for size only. */
  sizeOnly: number;
}

const hex = (c: number) => `0x${(c >>> 0).toString(16).padStart(8, '0')}`;

/** The files to check of dataset `id` (its rank map, read once). */
export async function planVerify(prefix: string, id: number): Promise<VerifyPlan> {
  try {
    const map = await readRankMap(prefix, id);
    if (!map) return { files: [], mapProblem: 'no rank map' };
    const files = await Promise.all(map.ranks.flatMap((fs, rank) => (fs ?? []).map(async (f) => {
      const path = resolve(prefix, f.path);
      return { rank, path, at: await readablePath({ path }, id), size: f.size, crc: f.crc };
    })));
    return { files };
  } catch (err) {
    return { files: [], mapProblem: `rank map unreadable: ${(err as Error).message}` };
  }
}

/** What is wrong with one file, or 'size-only' / null. */
export async function checkFile(f: FileCheck): Promise<Omit<Problem, 'rank' | 'path'> | 'size-only' | null> {
  let st;
  try {
    st = await stat(f.at);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? { check: 'missing', message: 'missing' } : { check: 'missing', message: `cannot stat: ${(e as Error).message}` };
  }
  if (!st.isFile()) return { check: 'missing', message: 'not a regular file' };
  if (st.size !== f.size) return { check: 'size', message: `size differs: recorded ${f.size} bytes, found ${st.size}` };
  if (f.crc === null) return 'size-only';
  try {
    const got = await crcFile(f.at);
    if (got.bytes !== f.size) return { check: 'size', message: `size differs: recorded ${f.size} bytes, read ${got.bytes}` };
    if (got.crc !== f.crc) return { check: 'crc', message: `CRC differs: recorded ${hex(f.crc)}, computed ${hex(got.crc)}` };
  } catch (e) {
    return { check: 'missing', message: `cannot read: ${(e as Error).message}` };
  }
  return null;
}

/** Checks every file of a plan, four at a time; `tick` after each. */
export async function runVerify(plan: VerifyPlan, tick: () => void = () => undefined): Promise<VerifyResult> {
  const out: VerifyResult = { problems: [], sizeOnly: 0 };
  const found: Array<Problem | null> = new Array(plan.files.length).fill(null);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < plan.files.length; i = next++) {
      const f = plan.files[i]!;
      const r = await checkFile(f);
      if (r === 'size-only') out.sizeOnly++;
      else if (r) found[i] = { rank: f.rank, path: f.path, ...r };
      tick();
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, plan.files.length) }, worker));
  out.problems = found.filter((p): p is Problem => p !== null);
  return out;
}

/** The failure record of a dataset a verification found damaged. */
export function failureOf(plan: VerifyPlan, res: VerifyResult): Failure {
  const p = res.problems[0];
  if (!p) return { check: 'rankmap', message: plan.mapProblem ?? 'cannot be verified', at: Date.now() };
  return { check: p.check, rank: p.rank, file: p.path, message: `scr index --verify: rank ${p.rank}: ${p.path}: ${p.message}`, at: Date.now() };
}
