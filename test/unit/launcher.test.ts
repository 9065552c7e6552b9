import assert from 'node:assert/strict';
import { chooseFlavour, detectLauncher } from '../../src/mpi/launcher.js';

describe('launcher detection', () => {
  it('recognises Open MPI mpirun, PMIx, MPICH Hydra and bare srun', () => {
    assert.deepEqual(detectLauncher({ OMPI_COMM_WORLD_SIZE: '4' }).flavour, 'openmpi');
    assert.equal(detectLauncher({ OMPI_COMM_WORLD_SIZE: '4' }).size, 4);
    assert.equal(detectLauncher({ PMIX_RANK: '0', SLURM_STEP_NUM_TASKS: '8' }).flavour, 'openmpi');
    assert.equal(detectLauncher({ PMIX_RANK: '0', SLURM_STEP_NUM_TASKS: '8' }).size, 8);
    assert.equal(detectLauncher({ PMI_RANK: '1', PMI_SIZE: '2' }).flavour, 'mpich');
    assert.equal(detectLauncher({ PMI_RANK: '1', PMI_SIZE: '2' }).size, 2);
    assert.deepEqual(detectLauncher({ SLURM_PROCID: '0', SLURM_NTASKS: '3' }), { flavour: null, size: 3, evidence: 'SLURM_PROCID (srun without an MPI plugin)' });
    assert.deepEqual(detectLauncher({}), { flavour: null, size: null, evidence: null });
  });

  it('chooses SCR_MPI, else the launcher, else the first one built', () => {
    assert.equal(chooseFlavour({ SCR_MPI: 'mpich' }, ['openmpi', 'mpich']), 'mpich');
    assert.equal(chooseFlavour({ PMI_RANK: '0' }, ['openmpi', 'mpich']), 'mpich');
    assert.equal(chooseFlavour({ OMPI_COMM_WORLD_SIZE: '2' }, ['openmpi', 'mpich']), 'openmpi');
    assert.equal(chooseFlavour({}, ['mpich']), 'mpich');
  });

  it('gives clear errors for contradictions and missing builds', () => {
    assert.throws(() => chooseFlavour({ SCR_MPI: 'mpich', OMPI_COMM_WORLD_SIZE: '2' }, ['openmpi', 'mpich']),
      /SCR_MPI=mpich but this process was launched by openmpi \(OMPI_COMM_WORLD_SIZE/);
    assert.throws(() => chooseFlavour({ PMI_RANK: '0' }, ['openmpi']),
      /binding for mpich is not built, but this process was launched by mpich.*libmpich-dev.*--mpi mpich' \(built: openmpi\)/);
    assert.throws(() => chooseFlavour({}, []), /MPI binding is not built: run 'npm run build:native'/);
    assert.throws(() => chooseFlavour({ SCR_MPI: 'intel' }, ['openmpi']), /SCR_MPI=intel is not an MPI this binding knows/);
  });
});
