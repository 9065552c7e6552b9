// The stand-in fixture of a plain mpirun allocation (SCR_HOSTFILE): the hostfile, a stand-in ssh
// (the default remote shell; a node listed down does not answer it) and a stand-in Open MPI
// mpirun. The end time comes from SCR_END_TIME in a configuration file, as a user would give it.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { standinDir, type StandinFixture } from './rm-conformance.js';

export function hostfileFixture(state: string, nodes: string[]): StandinFixture {
  const hostfile = join(state, 'hostfile');
  writeFileSync(hostfile, `# the allocation\n${nodes.map((n) => `${n} slots=1`).join('\n')}\n`);
  writeFileSync(join(state, 'down'), '');
  const conf = join(state, 'scr.conf');
  writeFileSync(conf, '');
  return {
    env: { SCR_HOSTFILE: hostfile, SCR_CONF_FILE: conf, SCR_JOB_ID: `hf${process.pid}` },
    path: `${standinDir('hostfile')}:${standinDir('common')}`,
    runArgs: (_nodes, ranks) => ['mpirun', '-np', String(ranks)],
    markDown: (node, reason) => appendFileSync(join(state, 'down'), `${node} ${reason}\n`),
    setEnd: (epoch) => writeFileSync(conf, epoch === null ? '' : `SCR_END_TIME=${epoch}\n`),
  };
}
