// Jobs on simulated nodes for tests: each rank gets its own SCR_NODE_NAME (Open MPI and MPICH
// both take MPMD command lines: `-np 1 env SCR_NODE_NAME=n0 node app : -np 1 env … `), and every
// job gets private prefix, cache and control directories under /dev/shm.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MpiFlavour } from '../../src/native/paths.js';
import { mpirunFor, runProcess, type RunResult } from './launch.js';

export interface SimJob {
  root: string;
  prefix: string;
  cache: string;
  cntl: string;
  jobId: string;
  env: Record<string, string>;
}

let counter = 0;

export function newSimJob(tag: string, extraEnv: Record<string, string> = {}): SimJob {
  const root = mkdtempSync(join('/dev/shm', `scr-test-${tag}-`));
  const job: SimJob = { root, prefix: join(root, 'prefix'), cache: join(root, 'cache'), cntl: join(root, 'cntl'), jobId: `t${process.pid}x${counter++}`, env: {} };
  job.env = {
    SCR_PREFIX: job.prefix, SCR_CACHE_BASE: job.cache, SCR_CNTL_BASE: job.cntl, SCR_JOB_ID: job.jobId,
    SCR_USER_NAME: 'u', SCR_SYSTEM_CONF: '/dev/null', ...extraEnv,
  };
  rmSync(job.prefix, { recursive: true, force: true });
  return job;
}

export function nodeDirs(job: SimJob, node: string): string[] {
  return [join(job.cache, 'u', `scr.${job.jobId}`, `node.${node}`), join(job.cntl, 'u', `scr.${job.jobId}`, `node.${node}`)];
}

/** Loses a node: its cache and control directories are deleted. */
export function loseNode(job: SimJob, node: string): void {
  for (const d of nodeDirs(job, node)) rmSync(d, { recursive: true, force: true });
}

/** Saves / restores the whole node-local state (cache and control), to replay scenarios. */
export function snapshot(job: SimJob, name: string): void {
  for (const d of ['cache', 'cntl']) cpSync(join(job.root, d), join(job.root, `${name}.${d}`), { recursive: true, preserveTimestamps: true });
}

export function restoreSnapshot(job: SimJob, name: string): void {
  for (const d of ['cache', 'cntl']) {
    rmSync(join(job.root, d), { recursive: true, force: true });
    cpSync(join(job.root, `${name}.${d}`), join(job.root, d), { recursive: true, preserveTimestamps: true });
  }
}

export function cleanup(job: SimJob): void {
  rmSync(job.root, { recursive: true, force: true });
}

/** Runs `argv` (a node script and its args) with one rank per entry of `nodes`. */
export function runOnNodes(flavour: MpiFlavour, job: SimJob, nodes: string[], argv: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<RunResult> {
  const { cmd, env: mpiEnv } = mpirunFor(flavour);
  const args: string[] = [];
  nodes.forEach((n, i) => {
    if (i > 0) args.push(':');
    args.push('-np', '1', 'env', `SCR_NODE_NAME=${n}`, process.execPath, ...argv);
  });
  return runProcess(cmd, args, { env: { ...mpiEnv, ...job.env, ...env }, timeoutMs });
}

/** The JSON lines the ranks printed, by rank. */
export function rankLines<T extends { rank: number }>(r: RunResult): T[] {
  const out: T[] = [];
  for (const line of r.stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    const o = JSON.parse(t) as T;
    out[o.rank] = o;
  }
  return out;
}
