// Thread levels: the binding's progress and helper threads call MPI, so it needs SERIALIZED or
// MULTIPLE. Asking for SINGLE or FUNNELED is an Error before MPI starts (through the package and
// through the native init alike); an MPI that provides less than SERIALIZED makes every rank say
// so and abort the job, which ends instead of hanging; SERIALIZED itself works, including
// allreduceSync after a queued split or dup. Jobs run in child processes (test/fixtures).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../src/native/paths.js';
import { flavoursBuilt, runMpi, runProcess } from '../harness/launch.js';
import { skipBecause } from '../harness/skip.js';

const fixtures = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures');
const askLevel = join(fixtures, 'mpi-thread-level.js');
const serialized = join(fixtures, 'mpi-serialized.js');
const hello = join(fixtures, 'mpi-hello.js');
const shimSource = join(packageRoot, 'test', 'fixtures', 'mpi-funneled-shim.c');

interface Asked { first: { level?: string; name?: string; message?: string }; afterFirst: { initialized: boolean; loaded: boolean }; level: string; sum: number }

for (const flavour of flavoursBuilt()) {
  describe(`thread levels (${flavour})`, function () {
    this.timeout(60_000);
    const ask = async (options: unknown, how: 'package' | 'native' = 'package'): Promise<Asked> => {
      const r = await runProcess(process.execPath, [askLevel, JSON.stringify(options), how], { env: { SCR_MPI: flavour }, timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as Asked;
    };

    for (const level of ['SINGLE', 'FUNNELED']) {
      it(`asking for ${level} is refused before MPI starts, saying why and what to ask for`, async () => {
        const out = await ask({ threadLevel: level });
        assert.equal(out.first.name, 'RangeError', JSON.stringify(out.first));
        assert.match(out.first.message!, new RegExp(`^mpi\\.init\\(\\): thread level ${level} cannot be used: `));
        assert.match(out.first.message!, /the binding's progress and helper threads call MPI/);
        assert.match(out.first.message!, /Ask for 'SERIALIZED' or 'MULTIPLE', or leave threadLevel out/);
        assert.deepEqual(out.afterFirst, { initialized: false, loaded: false }, 'the binding was not even loaded');
        // Had MPI been started at the refused level, this init would report that level and abort.
        assert.deepEqual({ level: out.level, sum: out.sum }, { level: 'MULTIPLE', sum: 1 });
      });

      it(`the native init refuses ${level} too, before MPI_Init_thread`, async () => {
        const out = await ask({ threadLevel: level }, 'native');
        assert.equal(out.first.name, 'RangeError', JSON.stringify(out.first));
        assert.match(out.first.message!, new RegExp(`^init: thread level ${level} is below SERIALIZED.*helper threads call MPI`));
        assert.deepEqual({ level: out.level, sum: out.sum }, { level: 'MULTIPLE', sum: 1 });
      });
    }

    it('an unknown level or options that are not an object are a TypeError', async () => {
      const bad = await ask({ threadLevel: 'serialized' });
      assert.equal(bad.first.name, 'TypeError');
      assert.match(bad.first.message!, /^mpi\.init\(\): options\.threadLevel must be 'SERIALIZED' or 'MULTIPLE', got 'serialized'$/);
      const notObject = await ask('MULTIPLE');
      assert.equal(notObject.first.name, 'TypeError');
      assert.match(notObject.first.message!, /^mpi\.init\(\): options must be an object/);
      assert.equal(bad.level, 'MULTIPLE');
    });

    it('asking for SERIALIZED gives SERIALIZED, and later init() calls keep it', async () => {
      const out = await ask({ threadLevel: 'SERIALIZED' });
      assert.deepEqual(out.first, { level: 'SERIALIZED' });
      assert.deepEqual({ level: out.level, sum: out.sum }, { level: 'SERIALIZED', sum: 1 });
    });

    for (const np of [2, 4]) {
      it(`a job at SERIALIZED works on ${np} ranks; allreduceSync after a queued split or dup does not deadlock`, async () => {
        const r = await runMpi(flavour, np, [process.execPath, serialized], { timeoutMs: 45_000 });
        assert.equal(r.timedOut, false, `the job hung: ${r.stderr}`);
        assert.equal(r.code, 0, r.stderr);
        const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        assert.deepEqual(lines.map((l) => l.rank).sort(), Array.from({ length: np }, (_, i) => i));
        for (const l of lines) {
          const rank = l.rank as number;
          assert.equal(l.level, 'SERIALIZED');
          assert.deepEqual(l.overtake, Array(6).fill(np));
          assert.equal(l.sum, (np * (np - 1)) / 2);
          assert.deepEqual(l.names, Array.from({ length: np }, (_, i) => `r${i}`.repeat(i + 1)));
          assert.deepEqual(l.bcast, { from: 0 });
          assert.equal(l.received, `from ${(rank + np - 1) % np}`);
          assert.equal(l.nodeSize, rank % 2 ? Math.floor(np / 2) : Math.ceil(np / 2));
          assert.match(l.refused as string, /^allreduceSync: allgather, called earlier on this communicator, has not been posted/);
        }
      });
    }

    describe('an MPI that provides less than SERIALIZED', function () {
      let dir = '';
      let shim = '';
      before(function () {
        const mpicc = `mpicc.${flavour}`;
        dir = mkdtempSync(join(tmpdir(), 'scr-shim-'));
        shim = join(dir, `funneled-${flavour}.so`);
        const cc = spawnSync(mpicc, ['-shared', '-fPIC', '-o', shim, shimSource], { encoding: 'utf8' });
        // The binding was built with this compiler wrapper (scripts/build-native.mjs); without it
        // the shim cannot be built here, which says nothing about the binding.
        if (cc.error) skipBecause(this, `no C compiler for the shim: ${cc.error.message}`);
        assert.equal(cc.status, 0, `building the PMPI shim failed: ${cc.stderr}`);
      });
      after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

      it('every rank says which level MPI provided and why it is not enough, and the job ends non-zero', async () => {
        const r = await runMpi(flavour, 2, ['env', `LD_PRELOAD=${shim}`, process.execPath, hello], { timeoutMs: 30_000 });
        assert.equal(r.timedOut, false, `the job ended by itself; stderr:\n${r.stderr}`);
        assert.notEqual(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stdout, /"sum"/, 'no rank went on to use MPI');
        for (const rank of [0, 1]) {
          assert.match(r.stderr, new RegExp(`\\[rank ${rank}\\] mpi\\.init\\(\\): asked MPI for thread level MULTIPLE but it provides FUNNELED; ` +
            `the binding needs at least SERIALIZED because its progress and helper threads call MPI\\..*Aborting the job`), r.stderr);
        }
      });
    });
  });
}
