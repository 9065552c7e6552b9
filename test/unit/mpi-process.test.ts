// Whole MPI jobs in child processes: start-up, exit without finalize, and the safety nets
// (a failing rank ends the job instead of leaving the others hanging; a wrong binding is refused).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flavoursBuilt, runMpi, runProcess } from '../harness/launch.js';
import { skipBecause } from '../harness/skip.js';

const fixtures = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures');
const hello = join(fixtures, 'mpi-hello.js');
const failing = join(fixtures, 'mpi-failing-rank.js');

for (const flavour of flavoursBuilt()) {
  describe(`MPI jobs under ${flavour}`, function () {
    this.timeout(60_000);

    it('a program that never calls finalize exits 0 on every rank', async () => {
      const r = await runMpi(flavour, 3, [process.execPath, hello], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { rank: number; size: number; sum: number; flavour: string; level: string });
      assert.deepEqual(lines.map((l) => l.rank).sort(), [0, 1, 2]);
      for (const l of lines) assert.deepEqual({ size: l.size, sum: l.sum, flavour: l.flavour, level: l.level }, { size: 3, sum: 3, flavour, level: 'MULTIPLE' });
    });

    for (const mode of ['throw', 'reject', 'exit']) {
      it(`a rank that fails (${mode}) while others wait in a barrier aborts the whole job and is named`, async () => {
        const r = await runMpi(flavour, 3, [process.execPath, failing, mode], { timeoutMs: 30_000 });
        assert.equal(r.timedOut, false, 'the job ended by itself');
        assert.notEqual(r.code, 0);
        assert.doesNotMatch(r.stdout, /unreachable/);
        assert.match(r.stderr, /\[rank 2\]/, r.stderr);
        if (mode !== 'exit') assert.match(r.stderr, /deliberate (failure|rejection) on rank 2/);
        else assert.match(r.stderr, /exiting with code 3/);
      });
    }
  });
}

describe('choosing the binding', function () {
  this.timeout(60_000);

  it('runs as a singleton without a launcher', async () => {
    const r = await runProcess(process.execPath, [hello], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { size: number }).size, 1);
  });

  it('refuses SCR_MPI that contradicts the launcher, naming both', async function () {
    if (!flavoursBuilt().includes('mpich')) skipBecause(this, 'needs both bindings; scripts/setup builds both, CI has them');
    const r = await runMpi('mpich', 2, [process.execPath, hello], { env: { SCR_MPI: 'openmpi' }, timeoutMs: 30_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /SCR_MPI=openmpi but this process was launched by mpich/);
  });

  it('refuses an unknown SCR_MPI value', async () => {
    const r = await runProcess(process.execPath, [hello], { env: { SCR_MPI: 'lam' }, timeoutMs: 30_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /SCR_MPI=lam is not an MPI this binding knows: use one of openmpi, mpich/);
  });
});
