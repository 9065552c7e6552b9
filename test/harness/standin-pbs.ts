// A PBS job for tests without PBS: the variables a PBS batch job has, a PBS_NODEFILE, and the
// stand-in qstat, pbsnodes, pbsdsh and mpiexec (test/fixtures/standin/pbs, first on PATH) answering
// from state files in `state` (their format: test/fixtures/standin/pbs/lib.mjs).
import { existsSync, mkdirSync, rmSync, appendFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { standinDir, type StandinFixture } from './rm-conformance.js';

/** test/fixtures/standin/pbs (this file runs from dist/test/harness). */
export const PBS_STANDIN_DIR = standinDir('pbs');
export const PBS_JOB_ID = '4242.pbs-standin';

/** What the conformance suite drives (test/harness/rm-conformance.ts). */
export type PbsFixture = StandinFixture;

/** A running PBS job on `nodes` (one slot each), its state in the directory `state` (made if
 * missing; the caller removes it). */
export function pbsFixture(state: string, nodes: string[]): PbsFixture {
  mkdirSync(state, { recursive: true });
  writeFileSync(join(state, 'nodes'), `${nodes.join('\n')}\n`);
  // The job starts now: the jobid file's time is its stime (lib.mjs).
  writeFileSync(join(state, 'jobid'), `${PBS_JOB_ID}\n`);
  const nodefile = join(state, 'nodefile');
  writeFileSync(nodefile, `${nodes.join('\n')}\n`);
  return {
    env: {
      PBS_JOBID: PBS_JOB_ID,
      PBS_NODEFILE: nodefile,
      PBS_O_WORKDIR: state,
      PBS_ENVIRONMENT: 'PBS_BATCH',
      PBS_JOBNAME: 'scr-job',
      PBS_QUEUE: 'workq',
      PBS_O_QUEUE: 'workq',
      PBS_O_HOST: hostname(),
      PBS_SERVER: 'pbs-standin',
      PBS_NODENUM: '0',
      PBS_TASKNUM: '1',
      PBS_JOBDIR: state,
      SCR_STANDIN_STATE: state,
    },
    path: PBS_STANDIN_DIR,
    // mpiexec has no node-count option: the run wrapper uses every usable node, and Open MPI's
    // --map-by ppr:K:node puts K ranks on each node in order until -np is reached, so `ranks`
    // ranks land on the first ceil(ranks / K) = `nodes` usable nodes (--oversubscribe: each
    // node has one slot in PBS_NODEFILE).
    runArgs(n: number, ranks: number): string[] {
      if (!(n > 0 && ranks >= n)) throw new Error(`pbsFixture.runArgs(${n}, ${ranks}): need at least one rank per node`);
      return ['mpiexec', '-np', String(ranks), '--map-by', `ppr:${Math.ceil(ranks / n)}:node`, '--oversubscribe'];
    },
    markDown(node: string, reason: string): void {
      appendFileSync(join(state, 'down'), `${node} ${reason}\n`);
    },
    setEnd(epoch: number | null): void {
      const f = join(state, 'endtime');
      if (epoch === null) { if (existsSync(f)) rmSync(f); } else writeFileSync(f, `${Math.floor(epoch)}\n`);
    },
  };
}
