// scr clean on this node (src/cache/stale-jobs.ts): a job whose in-use mark's process is gone is
// stale and removed (--dry-run lists it with its size); a live mark keeps a job; a Slurm job id that
// squeue cannot be asked about is kept; another user's directory, and a symlinked user directory,
// are never touched; a symlink inside is removed as a link, its target stays. scr prerun reports
// and, with SCR_CLEAN_STALE=1, cleans; scr sim removes its nodes' caches when it ends (--keep keeps).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCacheIndex } from '../../../src/cache/records.js';
import { updateIndex } from '../../../src/pfs/index.js';
import { cleanEnv, scr } from '../../harness/cli.js';
import { skipBecause } from '../../harness/skip.js';

const heat = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'examples', 'heat.js');
const USER = 'tester';

describe('scr clean, and stale caches in scr prerun and scr sim', function () {
  this.timeout(120_000);
  let dir: string;
  const env = (extra: Record<string, string> = {}) => cleanEnv({ SCR_PREFIX: join(dir, 'p'), SCR_CACHE_BASE: join(dir, 'c'), SCR_CNTL_BASE: join(dir, 'k'),
    SCR_SYSTEM_CONF: '/dev/null', SCR_COPY_TYPE: 'SINGLE', SCR_FLUSH: '0', SCR_NODE_NAME: 'here', SCR_USER_NAME: USER, SCR_JOB_ID: 'current1', ...extra });
  /** A job's control and cache directories on node `here`, with `bytes` in the cache; `mark`: an in-use mark of that pid. */
  function job(id: string, bytes: number, mark?: number): void {
    const cntl = join(dir, 'k', USER, `scr.${id}`, 'node.here');
    const cache = join(dir, 'c', USER, `scr.${id}`, 'node.here', 'scr.dataset.1');
    mkdirSync(cntl, { recursive: true });
    mkdirSync(cache, { recursive: true });
    writeFileSync(join(cache, 'rank0.dat'), Buffer.alloc(bytes, 7));
    if (mark !== undefined) writeFileSync(join(cntl, 'inuse.json'), JSON.stringify({ pid: mark, start: null, host: hostname(), prefix: join(dir, 'p'), at: Date.now() }));
  }
  const has = (id: string) => existsSync(join(dir, 'c', USER, `scr.${id}`)) || existsSync(join(dir, 'k', USER, `scr.${id}`));
  let sleeper: ReturnType<typeof spawn> | undefined;
  beforeEach(() => { dir = mkdtempSync('/dev/shm/scr-cleantest-'); mkdirSync(join(dir, 'p')); });
  afterEach(() => { sleeper?.kill('SIGKILL'); sleeper = undefined; rmSync(dir, { recursive: true, force: true }); });

  /** A pid that is surely gone: a child that has exited and been reaped. */
  async function deadPid(): Promise<number> {
    const c = spawn('true');
    await new Promise((r) => c.on('close', r));
    return c.pid!;
  }

  it('--dry-run lists an ended job with its size and removes nothing; without it the ended job goes and a running one stays', async () => {
    sleeper = spawn('sleep', ['60']);
    job('simdead', 300_000, await deadPid());
    job('nojob-abc', 1000);
    job('simlive', 5000, sleeper.pid!);
    job('current1', 10);
    let r = scr(['clean', '--dry-run'], { env: env(), cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^would remove job simdead: 293\\.\\d KiB \\(no live in-use mark: no process of it runs\\): ${dir}/k/${USER}/scr\\.simdead \\[SCR_CNTL_BASE\\], ${dir}/c/${USER}/scr\\.simdead \\[SCR_CACHE_BASE\\]$`, 'm'));
    assert.match(r.stdout, /^would remove job nojob-abc: /m);
    assert.match(r.stdout, new RegExp(`^kept job simlive: .*in use by process ${sleeper.pid} on `, 'm'));
    assert.match(r.stdout, /^kept job current1: .*\(the current job\)$/m);
    assert.match(r.stdout, /^would remove 2 ended job\(s\), 294\.\d KiB; kept 2 running job\(s\)$/m);
    assert.ok(has('simdead') && has('nojob-abc'), 'a dry run removes nothing');
    r = scr(['clean', '--json'], { env: env(), cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout);
    assert.deepEqual(rep.stale.map((s: { jobId: string }) => s.jobId).sort(), ['nojob-abc', 'simdead']);
    const bytes = rep.stale.find((s: { jobId: string }) => s.jobId === 'simdead').bytes as number;
    assert.ok(bytes >= 300_000 && bytes < 300_200, `${bytes}: the cached file and the in-use mark`);
    assert.deepEqual(rep.kept.map((s: { jobId: string }) => s.jobId).sort(), ['current1', 'simlive']);
    assert.ok(!has('simdead') && !has('nojob-abc'), 'the ended jobs are gone');
    assert.ok(has('simlive') && has('current1'), 'the running jobs stay');
  });

  it('an ended job whose cache holds a checkpoint newer than the newest on its prefix\'s file system is kept and named; --force removes it', async () => {
    const prefix = join(dir, 'p');
    const record = (id: number) => ({ id, name: `ckpt.${id}`, flags: { checkpoint: true, output: false }, created: Date.now(), store: join(dir, 'c'),
      descriptor: 0, ranks: 1, complete: true, bytes: 1000, files: 1, prefix });
    // ended1's cache holds ckpt.3, newer than anything on the file system; ended2's holds ckpt.1, which is flushed.
    job('ended1', 1000, await deadPid());
    await writeCacheIndex(join(dir, 'k', USER, 'scr.ended1', 'node.here'), { datasets: { 3: record(3) } });
    job('ended2', 1000, await deadPid());
    await writeCacheIndex(join(dir, 'k', USER, 'scr.ended2', 'node.here'), { datasets: { 1: record(1) } });
    mkdirSync(join(prefix, '.scr'), { recursive: true });
    await updateIndex(prefix, (idx) => {
      idx.datasets['1'] = { id: 1, name: 'ckpt.1', flags: { checkpoint: true, output: false }, created: Date.now(), ranks: 1, complete: true, flushed: true, failed: false, bytes: 1000, files: 1 };
    }, () => undefined);
    let r = scr(['clean'], { env: env(), cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^kept job ended1: .*its cache holds ckpt\\.3 \\(id 3, prefix ${prefix}\\), not on the file system: save it with scr postrun --job-id ended1 .*or remove it anyway with scr clean --force\\)$`, 'm'));
    assert.match(r.stdout, /^removed 1 ended job\(s\), .*; kept 1 ended job\(s\) holding a checkpoint not on the file system$/m);
    assert.match(r.stdout, /^removed job ended2: /m, 'its checkpoint is on the file system: nothing is lost');
    assert.ok(has('ended1') && !has('ended2'));
    r = scr(['clean', '--force'], { env: env(), cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^removed job ended1: /m);
    assert.ok(!has('ended1'));
  });

  it('outside an allocation, the prefix\'s own nojob-… id is the current job: kept', () => {
    const e = env();
    delete e.SCR_JOB_ID;
    const id = scr(['env', '--jobid'], { env: e, cwd: dir }).stdout.trim();
    assert.match(id, /^nojob-[0-9a-f]{10}$/);
    job(id, 100);
    job('nojob-0123456789', 100);
    const r = scr(['clean'], { env: e, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^kept job ${id}: 100 B \\(the current job\\)$`, 'm'));
    assert.match(r.stdout, /^removed job nojob-0123456789: /m);
    assert.ok(has(id) && !has('nojob-0123456789'));
  });

  it('a Slurm job id is kept when squeue cannot be asked (not installed here: PATH without it; nor any other manager\'s queue owning digits)', () => {
    job('4242', 100);
    const r = scr(['clean'], { env: env({ PATH: join(dir, 'nobin') }), cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    // Digits are Slurm's ids, and LSF's and Grid Engine's too: every such manager's queue is named.
    assert.match(r.stdout, /^kept job 4242: 100 B \(a Slurm(, [\w ]+)*( or [\w ]+)? job id, but (squeue is not|none of squeue(, \w+)+ is) available to ask: kept\)$/m);
    assert.ok(has('4242'));
  });

  it('never touches another user\'s directories, nor follows a symlinked user directory; a link inside is removed, not its target', function () {
    if (process.getuid?.() !== 0) skipBecause(this, 'chown to another user needs root');
    job('simother', 100);
    chownSync(join(dir, 'c', USER, 'scr.simother', 'node.here', 'scr.dataset.1', 'rank0.dat'), 65534, 65534);
    job('simlink', 100);
    const outside = join(dir, 'outside.dat');
    writeFileSync(outside, 'keep me');
    symlinkSync(outside, join(dir, 'c', USER, 'scr.simlink', 'node.here', 'link'));
    // A second store whose user directory is a symlink to somewhere else.
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(join(elsewhere, 'scr.simfar'), { recursive: true });
    mkdirSync(join(dir, 's2'));
    symlinkSync(elsewhere, join(dir, 's2', USER));
    writeFileSync(join(dir, 'scr.conf'), `STORE=${join(dir, 's2')}\n`);
    const r = scr(['clean'], { env: env({ SCR_CONF_FILE: join(dir, 'scr.conf') }), cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^left alone ${dir}/c/${USER}/scr\\.simother: .*belongs to uid 65534: not this user's, left alone$`, 'm'));
    assert.ok(has('simother'));
    assert.ok(!has('simlink'));
    assert.ok(existsSync(outside), 'the symlink\'s target stays');
    assert.match(r.stdout, new RegExp(`^left alone ${dir}/s2/${USER}: not a real directory \\(STORE=.*\\): not followed$`, 'm'));
    assert.ok(existsSync(join(elsewhere, 'scr.simfar')));
  });

  it('scr prerun reports ended jobs\' directories; with SCR_CLEAN_STALE=1 it removes them', async () => {
    job('simold', 2048, await deadPid());
    let r = scr(['prerun'], { env: env(), cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^scr prerun: here: would remove job simold: 2\.\d KiB /m);
    assert.match(r.stdout, /^scr prerun: to remove the directories of ended jobs, run scr clean on those nodes, or set SCR_CLEAN_STALE=1 for scr prerun$/m);
    assert.ok(has('simold'));
    r = scr(['prerun'], { env: env({ SCR_CLEAN_STALE: '1' }), cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^scr prerun: here: removed job simold: 2\.\d KiB /m);
    assert.match(r.stdout, /^scr prerun: 1 of 1 node\(s\) usable: here; .* ready$/m);
    assert.ok(!has('simold'));
    assert.ok(has('current1'), 'its own job\'s directories stay');
  });

  it('scr sim removes its nodes\' caches when it ends (after the scavenge) and says so; --keep keeps them', () => {
    const args = ['sim', '--nodes', '2', '--ppn', '1', '--', 'node', heat, '--steps', '10', '--every', '5', '--cells', '1000'];
    let r = scr(args, { env: env({ SCR_JOB_ID: 'simA' }), cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /postrun: scavenged heat\.10|already on the file system|nothing to scavenge/);
    assert.match(r.stdout, new RegExp(`^scr sim: removed the simulated nodes' cache and control directories \\(.*\\): ${dir}/k/${USER}/scr\\.simA, ${dir}/c/${USER}/scr\\.simA; --keep keeps them$`, 'm'));
    assert.ok(!has('simA'));
    r = scr([...args.slice(0, 1), '--keep', ...args.slice(1)], { env: env({ SCR_JOB_ID: 'simB' }), cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^scr sim: kept the simulated nodes' cache and control directories \(--keep\): /m);
    assert.ok(readdirSync(join(dir, 'c', USER, 'scr.simB')).length > 0);
    // Its in-use mark went with it: scr clean now sees an ended job.
    r = scr(['clean', '--dry-run'], { env: env(), cwd: dir });
    assert.match(r.stdout, /^would remove job simB: /m);
  });
});
