// The file-system side (issue 5) with whole jobs on simulated nodes: flush, fetch after every
// cache is gone, fallback from a corrupted checkpoint, retention, current/drop/delete, outputs.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readIndex, readRankMap } from '../../src/pfs/index.js';
import { killByEnv } from '../../src/rm/sim.js';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { flavoursBuilt, mpirunFor } from '../harness/launch.js';
import { cleanup, newSimJob, rankLines, runOnNodes, type SimJob } from '../harness/sim.js';
import { mkdirSync } from 'node:fs';

const fixtures = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures');
const app = join(fixtures, 'ckpt-app.js');
const ops = join(fixtures, 'pfs-ops.js');
interface Line { rank: number; restored: string | null; verified: boolean; wrote: number }
interface OpsLine { rank: number; error: string | null; restart: string | null }
const flavour = flavoursBuilt()[0]!;
const nodes = ['n0', 'n1', 'n2'];

function wipeCaches(job: SimJob): void {
  rmSync(job.cache, { recursive: true, force: true });
  rmSync(job.cntl, { recursive: true, force: true });
}

describe(`the parallel file system side (${flavour})`, function () {
  this.timeout(180_000);
  let job: SimJob;
  const start = (env: Record<string, string> = {}) => {
    job = newSimJob('pfs', { SCR_FLUSH: '1', SCR_COPY_TYPE: 'XOR', ...env });
    mkdirSync(job.prefix, { recursive: true });
  };
  const ckpts = (n: number, extra: Record<string, string> = {}) => runOnNodes(flavour, job, nodes, [app, '--ckpts', String(n), '--files', '3'], extra);
  afterEach(() => cleanup(job));

  it('flushes each checkpoint (files at their paths, index, rank map, log), and after every cache is lost a restart fetches the newest', async () => {
    start();
    let r = await ckpts(2);
    assert.equal(r.code, 0, r.stderr);
    const idx = await readIndex(job.prefix);
    assert.equal(idx.current, 'ckpt.2');
    assert.deepEqual(Object.values(idx.datasets).map((e) => [e.name, e.complete, e.flushed, e.failed, e.ranks]), [['ckpt.1', true, true, false, 3], ['ckpt.2', true, true, false, 3]]);
    assert.ok(existsSync(join(job.prefix, 'ckpt.2', 'rank2.file2.dat')));
    const map = (await readRankMap(job.prefix, 2))!;
    assert.equal(map.ranks.length, 3);
    assert.ok(map.ranks.every((files) => files.length === 3 && files.every((f) => typeof f.crc === 'number')));
    wipeCaches(job);
    r = await ckpts(3);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(rankLines<Line>(r).map((l) => [l.restored, l.verified, l.wrote]), nodes.map(() => ['ckpt.2', true, 1]));
    const log = readFileSync(join(job.prefix, '.scr', 'log'), 'utf8');
    assert.match(log, /FLUSH name=ckpt\.1 id=1 bytes=\d+ seconds=[\d.]+ MiB\/s=/);
    assert.match(log, /FETCH name=ckpt\.2 id=2/);
    assert.match(log, /RESTART name=ckpt\.2 id=2/);
  });

  it('a corrupted byte in the newest flushed checkpoint: the fetch falls back to the older one and marks the newest failed', async () => {
    start();
    assert.equal((await ckpts(2)).code, 0);
    const victim = join(job.prefix, 'ckpt.2', 'rank1.file0.dat');
    const data = readFileSync(victim);
    data[100] ^= 0x5a;
    writeFileSync(victim, data);
    wipeCaches(job);
    const r = await ckpts(2);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(rankLines<Line>(r).map((l) => [l.restored, l.verified]), nodes.map(() => ['ckpt.1', true]));
    assert.match(r.stderr, /fetching ckpt\.2 failed on rank 1: .*rank1\.file0\.dat has CRC32 \w+, but \w+ was recorded when it was flushed: the file is damaged; marking ckpt\.2 failed/);
    const idx = await readIndex(job.prefix);
    assert.equal(Object.values(idx.datasets).find((e) => e.id === 2)!.failed, true);
  });

  it('SCR_CURRENT picks the checkpoint to fetch; the log has start and end lines', async () => {
    start();
    assert.equal((await ckpts(3)).code, 0);
    wipeCaches(job);
    const r = await ckpts(3, { SCR_CURRENT: 'ckpt.1' });
    assert.deepEqual(rankLines<Line>(r).map((l) => [l.restored, l.verified, l.wrote]), nodes.map(() => ['ckpt.1', true, 2]));
    const log = readFileSync(join(job.prefix, '.scr', 'log'), 'utf8');
    assert.match(log, /START name=ckpt\.2 id=\d+ flags=C\n.*CHECKPOINT name=ckpt\.2/);
  });

  it('SCR_FETCH=0 never fetches; SCR_FETCH_BYPASS=1 reads the checkpoint where it is', async () => {
    start();
    assert.equal((await ckpts(1)).code, 0);
    wipeCaches(job);
    let r = await ckpts(1, { SCR_FETCH: '0' });
    assert.ok(rankLines<Line>(r).every((l) => l.restored === null));
    wipeCaches(job);
    r = await ckpts(2, { SCR_FETCH_BYPASS: '1' });
    assert.deepEqual(rankLines<Line>(r).map((l) => [l.restored, l.verified]), nodes.map(() => ['ckpt.1', true]));
    // The log's values with blanks are JSON strings, so every field stays key=value.
    assert.match(readFileSync(join(job.prefix, '.scr', 'log'), 'utf8'), /FETCH name=ckpt\.1 id=\d+ bytes=\d+ seconds=[\d.]+ where="in place" MiB\/s=/);
  });

  it('SCR_PREFIX_SIZE=2 keeps the newest two checkpoints on the file system, deleting older files and directories', async () => {
    start({ SCR_PREFIX_SIZE: '2' });
    assert.equal((await ckpts(4)).code, 0);
    const idx = await readIndex(job.prefix);
    assert.deepEqual(Object.values(idx.datasets).map((e) => e.name).sort(), ['ckpt.3', 'ckpt.4']);
    assert.deepEqual(readdirSync(job.prefix).filter((d) => d.startsWith('ckpt.')).sort(), ['ckpt.3', 'ckpt.4']);
  });

  it('current() chooses the restart point, drop() forgets a dataset, delete() removes it everywhere; outputs are flushed at once', async () => {
    start();
    assert.equal((await ckpts(3)).code, 0);
    wipeCaches(job);
    let r = await runOnNodes(flavour, job, nodes, [ops, '--current', 'ckpt.1']);
    assert.deepEqual(rankLines<OpsLine>(r)[0], { rank: 0, error: null, restart: 'ckpt.1' }, r.stdout + r.stderr);
    r = await runOnNodes(flavour, job, nodes, [ops, '--current', 'ckpt.9']);
    assert.match(rankLines<OpsLine>(r)[0]!.error!, /ERR_SCR_ARGUMENT: current\(ckpt\.9\): no checkpoint of that name/);
    r = await runOnNodes(flavour, job, nodes, [ops, '--drop', 'ckpt.3']);
    assert.equal(rankLines<OpsLine>(r)[0]!.error, null);
    assert.ok(existsSync(join(job.prefix, 'ckpt.3', 'rank0.file0.dat')), 'drop leaves the files');
    r = await runOnNodes(flavour, job, nodes, [ops, '--delete', 'ckpt.2']);
    assert.equal(rankLines<OpsLine>(r)[0]!.error, null);
    assert.ok(!existsSync(join(job.prefix, 'ckpt.2')), 'delete removes files and the emptied directory');
    const idx = await readIndex(job.prefix);
    assert.deepEqual(Object.values(idx.datasets).map((e) => e.name), ['ckpt.1']);
    r = await runOnNodes(flavour, job, nodes, [ops, '--output', 'final-results']);
    assert.equal(rankLines<OpsLine>(r)[0]!.error, null);
    assert.equal(readFileSync(join(job.prefix, 'results', 'out.2.txt'), 'utf8'), 'result of rank 2\n');
    const out = Object.values((await readIndex(job.prefix)).datasets).find((e) => e.name === 'final-results')!;
    assert.deepEqual([out.flags.output, out.flushed, out.complete], [true, true, true]);
  });
});

