// needCheckpoint / shouldExit / finalize with the halt file (written directly here) and
// SCR_END_TIME, on every rank.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as scr from '../../src/index.js';
import { updateHalt } from '../../src/halt/index.js';

const { mpi } = scr;
mpi.init();
const w = mpi.world;

describe('halt conditions and checkpoint policies (every rank)', function () {
  let root: string;
  let prefix: string;
  const setHalt = async (fn: Parameters<typeof updateHalt>[1]) => {
    if (w.rank === 0) await updateHalt(prefix, fn);
    await w.barrier();
  };
  const start = async (env: Record<string, string>) => {
    for (const k of Object.keys(process.env)) if (k.startsWith('SCR_CHECKPOINT_') || k === 'SCR_END_TIME' || k === 'SCR_HALT_SECONDS') delete process.env[k];
    Object.assign(process.env, env);
    await scr.init();
  };
  before(async () => {
    root = await w.bcastObject(w.rank === 0 ? mkdtempSync('/dev/shm/scr-halt-') : '', 0);
    prefix = join(root, 'prefix');
    Object.assign(process.env, {
      SCR_PREFIX: prefix, SCR_CACHE_BASE: join(root, 'cache'), SCR_CNTL_BASE: join(root, 'cntl'), SCR_JOB_ID: 'halt',
      SCR_USER_NAME: 'u', SCR_SYSTEM_CONF: '/dev/null', SCR_NODE_NAME: `n${w.rank}`, SCR_CACHE_SIZE: '3',
    });
    if (w.rank === 0) mkdirSync(prefix);
    await w.barrier();
  });
  afterEach(async () => { await scr.finalize().catch(() => undefined); await setHalt(() => ({})); });
  after(async () => {
    // The tests after this file in the same process must not inherit a halt condition.
    for (const k of Object.keys(process.env)) if (k.startsWith('SCR_CHECKPOINT_') || k === 'SCR_END_TIME' || k === 'SCR_HALT_SECONDS') delete process.env[k];
    await w.barrier();
    if (w.rank === 0) rmSync(root, { recursive: true, force: true });
  });

  it('with no policy set, needCheckpoint is always true and shouldExit false', async () => {
    await start({});
    assert.deepEqual([await scr.needCheckpoint(), await scr.needCheckpoint()], [true, true]);
    assert.equal(await scr.shouldExit(), false);
  });

  it('SCR_CHECKPOINT_INTERVAL=3: every third call', async () => {
    await start({ SCR_CHECKPOINT_INTERVAL: '3' });
    const got = [];
    for (let i = 0; i < 7; i++) got.push(await scr.needCheckpoint());
    assert.deepEqual(got, [false, false, true, false, false, true, false]);
  });

  it('a halt reason in the halt file: shouldExit and needCheckpoint say yes on every rank', async () => {
    await start({ SCR_CHECKPOINT_INTERVAL: '1000' });
    assert.equal(await scr.shouldExit(), false);
    assert.equal(await scr.needCheckpoint(), false);
    await setHalt((h) => ({ ...h, reason: 'maintenance at noon' }));
    assert.equal(await scr.shouldExit(), true);
    assert.equal(await scr.needCheckpoint(), true, 'checkpoint before exiting');
    await setHalt(() => ({}));
    assert.equal(await scr.shouldExit(), false);
  });

  it('checkpoints left: counted down by each completed checkpoint, then halt', async () => {
    await start({});
    await setHalt((h) => ({ ...h, checkpointsLeft: 2 }));
    for (let i = 1; i <= 2; i++) {
      assert.equal(await scr.shouldExit(), false, `before checkpoint ${i}`);
      await scr.startOutput(`left-${i}`, scr.FLAG_CHECKPOINT);
      writeFileSync(scr.routeFile(join(prefix, `left${i}.r${w.rank}`)), 'x');
      await scr.completeOutput(true);
    }
    assert.equal(await scr.shouldExit(), true);
  });

  it('SCR_END_TIME with SCR_HALT_SECONDS: halt when the allocation ends too soon', async () => {
    await start({ SCR_END_TIME: String(Math.floor(Date.now() / 1000) + 100), SCR_HALT_SECONDS: '60' });
    assert.equal(await scr.shouldExit(), false, '100 s left, 60 s needed');
    await scr.finalize();
    await start({ SCR_END_TIME: String(Math.floor(Date.now() / 1000) + 100), SCR_HALT_SECONDS: '600' });
    assert.equal(await scr.shouldExit(), true, '100 s left, 600 s needed');
  });

  it('a checkpoint-now request makes the next needCheckpoint say yes once', async () => {
    await start({ SCR_CHECKPOINT_INTERVAL: '1000' });
    assert.equal(await scr.needCheckpoint(), false);
    await setHalt((h) => ({ ...h, checkpointNow: (h.checkpointNow ?? 0) + 1 }));
    assert.equal(await scr.needCheckpoint(), true);
    assert.equal(await scr.needCheckpoint(), false);
  });

  it('finalize records the finalized marker for the run wrapper, which is not a halt for the app', async () => {
    await start({});
    await scr.finalize();
    const { readHalt } = await import('../../src/halt/index.js');
    assert.equal((await readHalt(prefix)).finalized, true);
    await start({});
    assert.equal(await scr.shouldExit(), false);
  });

  it('finalize while a halt condition holds does not record the marker: the job halted, it did not finish', async () => {
    const { readHalt } = await import('../../src/halt/index.js');
    await setHalt(() => ({ reason: 'walltime' }));
    await start({});
    assert.equal(await scr.shouldExit(), true);
    await scr.finalize();
    assert.equal((await readHalt(prefix)).finalized, undefined);
    // The allocation's end counts too.
    await setHalt(() => ({}));
    await start({ SCR_END_TIME: String(Math.floor(Date.now() / 1000) + 30), SCR_HALT_SECONDS: '60' });
    await scr.finalize();
    assert.equal((await readHalt(prefix)).finalized, undefined);
  });
});
