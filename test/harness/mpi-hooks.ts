// Root hooks for the MPI test files (mocha --require): MPI is initialised once per rank, and
// when a test fails on one rank of a multi-rank job, that rank aborts the job, so the other ranks
// cannot hang in the next collective. The reporter has already recorded which rank and test.
import { mpi } from '../../src/index.js';

export const mochaHooks = {
  beforeAll(): void {
    mpi.init();
  },
  afterEach(this: Mocha.Context): void {
    const test = this.currentTest;
    if (test?.state === 'failed' && mpi.world.size > 1) {
      process.stderr.write(`[rank ${mpi.world.rank}] aborting the job after the failure of: ${test.fullTitle()}\n`);
      mpi.abort(1);
    }
  },
};
