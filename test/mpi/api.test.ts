// The checkpoint API on every rank: the state machine's named errors (identical on all ranks, so
// nobody runs ahead into a collective), argument checks, agreement, and a write/restart cycle.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as scr from '../../src/index.js';

const { mpi } = scr;
mpi.init();
const w = mpi.world;

const state = (msg: RegExp) => (e: unknown) => e instanceof scr.ScrStateError && (e as Error & { code: string }).code === 'ERR_SCR_STATE' && msg.test((e as Error).message);
const coded = (code: string, msg?: RegExp) => (e: unknown) => (e as { code?: string }).code === code && (!msg || msg.test((e as Error).message));

describe('checkpoint API (every rank)', function () {
  let root: string;
  before(async () => {
    root = await w.bcastObject(w.rank === 0 ? mkdtempSync('/dev/shm/scr-api-') : '', 0);
    Object.assign(process.env, {
      SCR_PREFIX: join(root, 'prefix'), SCR_CACHE_BASE: join(root, 'cache'), SCR_CNTL_BASE: join(root, 'cntl'),
      SCR_JOB_ID: 'api', SCR_USER_NAME: 'u', SCR_SYSTEM_CONF: '/dev/null', SCR_NODE_NAME: `n${w.rank}`, SCR_MPI_BUF_SIZE: '4096', SCR_CACHE_SIZE: '20',
      // Cache behaviour only: nothing flushed, so nothing is fetched back (test/unit/pfs.test.ts does that).
      SCR_FLUSH: '0',
    });
    if (w.rank === 0) (await import('node:fs')).mkdirSync(join(root, 'prefix'));
    await w.barrier();
  });
  after(async () => {
    await w.barrier();
    if (w.rank === 0) rmSync(root, { recursive: true, force: true });
  });

  it('before init: every collective call names init() as due; routeFile passes paths through', async () => {
    for (const [name, call] of [
      ['needCheckpoint()', () => scr.needCheckpoint()], ['startOutput()', () => scr.startOutput(null, scr.FLAG_CHECKPOINT)],
      ['completeOutput()', () => scr.completeOutput(true)], ['haveRestart()', () => scr.haveRestart()],
      ['startRestart()', () => scr.startRestart()], ['completeRestart()', () => scr.completeRestart(true)],
      ['shouldExit()', () => scr.shouldExit()], ['finalize()', () => scr.finalize()],
    ] as const) {
      await assert.rejects(call(), state(new RegExp(`^init\\(\\) must come before ${name.replace(/[()]/g, '\\$&')}$`)), name);
    }
    assert.equal(scr.routeFile('/some/where.dat'), '/some/where.dat');
    assert.equal(scr.config('SCR_PREFIX_SIZE=3'), null);
    assert.equal(scr.config('SCR_PREFIX_SIZE'), '3', 'a query answers with the value set');
    assert.throws(() => scr.config('SCR_FLUSHH=3'), /unknown parameter SCR_FLUSHH \(did you mean SCR_FLUSH\?\)/);
  });

  it('init, then the idle-state errors, config after init, init twice', async () => {
    await scr.init();
    await assert.rejects(scr.init(), state(/^init\(\) was already called/));
    assert.throws(() => scr.config('SCR_PREFIX_SIZE=4'), state(/sets a value, which must come before init\(\)/));
    assert.equal(scr.config('SCR_PREFIX_SIZE'), '3');
    await assert.rejects(scr.completeOutput(true), state(/^startOutput\(\) must come before completeOutput\(\)$/));
    await assert.rejects(scr.completeRestart(true), state(/^startRestart\(\) must come before completeRestart\(\)$/));
    await assert.rejects(scr.startRestart(), state(/^haveRestart\(\) must find a checkpoint before startRestart\(\)$/));
    assert.equal(await scr.haveRestart(), null);
    assert.ok(existsSync(join(root, 'prefix', '.scr', 'app.conf')), 'config() values saved for the commands');
    assert.match(readFileSync(join(root, 'prefix', '.scr', 'app.conf'), 'utf8'), /^SCR_PREFIX_SIZE=3$/m);
  });

  it('inside an output phase, completeOutput() is due before anything else', async () => {
    await scr.startOutput('phase-test', scr.FLAG_CHECKPOINT);
    for (const [name, call] of [
      ['needCheckpoint()', () => scr.needCheckpoint()], ['startOutput()', () => scr.startOutput(null, 0)],
      ['haveRestart()', () => scr.haveRestart()], ['finalize()', () => scr.finalize()], ['shouldExit()', () => scr.shouldExit()],
    ] as const) {
      await assert.rejects(call(), state(new RegExp(`^completeOutput\\(\\) must come before ${name.replace(/[()]/g, '\\$&')}$`)), name);
    }
    assert.equal(await scr.completeOutput(true), true, 'an empty dataset is valid');
  });

  it('routeFile refuses paths outside the prefix and two files with one name', async () => {
    await scr.startOutput(null, scr.FLAG_OUTPUT);
    const prefix = process.env.SCR_PREFIX!;
    assert.throws(() => scr.routeFile('/tmp/elsewhere.dat'), coded('ERR_SCR_ROUTE', /must lie under SCR_PREFIX/));
    const a = scr.routeFile(join(prefix, 'a', 'x.dat'));
    assert.equal(scr.routeFile(join(prefix, 'a', 'x.dat')), a, 'routing the same path twice is fine');
    assert.throws(() => scr.routeFile(join(prefix, 'b', 'x.dat')), coded('ERR_SCR_DUPLICATE_FILE', /same file name "x\.dat"/));
    writeFileSync(a, 'x');
    assert.equal(await scr.completeOutput(true), true);
  });

  it('bad arguments are named', async () => {
    await assert.rejects(scr.startOutput(null, 8), coded('ERR_SCR_ARGUMENT', /flags must combine FLAG_CHECKPOINT and FLAG_OUTPUT/));
    await assert.rejects(scr.startOutput('a/b', 1), coded('ERR_SCR_ARGUMENT', /without '\/'/));
    assert.throws(() => scr.routeFile(''), coded('ERR_SCR_ARGUMENT'));
  });

  if (w.size > 1) {
    it('ranks that pass different names all fail alike, naming rank 0 and a differing rank', async () => {
      await assert.rejects(scr.startOutput(w.rank === w.size - 1 ? 'odd' : 'even', scr.FLAG_CHECKPOINT),
        coded('ERR_SCR_MISMATCH', new RegExp(`rank 0 passed \\("even", 1\\) but rank ${w.size - 1} passed \\("odd", 1\\)`)));
    });
  }

  it('a rank that says false, or did not write a routed file, makes the dataset invalid everywhere', async () => {
    const prefix = process.env.SCR_PREFIX!;
    await scr.startOutput('invalid-1', scr.FLAG_CHECKPOINT);
    writeFileSync(scr.routeFile(join(prefix, `r${w.rank}.dat`)), 'data');
    assert.equal(await scr.completeOutput(w.rank !== 0), false);
    await scr.startOutput('invalid-2', scr.FLAG_CHECKPOINT);
    const p = scr.routeFile(join(prefix, `r${w.rank}.dat`));
    if (w.rank !== w.size - 1) writeFileSync(p, 'data');
    assert.equal(await scr.completeOutput(true), false);
    assert.equal(await scr.haveRestart(), 'phase-test', 'neither invalid dataset is offered');
  });

  it('write, restart, and completeRestart(false) marks the checkpoint failed so an older one is offered', async () => {
    const prefix = process.env.SCR_PREFIX!;
    await scr.startOutput('good', scr.FLAG_CHECKPOINT);
    const files = Array.from({ length: 30 }, (_, f) => join(prefix, 'many', `r${w.rank}.f${f}.dat`));
    for (const [f, path] of files.entries()) writeFileSync(scr.routeFile(path), Buffer.alloc(f * 300 + w.rank, f));
    assert.equal(await scr.completeOutput(true), true);
    assert.equal(await scr.haveRestart(), 'good');
    assert.equal(await scr.startRestart(), 'good');
    for (const [f, path] of files.entries()) assert.deepEqual(readFileSync(scr.routeFile(path)), Buffer.alloc(f * 300 + w.rank, f));
    assert.throws(() => scr.routeFile(join(prefix, 'many', 'nope.dat')), coded('ERR_SCR_NO_SUCH_FILE', /has no such file in checkpoint good/));
    await assert.rejects(scr.needCheckpoint(), state(/^completeRestart\(\) must come before needCheckpoint\(\)$/));
    assert.equal(await scr.completeRestart(w.rank !== 0), false);
    assert.equal(await scr.haveRestart(), 'phase-test');
  });

  it('finalize, then init again finds the cached checkpoint', async () => {
    await scr.finalize();
    await assert.rejects(scr.haveRestart(), state(/^init\(\) must come before haveRestart\(\)$/));
    await scr.init();
    assert.equal(await scr.haveRestart(), 'phase-test');
    await scr.finalize();
  });

  it('a bad argument on one rank only is an error on every rank (nobody waits)', async () => {
    await scr.init();
    await assert.rejects(scr.startOutput(null, w.rank === 0 ? 8 : scr.FLAG_CHECKPOINT), coded('ERR_SCR_ARGUMENT', /flags must combine/));
    await scr.finalize();
  });

  if (w.size > 1) {
    it('two ranks of one node routing the same file name: the dataset is refused on every rank', async () => {
      process.env.SCR_NODE_NAME = 'shared';
      try {
        await scr.init();
        await scr.startOutput('clash', scr.FLAG_CHECKPOINT);
        writeFileSync(scr.routeFile(join(process.env.SCR_PREFIX!, `r${w.rank}`, 'same.dat')), `rank ${w.rank}`);
        await assert.rejects(scr.completeOutput(true), coded('ERR_SCR_DUPLICATE_FILE', /ranks 0 and 1 on node shared both routed a file named "same\.dat"/));
        assert.notEqual(await scr.haveRestart(), 'clash');
        await scr.finalize();
      } finally {
        process.env.SCR_NODE_NAME = `n${w.rank}`;
      }
    });
  }

  it('SCR_ENABLE=0: calls still agree, paths pass through unchanged, nothing is cached', async () => {
    process.env.SCR_ENABLE = '0';
    try {
      await scr.init();
      await scr.startOutput('off', scr.FLAG_CHECKPOINT);
      assert.equal(scr.routeFile('relative/file.dat'), 'relative/file.dat');
      assert.equal(await scr.completeOutput(true), true);
      assert.equal(await scr.haveRestart(), null);
      await scr.finalize();
    } finally {
      delete process.env.SCR_ENABLE;
    }
  });

  it('startOutput evicts the oldest datasets beyond the store\'s COUNT (SCR_CACHE_SIZE=2)', async () => {
    process.env.SCR_CACHE_SIZE = '2';
    await scr.init();
    const prefix = process.env.SCR_PREFIX!;
    for (const name of ['e1', 'e2', 'e3']) {
      await scr.startOutput(name, scr.FLAG_CHECKPOINT);
      writeFileSync(scr.routeFile(join(prefix, `${name}.r${w.rank}`)), name);
      assert.equal(await scr.completeOutput(true), true);
    }
    // e3 and e2 remain: failing them in turn leaves nothing, as e1 and older were evicted.
    for (const expect of ['e3', 'e2']) {
      assert.equal(await scr.haveRestart(), expect);
      await scr.startRestart();
      assert.equal(readFileSync(scr.routeFile(join(prefix, `${expect}.r${w.rank}`)), 'utf8'), expect);
      await scr.completeRestart(false);
    }
    assert.equal(await scr.haveRestart(), null);
    await scr.finalize();
  });
});
