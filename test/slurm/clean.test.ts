// scr clean and SCR_CLEAN_STALE=1 scr prerun on a real Slurm (3 fake nodes with node-local
// directories, test/harness/slurm.ts): a finished job's cache and control directories are removed
// from every node it ran on, a running job's are kept (squeue lists it), and once that job is
// cancelled, scr clean removes its directories too.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { jobState, sbatch, type SlurmCluster, slurmOrSkip, waitJob } from '../harness/slurm.js';
import { cleanEnv, scr } from '../harness/cli.js';

const root = join(import.meta.dirname, '..', '..', '..');
const SCR = `${process.execPath} ${join(root, 'dist', 'src', 'cli', 'main.js')}`;
const USER = userInfo().username;
const ended = (s: string) => !/PENDING|RUNNING|CONFIGURING|COMPLETING/.test(s);

describe('scr clean on real Slurm (3 fake nodes)', function () {
  this.timeout(240_000);
  let c: SlurmCluster;

  before(async function () {
    c = await slurmOrSkip(this, 3, false);
  });
  after(async () => { await c?.stop(); });

  /** The same cache and control bases for every job: node-local, under the fixture's local dir. */
  const bases = (local: string) => ({ SCR_CACHE_BASE: `${local}/cl/cache`, SCR_CNTL_BASE: `${local}/cl/cntl` });
  const script = (name: string, body: string) => {
    const prefix = join(c.dir, name, 'prefix');
    mkdirSync(prefix, { recursive: true });
    const b = bases(c.local);
    return [
      '#!/bin/bash',
      `export SCR_PREFIX=${prefix} SCR_CACHE_BASE=${b.SCR_CACHE_BASE} SCR_CNTL_BASE=${b.SCR_CNTL_BASE} SCR_SYSTEM_CONF=/dev/null SCR_USER_NAME=${USER}`,
      body, '',
    ].join('\n');
  };
  /** Whether job `id`'s cache (or control) directory is on `node`. */
  const onNode = (node: string, id: string, kind: 'cache' | 'cntl' = 'cache') => existsSync(join(c.localOf(node), 'cl', kind, USER, `scr.${id}`));
  /** scr clean run here on `node`'s node-local directory, asking the fixture's squeue. */
  const cleanOn = (node: string, args: string[]) => {
    const r = scr(['clean', '--json', ...args], { env: cleanEnv({ ...c.env, ...bases(c.localOf(node)), SCR_SYSTEM_CONF: '/dev/null', SCR_USER_NAME: USER, SCR_PREFIX: c.dir }) });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    return JSON.parse(r.stdout) as { stale: Array<{ jobId: string; bytes: number }>; kept: Array<{ jobId: string; why: string }> };
  };

  it('a finished job\'s directories are cleaned on every node, a running job\'s are kept; after scancel they go too', async () => {
    // Job A runs prerun (which makes each node's directories) and leaves 200 kB in each node's cache.
    const logA = join(c.dir, 'a.log');
    const a = sbatch(c, script('a', [
      `${SCR} prerun`,
      `srun -N 2 --ntasks-per-node=1 sh -c 'head -c 200000 /dev/zero > "$0/${USER}/scr.$SLURM_JOB_ID/node.$SLURMD_NODENAME/data"' ${c.local}/cl/cache`,
    ].join('\n')), ['-N', '2', '-w', 'n[1-2]', '-o', logA]);
    assert.equal(await waitJob(c, a, ended, 60_000), 'COMPLETED', readFileSync(logA, 'utf8'));
    for (const n of ['n1', 'n2']) assert.ok(onNode(n, a) && onNode(n, a, 'cntl'), `job ${a} left its directories on ${n}`);

    // Job B keeps running on n2.
    const logB = join(c.dir, 'b.log');
    const b = sbatch(c, script('b', `${SCR} prerun\necho B-ready\nsleep 600`), ['-N', '1', '-n', '1', '-w', 'n2', '-o', logB]);
    await waitJob(c, b, (s) => s === 'RUNNING', 60_000);
    for (let end = Date.now() + 30_000; !(existsSync(logB) && readFileSync(logB, 'utf8').includes('B-ready'));) {
      if (Date.now() > end) throw new Error(`job B did not get ready: ${existsSync(logB) ? readFileSync(logB, 'utf8') : ''}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(onNode('n2', b));

    // Looking at n2 from here: A has ended, B runs (squeue lists it).
    const dry = cleanOn('n2', ['--dry-run']);
    assert.deepEqual(dry.stale.map((s) => s.jobId), [a]);
    assert.ok(dry.stale[0]!.bytes >= 200_000, JSON.stringify(dry.stale));
    assert.deepEqual(dry.kept.map((k) => [k.jobId, k.why]), [[b, 'squeue lists it']]);
    assert.ok(onNode('n2', a), 'a dry run removes nothing');

    // Job C's prerun with SCR_CLEAN_STALE=1 cleans every node it runs on.
    const logC = join(c.dir, 'c.log');
    const cj = sbatch(c, script('c', `export SCR_CLEAN_STALE=1\n${SCR} prerun; echo "prerun exit $?"`), ['-N', '3', '-n', '3', '-o', logC]);
    assert.equal(await waitJob(c, cj, ended, 90_000), 'COMPLETED');
    const out = readFileSync(logC, 'utf8');
    assert.match(out, new RegExp(`^scr prerun: n1: removed job ${a}: .*KiB \\(squeue does not list it: the job has ended\\)`, 'm'), out);
    assert.match(out, new RegExp(`^scr prerun: n2: removed job ${a}: `, 'm'), out);
    assert.doesNotMatch(out, new RegExp(`removed job ${b}\\b`), out);
    assert.match(out, /^scr prerun: 3 of 3 node\(s\) usable: n\[1-3\]; .* ready$/m);
    assert.match(out, /^prerun exit 0$/m);
    for (const n of ['n1', 'n2']) assert.ok(!onNode(n, a) && !onNode(n, a, 'cntl'), `job ${a}'s directories are gone from ${n}`);
    assert.ok(onNode('n2', b) && onNode('n2', b, 'cntl'), 'the running job\'s directories stay');
    assert.equal(jobState(c, b), 'RUNNING');

    // Once B is cancelled, it has ended: scr clean removes its directories.
    c.cmd('scancel', [b]);
    await waitJob(c, b, ended, 60_000);
    for (let end = Date.now() + 30_000; c.cmd('squeue', ['-h', '-o', '%A']).split('\n').includes(b);) {
      if (Date.now() > end) throw new Error(`squeue still lists job ${b}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const done = cleanOn('n2', []);
    assert.ok(done.stale.some((s) => s.jobId === b), JSON.stringify(done));
    assert.ok(!onNode('n2', b) && !onNode('n2', b, 'cntl'));
  });
});
