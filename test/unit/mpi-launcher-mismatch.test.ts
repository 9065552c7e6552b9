// When the launcher started N ranks but MPI sees another number (each rank a singleton: the
// binding does not match how the job was launched), every rank prints why, naming itself, and
// only then aborts; the job ends non-zero instead of hanging. The message must reach the
// launcher's output, so the jobs run for real:
// - one process with the variables `srun` without an MPI plugin gives (SLURM_PROCID,
//   SLURM_STEP_NUM_TASKS), with each binding;
// - the MPICH binding under Open MPI's mpirun, and the Open MPI binding under MPICH's mpirun, with
//   the launcher's own variables hidden (else the binding would be refused before MPI starts) and
//   srun's in their place.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MpiFlavour } from '../../src/native/paths.js';
import { flavoursBuilt, runMpi, runProcess, type RunResult } from '../harness/launch.js';
import { skipBecause } from '../harness/skip.js';

const hello = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures', 'mpi-hello.js');

function assertAbortedWithMessage(r: RunResult, binding: MpiFlavour, ranks: number[], size: number): void {
  assert.equal(r.timedOut, false, `the job ended by itself; stderr:\n${r.stderr}`);
  assert.notEqual(r.code, 0, `the job failed; stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stdout, /"sum"/, 'no rank went on to use MPI');
  for (const rank of ranks) {
    assert.match(r.stderr, new RegExp(`\\[rank ${rank}\\] mpi\\.init\\(\\): the launcher started ${size} ranks \\(SLURM_PROCID ` +
      `\\(srun without an MPI plugin\\)\\) but MPI sees 1: the binding was loaded for ${binding}, which does not match ` +
      `how the job was launched\\..*Aborting\\.`), `rank ${rank}'s message in:\n${r.stderr}`);
  }
}

describe('a binding that does not match the launcher', function () {
  this.timeout(60_000);

  for (const flavour of flavoursBuilt()) {
    it(`prints its message before the abort (${flavour}, srun without an MPI plugin)`, async () => {
      const r = await runProcess(process.execPath, [hello], {
        env: { SCR_MPI: flavour, SLURM_PROCID: '1', SLURM_STEP_NUM_TASKS: '2' }, timeoutMs: 30_000,
      });
      assertAbortedWithMessage(r, flavour, [1], 2);
      assert.match(r.stderr, new RegExp(`or srun --mpi=${flavour === 'openmpi' ? 'pmix' : 'pmi2'}`));
    });
  }

  const hide: Record<MpiFlavour, string> = {
    openmpi: 'env -u OMPI_COMM_WORLD_SIZE -u PMIX_RANK SLURM_PROCID=$OMPI_COMM_WORLD_RANK SLURM_STEP_NUM_TASKS=$OMPI_COMM_WORLD_SIZE',
    mpich: 'env -u PMI_RANK -u PMI_FD -u PMI_SIZE -u PMI_PORT SLURM_PROCID=$PMI_RANK SLURM_STEP_NUM_TASKS=$PMI_SIZE',
  };
  for (const [launcher, binding] of [['openmpi', 'mpich'], ['mpich', 'openmpi']] as Array<[MpiFlavour, MpiFlavour]>) {
    it(`under ${launcher}'s mpirun with the ${binding} binding, every rank's message reaches the launcher's output`, async function () {
      if (!flavoursBuilt().includes(binding) || !flavoursBuilt().includes(launcher)) skipBecause(this, 'needs both bindings; scripts/setup builds both');
      const r = await runMpi(launcher, 2, ['sh', '-c', `exec ${hide[launcher]} SCR_MPI=${binding} "$@"`, 'sh', process.execPath, hello], { timeoutMs: 30_000 });
      assertAbortedWithMessage(r, binding, [0, 1], 2);
    });
  }
});
