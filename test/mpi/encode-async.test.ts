// SCR_ENCODE_ASYNC=1 on every rank: completeOutput returns with the checkpoint recorded but
// unprotected, the previous protected checkpoint stays in cache (SCR_CACHE_SIZE=1) until the
// encode is settled at the next collective call, a restart gets exactly the bytes written (CRC32
// checked), a checkpoint recorded unprotected is never restarted from, and an encode that fails
// in the background is reported at the next call, the protected checkpoint staying.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { controlDir, datasetDir, redDataPath } from '../../src/cache/paths.js';
import { readCacheIndex, readFilemap, updateCacheIndex } from '../../src/cache/records.js';
import * as scr from '../../src/index.js';
import { skipBecause } from '../harness/skip.js';

const { mpi } = scr;
mpi.init();
const w = mpi.world;

/** The bytes rank r writes into checkpoint `id`: 48 KiB + r, distinct per rank and checkpoint. */
function bytesOf(id: number, r: number): Buffer {
  const b = Buffer.alloc(48 * 1024 + r);
  for (let i = 0; i < b.length; i++) b[i] = (i * 31 + id * 7 + r * 13) & 0xff;
  return b;
}

describe('background encode (SCR_ENCODE_ASYNC=1)', function () {
  this.timeout(60_000);
  let root: string;
  const ident = () => ({ user: 'u', jobId: 'async', node: `n${w.rank}` });
  const cntl = () => controlDir(join(root, 'cntl'), ident());
  const recorded = async () => (await readCacheIndex(cntl())).datasets;
  const dir = (id: number) => datasetDir(join(root, 'cache'), ident(), id);

  before(async () => {
    root = await w.bcastObject(w.rank === 0 ? mkdtempSync('/dev/shm/scr-i13-async-') : '', 0);
    Object.assign(process.env, {
      SCR_PREFIX: join(root, 'prefix'), SCR_CACHE_BASE: join(root, 'cache'), SCR_CNTL_BASE: join(root, 'cntl'),
      SCR_JOB_ID: 'async', SCR_USER_NAME: 'u', SCR_SYSTEM_CONF: '/dev/null', SCR_NODE_NAME: `n${w.rank}`, SCR_MPI_BUF_SIZE: '4096',
      SCR_COPY_TYPE: 'XOR', SCR_SET_SIZE: '2', SCR_CACHE_SIZE: '1', SCR_FLUSH: '0', SCR_ENCODE_ASYNC: '1', SCR_CRC_ON_COPY: '1',
    });
    await w.barrier();
  });
  after(async () => {
    await w.barrier();
    for (const k of ['SCR_COPY_TYPE', 'SCR_SET_SIZE', 'SCR_CACHE_SIZE', 'SCR_FLUSH', 'SCR_ENCODE_ASYNC', 'SCR_CRC_ON_COPY']) delete process.env[k];
    if (w.rank === 0) rmSync(root, { recursive: true, force: true });
  });

  const write = async (name: string, id: number) => {
    await scr.startOutput(name, scr.FLAG_CHECKPOINT);
    writeFileSync(scr.routeFile(join(process.env.SCR_PREFIX!, `${name}.r${w.rank}`)), bytesOf(id, w.rank));
    assert.equal(await scr.completeOutput(true), true);
    assert.equal(scr.lastOutputStats()?.background, true, 'the encode was left to the background');
  };

  it('keeps the protected checkpoint until the new one is settled, then restores exact bytes', async () => {
    await scr.init();
    await write('a1', 1);
    // Recorded complete and unprotected; settled (protected, with its CRC32s) by the next call.
    assert.equal((await recorded())['1']?.protected, false);
    assert.equal(await scr.needCheckpoint(), true);
    assert.equal((await recorded())['1']?.protected, true);
    const map = await readFilemap(dir(1), w.rank);
    assert.equal(map?.files[0]?.crc, crc32(bytesOf(1, w.rank)), 'the encode recorded the CRC32 of the bytes written');

    await write('a2', 2);
    // SCR_CACHE_SIZE=1, but a2 is unprotected: a1, the last protected checkpoint, is still there.
    const mid = await recorded();
    assert.equal(mid['2']?.protected, false);
    assert.equal(mid['1']?.protected, true, 'a1 stays recorded while a2 is unprotected');
    assert.ok(existsSync(join(dir(1), `a1.r${w.rank}`)), 'a1 stays in cache while a2 is unprotected');
    assert.equal(await scr.shouldExit(), false); // settles a2: protected, and a1 evicted now
    const after = await recorded();
    assert.equal(after['2']?.protected, true);
    assert.equal(after['1'], undefined, 'a1 evicted once a2 is protected');
    await scr.finalize();

    await scr.init();
    assert.equal(await scr.haveRestart(), 'a2');
    await scr.startRestart();
    const got = readFileSync(scr.routeFile(join(process.env.SCR_PREFIX!, `a2.r${w.rank}`)));
    assert.equal(crc32(got), crc32(bytesOf(2, w.rank)));
    assert.ok(got.equals(bytesOf(2, w.rank)));
    assert.equal(await scr.completeRestart(true), true);
    await scr.finalize();
  });

  it('a checkpoint still recorded unprotected at init is dropped, not restarted from', async () => {
    await scr.init();
    await write('a3', 3); // id 3; a2 evicted at its startOutput (a2 was protected)
    await scr.finalize(); // settles a3
    // As if the job had stopped before a3's encode was settled: every node's record says so.
    await updateCacheIndex(cntl(), (idx) => { idx.datasets['3']!.protected = false; });
    await w.barrier();
    await scr.init();
    assert.equal(await scr.haveRestart(), null, 'an unprotected checkpoint is not offered');
    assert.equal((await recorded())['3'], undefined, 'and it is removed from the cache index');
    assert.ok(!existsSync(dir(3)), 'and from cache');
    await scr.finalize();
  });

  it('a background encode that fails is reported at the next call; the protected checkpoint stays', async function () {
    if (w.size < 2) skipBecause(this, 'one rank: XOR degrades to SINGLE, which writes no redundancy data');
    await scr.init();
    await write('b4', 4);
    const id4 = scr.lastOutputStats()!.id;
    const id5 = id4 + 1; // ids count up from the newest dataset seen (none is left here)
    assert.equal(await scr.needCheckpoint(), true);
    await scr.startOutput('b5', scr.FLAG_CHECKPOINT);
    writeFileSync(scr.routeFile(join(process.env.SCR_PREFIX!, `b5.r${w.rank}`)), bytesOf(5, w.rank));
    // A directory where rank 0's redundancy data goes: its encode fails (the ring still runs).
    if (w.rank === 0) mkdirSync(redDataPath(dir(id5), 0), { recursive: true });
    assert.equal(await scr.completeOutput(true), true, 'completeOutput returned before the encode');
    assert.equal((await recorded())[String(id5)]?.protected, false);
    assert.equal(await scr.shouldExit(), false); // settles b5: failed, deleted
    assert.equal((await recorded())[String(id5)], undefined, 'the failed dataset is deleted from the cache index');
    assert.ok(!existsSync(dir(id5)), 'and from cache');
    assert.equal((await recorded())[String(id4)]?.protected, true, 'b4 stays');
    assert.equal(await scr.haveRestart(), 'b4');
    await scr.startRestart();
    assert.ok(readFileSync(scr.routeFile(join(process.env.SCR_PREFIX!, `b4.r${w.rank}`))).equals(bytesOf(4, w.rank)));
    assert.equal(await scr.completeRestart(true), true);
    await scr.finalize();
  });
});
