// initStats(): where the last init() spent its time, by phase, on every rank. The phases must
// cover the whole call (they sum to its time) and name the steps a relaunch really takes.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as scr from '../../src/index.js';

const { mpi } = scr;
mpi.init();
const w = mpi.world;

function assertCovers(label: string, outside: number): void {
  const st = scr.initStats();
  assert.ok(st, `${label}: initStats() after init()`);
  const sum = st.phases.reduce((x, p) => x + p.seconds, 0);
  assert.ok(st.phases.every((p) => p.seconds > 0 && p.name.length > 0), `${label}: every phase named and timed`);
  assert.ok(new Set(st.phases.map((p) => p.name)).size === st.phases.length, `${label}: each phase once (re-entered phases add up)`);
  // The phases cover the call: their sum is its time, up to rounding.
  assert.ok(Math.abs(sum - st.seconds) <= 0.002 + 0.01 * st.seconds, `${label}: phases sum to ${sum} s, init took ${st.seconds} s`);
  // And the call as the application timed it from outside is no shorter than what was reported.
  assert.ok(st.seconds <= outside + 0.001, `${label}: ${st.seconds} s reported, ${outside} s seen by the caller`);
}

describe('initStats()', function () {
  let root: string;
  before(async () => {
    root = await w.bcastObject(w.rank === 0 ? mkdtempSync('/dev/shm/scr-initstats-') : '', 0);
    Object.assign(process.env, {
      SCR_PREFIX: join(root, 'prefix'), SCR_CACHE_BASE: join(root, 'cache'), SCR_CNTL_BASE: join(root, 'cntl'),
      SCR_JOB_ID: 'initstats', SCR_USER_NAME: 'u', SCR_SYSTEM_CONF: '/dev/null', SCR_NODE_NAME: `n${w.rank}`, SCR_MPI_BUF_SIZE: '4096',
      SCR_CACHE_SIZE: '2', SCR_FLUSH: '0', SCR_COPY_TYPE: w.size > 1 ? 'XOR' : 'SINGLE',
    });
    if (w.rank === 0) mkdirSync(join(root, 'prefix'));
    await w.barrier();
  });
  after(async () => {
    await w.barrier();
    if (w.rank === 0) rmSync(root, { recursive: true, force: true });
  });

  it('phases sum to the time of init(), on a first run and on a restart from cache', async () => {
    let t = performance.now();
    await scr.init();
    assertCovers('first init', (performance.now() - t) / 1000);
    const names = scr.initStats()!.phases.map((p) => p.name);
    for (const want of ['MPI start, arguments and configuration', 'directories and marks', 'agreement (collectives)']) assert.ok(names.includes(want), `first init: phase "${want}" in ${names.join(', ')}`);
    await scr.startOutput('ck', scr.FLAG_CHECKPOINT);
    writeFileSync(scr.routeFile(join(root, 'prefix', `f.${w.rank}`)), Buffer.alloc(10_000 + w.rank, w.rank));
    assert.equal(await scr.completeOutput(true), true);
    await scr.finalize();
    // The relaunch finds the checkpoint in cache: its scan, CRC checks and plan are phases.
    t = performance.now();
    await scr.init();
    assertCovers('restart', (performance.now() - t) / 1000);
    const again = scr.initStats()!.phases.map((p) => p.name);
    for (const want of ['cache scan: index and metadata reads', 'CRC checks (scan)', 'plan', 'metadata writes']) assert.ok(again.includes(want), `restart: phase "${want}" in ${again.join(', ')}`);
    assert.equal(await scr.haveRestart(), 'ck');
    await scr.finalize();
  });
});
