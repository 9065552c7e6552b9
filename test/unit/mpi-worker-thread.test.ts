// The MPI binding belongs to the process's main thread: a worker_threads Worker that uses it gets
// a clear Error, through the package (mpi.init(), mpi.world) and when loading scr_mpi.node itself,
// whether or not the main thread initialised MPI first; the process survives and its MPI works.
// Each case runs in its own process (test/fixtures/mpi-worker.ts): a regression here used to be
// a V8 abort, which must fail one test, not end the test runner.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flavoursBuilt, runProcess } from '../harness/launch.js';

const fixture = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures', 'mpi-worker.js');

interface Seen { step: string; ok?: unknown; name?: string; message?: string }
interface Out { worker: { seen: Seen[] | null; exitCode: number; error: string | null }; sum: number; sync: number; size: number; level: string }

const MAIN_ONLY = /scr's MPI binding belongs to the process's main thread and cannot be (used from|loaded in) a worker thread \(node:worker_threads\)/;

for (const flavour of flavoursBuilt()) {
  describe(`the MPI binding in a worker thread (${flavour})`, function () {
    this.timeout(60_000);

    for (const order of ['main-first', 'worker-first']) {
      it(`mpi.init() in a Worker is an Error naming the main thread; the process goes on (${order})`, async () => {
        const r = await runProcess(process.execPath, [fixture, 'package', order], { env: { SCR_MPI: flavour }, timeoutMs: 30_000 });
        assert.equal(r.timedOut, false, `ended by itself; stderr:\n${r.stderr}`);
        assert.equal(r.code, 0, `the process survived: ${r.stderr}`);
        const out = JSON.parse(r.stdout) as Out;
        assert.deepEqual(out.worker.seen?.map((s) => [s.step, s.name]), [['init', 'Error'], ['world', 'Error']], JSON.stringify(out.worker));
        assert.match(out.worker.seen![0]!.message!, /^mpi\.init\(\): /);
        assert.match(out.worker.seen![0]!.message!, MAIN_ONLY);
        assert.match(out.worker.seen![0]!.message!, /postMessage/);
        assert.match(out.worker.seen![1]!.message!, /^mpi\.world: .*main thread/);
        assert.equal(out.worker.exitCode, 0);
        assert.deepEqual({ sum: out.sum, sync: out.sync, size: out.size, level: out.level }, { sum: 1, sync: 2, size: 1, level: 'MULTIPLE' });
      });

      it(`loading scr_mpi.node in a Worker is an Error, not a crash (${order})`, async () => {
        const r = await runProcess(process.execPath, [fixture, 'addon', order], { env: { SCR_MPI: flavour }, timeoutMs: 30_000 });
        assert.equal(r.timedOut, false, `ended by itself; stderr:\n${r.stderr}`);
        assert.equal(r.code, 0, `the process survived: ${r.stderr}`);
        const out = JSON.parse(r.stdout) as Out;
        assert.deepEqual(out.worker.seen?.map((s) => [s.step, s.name]), [['load', 'Error']], JSON.stringify(out.worker));
        assert.match(out.worker.seen![0]!.message!, MAIN_ONLY);
        assert.equal(out.worker.error, null, 'no uncaught error in the Worker');
        assert.deepEqual({ sum: out.sum, sync: out.sync, size: out.size }, { sum: 1, sync: 2, size: 1 });
      });
    }
  });
}
