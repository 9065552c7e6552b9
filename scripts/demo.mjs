#!/usr/bin/env node
// `npm run demo`: a restart on simulated nodes. A 4-node job (one rank per node) runs a heat
// diffusion with a checkpoint every 10 steps and is stopped at step 30; node n1 is then lost
// (its cache and control directories deleted); the job is relaunched with a spare in n1's place,
// rebuilds n1's files from XOR redundancy, resumes at step 30 and finishes at 60. The answer is
// compared with a failure-free run. (The full batch-script loop, `scr sim --fail`, and the drain
// to the parallel file system come with the commands issue.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const app = join(root, 'dist', 'examples', 'heat.js');
const flavour = existsSync(join(root, 'build', 'mpi-openmpi', 'Release', 'scr_mpi.node')) ? 'openmpi' : 'mpich';
const mpirun = flavour === 'openmpi' ? 'mpirun.openmpi' : 'mpirun.mpich';
const mpiEnv = flavour === 'openmpi' ? { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', OMPI_MCA_rmaps_base_oversubscribe: '1' } : {};
const work = mkdtempSync(join('/dev/shm', 'scr-demo-'));

function run(title, job, nodes, extra) {
  console.log(`\n== ${title}: ranks on ${nodes.join(', ')}`);
  const env = { ...process.env, ...mpiEnv, SCR_PREFIX: join(work, job, 'prefix'), SCR_CACHE_BASE: join(work, job, 'cache'), SCR_CNTL_BASE: join(work, job, 'cntl'),
    SCR_JOB_ID: job, SCR_USER_NAME: 'demo', SCR_COPY_TYPE: 'XOR', SCR_SYSTEM_CONF: '/dev/null' };
  mkdirSync(env.SCR_PREFIX, { recursive: true });
  const args = nodes.flatMap((n, i) => [...(i ? [':'] : []), '-np', '1', 'env', `SCR_NODE_NAME=${n}`, process.execPath, app, '--steps', '60', '--every', '10', ...extra]);
  const r = spawnSync(mpirun, args, { env, encoding: 'utf8', timeout: 300_000 });
  for (const line of `${r.stdout}${r.stderr}`.split('\n').filter(Boolean)) console.log(`   ${line}`);
  if (r.status !== 0) throw new Error(`${title} failed (exit ${r.status})`);
  return r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).pop();
}

let ok = false;
try {
  console.log(`scr demo (${flavour}): heat diffusion on 4 simulated nodes with XOR redundancy, checkpoint every 10 steps`);
  const first = run('run 1: the job is stopped at step 30', 'job', ['n0', 'n1', 'n2', 'n3'], ['--stop-at', '30']);
  console.log(`\n== node n1 fails: its cache and control directories are deleted`);
  for (const d of ['cache', 'cntl']) rmSync(join(work, 'job', d, 'demo', 'scr.job', 'node.n1'), { recursive: true, force: true });
  const second = run('run 2: relaunched with spare n4 in place of n1', 'job', ['n0', 'n4', 'n2', 'n3'], []);
  const clean = run('reference: the same job without a failure', 'ref', ['n0', 'n1', 'n2', 'n3'], []);
  ok = first.step === 30 && second.step === 60 && second.checksum === clean.checksum;
  console.log(`\nstory: stopped at step ${first.step}; n1 lost; relaunched on n4, rebuilt, resumed and finished at step ${second.step}`);
  console.log(`proof: checksum after the failure ${second.checksum}, without a failure ${clean.checksum}: ${second.checksum === clean.checksum ? 'identical' : 'DIFFERENT'}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = ok ? 0 : 1;
