// What an earlier job left in the halt file, when a new job starts (src/halt/stale.ts): the
// finalize marker records its job id; a run wrapper of another job id announces and clears it, one
// of the same job id does not launch again; a halt condition that already holds is announced with
// the command that clears it, and the job is not launched; scr prerun announces; scr should-exit
// ignores another job's marker. Real `scr sim` runs of the heat example.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { announce, leftOver, readHalt, startJob, updateHalt } from '../../../src/halt/index.js';
import { cleanEnv, scr } from '../../harness/cli.js';

const heat = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'examples', 'heat.js');

describe('halt markers and conditions left by an earlier job', function () {
  this.timeout(120_000);
  let dir: string;
  let prefix: string;
  const env = (extra: Record<string, string> = {}) => cleanEnv({ SCR_PREFIX: prefix, SCR_CACHE_BASE: join(dir, 'c'), SCR_CNTL_BASE: join(dir, 'k'),
    SCR_SYSTEM_CONF: '/dev/null', SCR_COPY_TYPE: 'SINGLE', SCR_FLUSH: '0', SCR_NODE_NAME: 'here', ...extra });
  const sim = (job: string, steps = 10) => scr(['sim', '--nodes', '1', '--ppn', '1', '--', 'node', heat, '--steps', String(steps), '--every', '5', '--cells', '1000'],
    { env: env({ SCR_JOB_ID: job }), cwd: dir });
  beforeEach(() => { dir = mkdtempSync('/dev/shm/scr-stalehalt-'); prefix = join(dir, 'p'); mkdirSync(prefix); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('leftOver/announce: another job\'s marker, a marker without a job id, this job\'s marker, holding and pending conditions', async () => {
    await updateHalt(prefix, () => ({ finalized: true, finalizedJob: '100' }));
    let l = await leftOver(prefix, '101', 0);
    assert.deepEqual(l.finalized, { job: '100', thisJob: false });
    assert.match(announce(l, prefix, '101', true).join('\n'), /holds the "finalize was called" marker of job 100, an earlier job: it does not stop job 101; cleared/);
    l = await leftOver(prefix, '100', 0);
    assert.deepEqual(l.finalized, { job: '100', thisJob: true });
    assert.match(announce(l, prefix, '100', false).join('\n'), new RegExp(`job 100 already finished in this prefix .* to run it again, clear the marker: scr halt --remove --prefix ${prefix}`));
    // A halt file written before the job id was recorded: an earlier job's.
    await updateHalt(prefix, () => ({ finalized: true, reason: 'maintenance', checkpointsLeft: 4, exitAfter: Math.floor(Date.now() / 1000) - 60 }));
    l = await leftOver(prefix, '101', 0);
    assert.deepEqual(l.finalized, { job: null, thisJob: false });
    const lines = announce(l, prefix, '101', false);
    assert.ok(lines.some((x) => /marker of an earlier job \(its id was not recorded\)/.test(x)), lines.join('\n'));
    assert.ok(lines.some((x) => x.includes('holds: halt requested: maintenance') && x.includes(`Clear it: scr halt --unset-reason --prefix ${prefix}`)), lines.join('\n'));
    assert.ok(lines.some((x) => /holds: exit-after time \S+ passed/.test(x) && x.includes('scr halt --unset-after')), lines.join('\n'));
    assert.ok(lines.some((x) => /^note: a halt condition is set in .*: halt after 4 more checkpoint\(s\) \(clear it: scr halt --unset-checkpoints/.test(x)), lines.join('\n'));
    assert.ok(lines.some((x) => x === `clear every condition at once: scr halt --remove --prefix ${prefix}`), lines.join('\n'));
  });

  it('startJob clears only another job\'s marker (under the lock), and stops for this job\'s marker or a holding condition', async () => {
    const said: string[] = [];
    await updateHalt(prefix, () => ({ finalized: true, finalizedJob: '7', checkpointNow: 2 }));
    assert.equal(await startJob(prefix, '8', 0, (s) => said.push(s)), null);
    assert.deepEqual(await readHalt(prefix), { checkpointNow: 2 }, 'the marker and its job id are gone, the counter stays');
    assert.equal(said.length, 1);
    await updateHalt(prefix, (h) => ({ ...h, finalized: true, finalizedJob: '8' }));
    assert.deepEqual(await startJob(prefix, '8', 0, () => undefined), { finalized: true, reason: 'finalize was called: the job finished' });
    assert.equal((await readHalt(prefix)).finalizedJob, '8', 'this job\'s marker stays');
    await updateHalt(prefix, () => ({ checkpointsLeft: 0 }));
    assert.deepEqual(await startJob(prefix, '9', 0, () => undefined), { finalized: false, reason: 'checkpoints left reached 0' });
    await updateHalt(prefix, () => ({ checkpointsLeft: 3 }));
    assert.equal(await startJob(prefix, '9', 0, () => undefined), null, 'a condition that does not hold yet does not stop the start');
  });

  it('scr sim: the library records the job id with the marker; a new job id runs (and says it cleared the marker); the same job id does not launch again', async () => {
    let r = sim('jobA');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const h = await readHalt(prefix);
    assert.equal(h.finalized, true);
    assert.equal(h.finalizedJob, 'jobA');
    r = sim('jobB', 20);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /scr sim: .*halt\.scr holds the "finalize was called" marker of job jobA, an earlier job: it does not stop job jobB; cleared/);
    assert.match(r.stdout, /run 1 of/);
    assert.match(r.stdout, /heat: restarted from checkpoint heat\.10/);
    assert.equal((await readHalt(prefix)).finalizedJob, 'jobB');
    r = sim('jobB', 20);
    assert.equal(r.code, 0, 'a finished job is a success');
    assert.match(r.stdout, /job jobB already finished in this prefix .*not launching it again; to run it again, clear the marker: scr halt --remove --prefix/);
    assert.doesNotMatch(r.stdout, /run 1 of/);
    assert.match(r.stdout, /stopping: finalize was called: the job finished/);
  });

  it('scr sim does not launch when an earlier halt condition holds, and names the command that clears it; after clearing it runs', () => {
    let h = scr(['halt', '--reason', 'quota'], { env: env(), cwd: dir });
    assert.equal(h.code, 0, h.stderr);
    let r = sim('jobC');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`a halt condition left in .*halt\\.scr holds: halt requested: quota; the job would stop at its first check, so it is not launched\\. Clear it: scr halt --unset-reason --prefix ${prefix}`));
    assert.doesNotMatch(r.stdout, /run 1 of/);
    assert.match(r.stdout, /stopping: halt requested: quota/);
    h = scr(['halt', '--unset-reason'], { env: env(), cwd: dir });
    assert.equal(h.code, 0, h.stderr);
    r = sim('jobC');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /run 1 of/);
  });

  it('scr prerun announces an earlier job\'s marker and a holding condition (on stderr), with the commands', async () => {
    await updateHalt(prefix, () => ({ finalized: true, finalizedJob: 'old1', exitAfter: Math.floor(Date.now() / 1000) - 5 }));
    const r = scr(['prerun'], { env: env({ SCR_JOB_ID: 'new1' }), cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^scr prerun: .*marker of job old1, an earlier job: it does not stop job new1 \(scr srun \/ scr run \/ scr sim clear it when they start\)$/m);
    assert.match(r.stderr, /^scr prerun: a halt condition left in .* holds: exit-after time \S+ passed; .*scr srun \/ scr run \/ scr sim do not launch it\. Clear it: scr halt --unset-after --prefix /m);
    assert.equal((await readHalt(prefix)).finalizedJob, 'old1', 'prerun only announces');
  });

  it('scr should-exit: another job id\'s marker does not say stop; this job\'s does; a marker without a job id still does', async () => {
    await updateHalt(prefix, () => ({ finalized: true, finalizedJob: 'j1' }));
    let r = scr(['should-exit', '--verbose'], { env: env({ SCR_JOB_ID: 'j2' }), cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /the finalize marker is job j1's, an earlier job's: it does not stop job j2/);
    r = scr(['should-exit'], { env: env({ SCR_JOB_ID: 'j1' }), cwd: dir });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'finalize was called: the job finished\n');
    await updateHalt(prefix, () => ({ finalized: true }));
    r = scr(['should-exit'], { env: env({ SCR_JOB_ID: 'j2' }), cwd: dir });
    assert.equal(r.code, 0);
  });

  it('scr halt lists the marker\'s job and --remove (-r) clears both', async () => {
    await updateHalt(prefix, () => ({ finalized: true, finalizedJob: 'j9' }));
    let r = scr(['halt', '--list'], { env: env(), cwd: dir });
    assert.match(r.stdout, /finalized by job\s+j9/);
    r = scr(['halt', '-r'], { env: env(), cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await readHalt(prefix), {});
  });
});
