#!/usr/bin/env node
// `npm run demo`. Until the simulated-cluster demo of issue 6 exists, this runs the parity demo on
// four ranks with each MPI built, then the kernel benchmark on small buffers.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const launchers = {
  openmpi: ['mpirun.openmpi', { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', OMPI_MCA_rmaps_base_oversubscribe: '1' }],
  mpich: ['mpirun.mpich', {}],
};
let failed = false;
for (const [flavour, [cmd, env]] of Object.entries(launchers)) {
  if (!existsSync(join(root, 'build', `mpi-${flavour}`, 'Release', 'scr_mpi.node'))) continue;
  console.log(`\n== parity demo, ${flavour} ==`);
  const r = spawnSync(cmd, ['-np', '4', process.execPath, join(root, 'dist', 'examples', 'parity-demo.js'), '8'],
    { stdio: 'inherit', env: { ...process.env, ...env }, timeout: 120_000 });
  failed ||= r.status !== 0;
}
console.log('\n== kernel benchmark (small) ==');
const b = spawnSync(process.execPath, [join(root, 'dist', 'bench', 'kernels.js'), '--size-mib', '32'], { stdio: 'inherit', timeout: 300_000 });
failed ||= b.status !== 0;
process.exitCode = failed ? 1 : 0;
