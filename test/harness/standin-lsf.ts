// An LSF job for tests without LSF: the variables a CORAL-style LSF job has (a launch node first in
// LSB_DJOB_HOSTFILE, as on Summit and Sierra) and a state directory the stand-in commands of
// test/fixtures/standin/lsf (bjobs, bhosts, blaunch, jsrun, brequeue) answer from.
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { standinDir, type StandinFixture } from './rm-conformance.js';

/** The stand-in commands (this file runs from dist/test/harness; the scripts are not compiled). */
export const STANDIN_LSF = standinDir('lsf');

/** The launch node LSF lists first (one slot); it runs no ranks, and the adapter leaves it out. */
export const LSF_LAUNCH_NODE = 'batch1';
export const LSF_JOB_ID = '4242';
/** Slots LSF lists per compute host. */
const SLOTS = 4;

/** What the conformance suite drives (test/harness/rm-conformance.ts). */
export type LsfFixture = StandinFixture;

/** Writes an LSF job over `nodes` into `state` (created if missing). */
export function lsfFixture(state: string, nodes: string[]): LsfFixture {
  mkdirSync(state, { recursive: true });
  writeFileSync(join(state, 'nodes'), `${nodes.join('\n')}\n`);
  writeFileSync(join(state, 'jobid'), `${LSF_JOB_ID}\n`);
  const slots = [LSF_LAUNCH_NODE, ...nodes.flatMap((n) => Array<string>(SLOTS).fill(n))];
  const hostfile = join(state, 'lsb_djob_hostfile');
  writeFileSync(hostfile, `${slots.join('\n')}\n`);
  return {
    env: {
      LSB_JOBID: LSF_JOB_ID,
      LSB_JOBINDEX: '0',
      LSB_DJOB_HOSTFILE: hostfile,
      LSB_MCPU_HOSTS: `${LSF_LAUNCH_NODE} 1 ${nodes.map((n) => `${n} ${SLOTS}`).join(' ')}`,
      LSB_HOSTS: slots.join(' '),
      LSB_JOBNAME: 'scr-test',
      LSB_QUEUE: 'batch',
      SCR_STANDIN_STATE: state,
    },
    path: STANDIN_LSF,
    runArgs(n, ranks) {
      if (n < 1 || ranks < n || ranks % n) throw new Error(`lsfFixture.runArgs(${n}, ${ranks}): jsrun's resource sets need the ranks to be a multiple of the nodes`);
      // One resource set per host with ranks/nodes tasks each; jsrun picks the hosts among those
      // the wrapper does not exclude.
      return ['jsrun', '--nrs', String(n), '--rs_per_host', '1', '--tasks_per_rs', String(ranks / n)];
    },
    markDown(node, reason) { appendFileSync(join(state, 'down'), `${node} ${reason}\n`); },
    setEnd(epoch) {
      if (epoch === null) rmSync(join(state, 'endtime'), { force: true });
      else writeFileSync(join(state, 'endtime'), `${epoch}\n`);
    },
  };
}