describe(`asynchronous flush (${flavour})`, function () {
  this.timeout(180_000);
  let job: SimJob;
  afterEach(() => cleanup(job));
  const start = () => {
    job = newSimJob('async', { SCR_FLUSH: '1', SCR_FLUSH_ASYNC: '1', SCR_COPY_TYPE: 'XOR' });
    mkdirSync(job.prefix, { recursive: true });
  };
  const dieApp = join(fixtures, 'async-die.js');

  it('copies in the background and records every flush by finalize', async () => {
    start();
    const r = await runOnNodes(flavour, job, nodes, [app, '--ckpts', '3', '--files', '3']);
    assert.equal(r.code, 0, r.stderr);
    const idx = await readIndex(job.prefix);
    assert.deepEqual(Object.values(idx.datasets).map((e) => [e.name, e.flushed]), [['ckpt.1', true], ['ckpt.2', true], ['ckpt.3', true]]);
    assert.equal(idx.current, 'ckpt.3');
  });

  it('a job killed after its copies finished: the next run completes the flush from the markers and restarts from it (SCR loses it)', async () => {
    start();
    const r = await runOnNodes(flavour, job, nodes, [dieApp]);
    assert.notEqual(r.code, 0, 'the job was killed');
    let idx = await readIndex(job.prefix);
    assert.equal(idx.datasets['1']!.flushed, false, 'the index never claims a flush that was not recorded');
    assert.deepEqual(readdirSync(join(job.prefix, '.scr', 'scr.dataset.1')).filter((f) => f.startsWith('flushed.')).sort(), ['flushed.0.scr', 'flushed.1.scr', 'flushed.2.scr']);
    wipeCaches(job);
    const again = await runOnNodes(flavour, job, nodes, [app, '--ckpts', '2', '--files', '2']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /completed the flush of ckpt\.1, which the previous run copied but did not finish/);
    assert.deepEqual(rankLines<Line>(again).map((l) => [l.restored, l.verified]), nodes.map(() => ['ckpt.1', true]));
    idx = await readIndex(job.prefix);
    assert.equal(idx.datasets['1']!.flushed, true);
  });

  it('a killed job with one rank\'s copy unfinished (no marker): the dataset stays unflushed and is never fetched', async () => {
    start();
    await runOnNodes(flavour, job, nodes, [dieApp]);
    rmSync(join(job.prefix, '.scr', 'scr.dataset.1', 'flushed.1.scr'));
    wipeCaches(job);
    const again = await runOnNodes(flavour, job, nodes, [app, '--ckpts', '1', '--files', '2']);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(rankLines<Line>(again).every((l) => l.restored === null), 'nothing to restart from');
    // The unfinished flush is said, and forgotten: its entry and its staged copies are gone.
    assert.match(again.stderr, /an earlier run's flush of ckpt\.1 did not finish \(rank 1 did not confirm its copies\): it never became a checkpoint on the file system, its partial copies were removed/);
    // The index holds one ckpt.1: the one this run wrote anew, not the unfinished one.
    assert.equal(Object.values((await readIndex(job.prefix)).datasets).filter((e) => e.name === 'ckpt.1').length, 1);
    assert.deepEqual(readdirSync(join(job.prefix, 'ckpt.1')).filter((f) => f.endsWith('.part')), []);
  });
});

describe(`restart with another number of ranks (${flavour})`, function () {
  this.timeout(180_000);
  let job: SimJob;
  afterEach(() => cleanup(job));
  const redistribute = join(fixtures, 'redistribute.js');
  interface R { rank: number; size: number; restartedFrom: string | null; verified: boolean | null; wrote: string }
  const onNodes = (n: number) => Array.from({ length: n }, (_, i) => `n${i}`);

  for (const [from, to] of [[4, 2], [2, 4]] as const) {
    it(`${from} → ${to} ranks: the newest flushed checkpoint is offered and every rank reads the old ranks' files it needs, in place`, async () => {
      job = newSimJob('ntom', { SCR_FLUSH: '1', SCR_COPY_TYPE: 'XOR' });
      mkdirSync(job.prefix, { recursive: true });
      let r = await runOnNodes(flavour, job, onNodes(from), [redistribute]);
      assert.equal(r.code, 0, r.stderr);
      r = await runOnNodes(flavour, job, onNodes(to), [redistribute]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(rankLines<R>(r)[0], { rank: 0, size: to, restartedFrom: 'ckpt.1', verified: true, wrote: 'ckpt.2' });
      assert.match(r.stderr, new RegExp(`ckpt\\.1, the newest checkpoint, was written by ${from} ranks and this run has ${to}: it cannot be restored from cache, so it is read from the file system`));
      assert.match(readFileSync(join(job.prefix, '.scr', 'log'), 'utf8'), new RegExp(`FETCH name=ckpt\\.1 id=1 .*ranks=${from}->${to}`));
      // And back again: the new checkpoint was written by `to` ranks.
      r = await runOnNodes(flavour, job, onNodes(from), [redistribute]);
      assert.deepEqual(rankLines<R>(r)[0], { rank: 0, size: from, restartedFrom: 'ckpt.2', verified: true, wrote: 'ckpt.3' });
    });
  }
});

describe(`a job killed during a synchronous flush (${flavour})`, function () {
  this.timeout(180_000);
  let job: SimJob;
  let pfsDir: string;
  afterEach(() => { cleanup(job); rmSync(pfsDir, { recursive: true, force: true }); });

  it('the index never claims the interrupted dataset, and a restart falls back to the last one fully flushed', async () => {
    // The prefix on /tmp (ext4): flushing 3 x 120 MiB takes long enough to be caught half way.
    pfsDir = mkdtempSync(join('/tmp', 'scr-killflush-'));
    job = newSimJob('killflush', { SCR_PREFIX: pfsDir, SCR_FLUSH: '1', SCR_COPY_TYPE: 'XOR', SCR_CRC_ON_COPY: '0' });
    job.prefix = pfsDir;
    const { cmd, env } = mpirunFor(flavour);
    const args: string[] = [];
    nodes.forEach((n, i) => { if (i) args.push(':'); args.push('-np', '1', 'env', `SCR_NODE_NAME=${n}`, process.execPath, app, '--ckpts', '2', '--files', '1', '--bytes', String(120 << 20)); });
    const child = spawn(cmd, args, { env: { ...process.env, ...env, ...job.env }, stdio: 'ignore', detached: true });
    const exited = new Promise((r) => child.on('close', r));
    // Wait until checkpoint 2 is being flushed (in the index, not yet flushed), then kill the job.
    let caught = false;
    for (let t = 0; t < 6000 && !caught; t++) {
      const e = (await readIndex(pfsDir).catch(() => ({ datasets: {} as Record<string, { flushed: boolean }> }))).datasets['2'];
      if (e && !e.flushed) {
        // The ranks are not all in mpirun's process group: kill every process of this job.
        killByEnv([`SCR_JOB_ID=${job.jobId}`]);
        process.kill(-child.pid!, 'SIGKILL');
        caught = true;
      }
      else await new Promise((r) => setTimeout(r, 10));
    }
    await exited;
    assert.ok(caught, 'the flush of checkpoint 2 was caught half way');
    const idx = await readIndex(pfsDir);
    assert.equal(idx.datasets['2']!.flushed, false, 'not claimed as flushed');
    assert.equal(idx.datasets['1']!.flushed, true);
    wipeCaches(job);
    const r = await runOnNodes(flavour, job, nodes, [app, '--ckpts', '2', '--files', '1', '--bytes', String(120 << 20)]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(rankLines<Line>(r).map((l) => [l.restored, l.verified]), nodes.map(() => ['ckpt.1', true]));
  });
});
