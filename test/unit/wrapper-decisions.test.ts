// The run wrapper's decisions, with a scripted resource manager in this process: stop codes (not
// message wording) decide a requeue; the requeue guard (no progress, a time limit not above
// SCR_HALT_SECONDS) says why it does not requeue; a halt file that cannot be written is said and
// written at a later tick; SIGTERM and `scr halt --immediate` give a run SCR_HALT_GRACE seconds,
// then kill it.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/resolve.js';
import { haltFilePath, readHalt, updateHalt } from '../../src/halt/index.js';
import { updateIndex } from '../../src/pfs/index.js';
import { haltStop } from '../../src/rm/loop.js';
import { requeueBlockers } from '../../src/rm/requeue-guard.js';
import { runWrapped, type WrapOptions } from '../../src/rm/wrapper.js';
import { logPath } from '../../src/scr/log.js';
import { FakeRM, type Script } from '../harness/fake-rm.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Resolves once `rm` has launched a run (a fixed sleep could end before the launch on a loaded
 * machine, and the event under test would come before the run instead of during it). */
async function launched(rm: { launches: unknown[] }): Promise<void> {
  const end = Date.now() + 20_000;
  while (rm.launches.length === 0) {
    if (Date.now() > end) throw new Error('the run was not launched within 20 s');
    await sleep(5);
  }
}

describe('run wrapper decisions: stop codes, requeue guard, halt retries, grace', function () {
  this.timeout(30_000);
  let dir: string;
  let lines: string[];
  const prefix = () => join(dir, 'p');
  const cfg = (env: Record<string, string> = {}) => loadConfig({
    env: { SCR_PREFIX: prefix(), SCR_CACHE_BASE: join(dir, 'c'), SCR_CNTL_BASE: join(dir, 'k'), SCR_SYSTEM_CONF: '/dev/null', SCR_USER_NAME: 'u', ...env },
    cwd: dir,
  });
  const wrap = (rm: FakeRM, o: Partial<WrapOptions> = {}, env: Record<string, string> = {}) => runWrapped({
    rm, cfg: cfg(env), need: 2, ppn: 1, argv: ['app'], runs: 3, requeue: true, say: (l) => lines.push(l), ...o,
  });
  const checkpoint = (id: number) => updateIndex(prefix(), (idx) => {
    idx.datasets[String(id)] = { id, name: `ckpt.${id}`, flags: { checkpoint: true, output: false }, created: Date.now(), ranks: 2,
      complete: true, flushed: true, failed: false, bytes: 0, files: 0 };
  });
  /** Checkpoints `ids` (none: no progress), then exits 0 once a halt reason appears (read errors are retried). */
  const haltable = (...ids: number[]): Script => async (_s, end) => {
    for (const id of ids) await checkpoint(id);
    while (!(await readHalt(prefix()).catch(() => ({ reason: undefined }))).reason) await sleep(20);
    end({ code: 0, signal: null });
  };
  /** Never ends by itself; only SIGKILL (FakeRM) ends it. */
  const hung: Script = () => undefined;
  const said = (re: RegExp) => assert.ok(lines.some((l) => re.test(l)), `${re} not in:\n${lines.join('\n')}`);

  beforeEach(() => { dir = mkdtempSync('/dev/shm/scr-wrapdec-'); mkdirSync(join(dir, 'p')); lines = []; });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stop codes: finalized, the wrapper\'s own reasons, a user\'s reason, the allocation-end rule and the other conditions', () => {
    const ctx = { now: 1000, endTime: 1100, haltSeconds: 0 };
    assert.deepEqual(haltStop({ finalized: true, reason: 'x' }, ctx)?.code, 'finalized');
    const own = (r: string) => (r === 'SIGUSR1 from the scheduler: the allocation is ending' ? 'time' as const : undefined);
    assert.deepEqual(haltStop({ reason: 'SIGUSR1 from the scheduler: the allocation is ending' }, ctx, own), { code: 'time', reason: 'halt requested: SIGUSR1 from the scheduler: the allocation is ending' });
    assert.equal(haltStop({ reason: 'maintenance' }, ctx, own)?.code, 'halted');
    assert.deepEqual(haltStop({ seconds: 200 }, ctx), { code: 'time', reason: 'allocation ends in 100 s (< 200 s)' });
    assert.equal(haltStop({}, { ...ctx, haltSeconds: 200 })?.code, 'time');
    assert.equal(haltStop({ checkpointsLeft: 0, seconds: 200 }, ctx)?.code, 'halted');
    assert.equal(haltStop({ exitBefore: 1050, seconds: 100 }, ctx)?.code, 'halted');
    assert.equal(haltStop({ exitAfter: 900 }, ctx)?.code, 'halted');
    assert.equal(haltStop({ seconds: 50 }, ctx), null);
  });

  it('requeue guard: progress and a time limit above SCR_HALT_SECONDS allow a requeue; each missing one is a reason', () => {
    const base = { prefix: '/p', haltSeconds: 60, timeLimit: 3600, before: { id: 3, name: 'c.3' }, after: { id: 5, name: 'c.5' } };
    assert.deepEqual(requeueBlockers(base), []);
    assert.deepEqual(requeueBlockers({ ...base, before: undefined }), [], 'unknown start: not judged');
    assert.deepEqual(requeueBlockers({ ...base, timeLimit: null }), [], 'no limit');
    assert.match(requeueBlockers({ ...base, after: { id: 3, name: 'c.3' } }).join(), /^it made no progress: no new checkpoint reached \/p since it started \(newest: c\.3\)/);
    assert.match(requeueBlockers({ ...base, before: null, after: null }).join(), /\(newest: none\)/);
    assert.match(requeueBlockers({ ...base, timeLimit: 60 }).join(), /^its time limit \(60 s\) is not longer than SCR_HALT_SECONDS=60/);
    assert.equal(requeueBlockers({ ...base, timeLimit: 30, after: base.before }).length, 2);
  });

  it('a job halted for time that wrote no checkpoint is not requeued, and says why; one that did is', async () => {
    let rm = new FakeRM(['a', 'b'], [haltable()]);
    rm.end = Math.floor(Date.now() / 1000) + 3;
    let r = await wrap(rm, {}, { SCR_HALT_SECONDS: '2' });
    assert.equal(r.code, 'time');
    assert.equal(rm.requeues, 0);
    assert.equal(r.requeued, false);
    said(/^not requeueing the job: it made no progress: no new checkpoint reached \S+ since it started \(newest: none\)/);
    lines = [];
    rm = new FakeRM(['a', 'b'], [haltable(1)]);
    rm.end = Math.floor(Date.now() / 1000) + 3;
    r = await wrap(rm, {}, { SCR_HALT_SECONDS: '2' });
    assert.equal(rm.requeues, 1);
    assert.equal(r.requeued, true);
    // The next start has ckpt.1 already: without a newer one it is not requeued again.
    lines = [];
    rm = new FakeRM(['a', 'b'], [haltable()]);
    rm.end = Math.floor(Date.now() / 1000) + 3;
    await wrap(rm, {}, { SCR_HALT_SECONDS: '2' });
    assert.equal(rm.requeues, 0);
    said(/no new checkpoint reached \S+ since it started \(newest: ckpt\.1\)/);
  });

  it('a job whose time limit is not longer than SCR_HALT_SECONDS is not requeued, and says why', async () => {
    const rm = new FakeRM(['a', 'b'], [haltable(1)]);
    rm.end = Math.floor(Date.now() / 1000) + 3;
    rm.limit = 2;
    const r = await wrap(rm, {}, { SCR_HALT_SECONDS: '2' });
    assert.equal(rm.requeues, 0);
    assert.deepEqual(r.notRequeued?.length, 1);
    said(/^not requeueing the job: its time limit \(2 s\) is not longer than SCR_HALT_SECONDS=2, so a requeued job would be halted as soon as it starts: give the job more time \(sbatch --time\) or lower SCR_HALT_SECONDS$/);
  });

  it('a halt file that cannot be written: the wrapper says so, retries every second, and the halt lands once it can', async () => {
    const rm = new FakeRM(['a', 'b'], [haltable(1)]);
    const p = wrap(rm);
    await launched(rm);
    // The halt file's path taken by a directory: every write fails (as a read-only .scr would).
    mkdirSync(haltFilePath(prefix()));
    process.emit('SIGUSR1', 'SIGUSR1');
    await sleep(2500);
    said(/^could not write the halt file \S+halt\.scr: .*; the job is not told to halt yet\. Retrying every second: make \S+\.scr writable/);
    assert.equal(lines.filter((l) => /could not write the halt file/.test(l)).length, 1, 'said once, not every second');
    assert.equal(rm.launches.length, 1);
    rmSync(haltFilePath(prefix()), { recursive: true });
    const r = await p;
    said(/^halting the job: SIGUSR1 from the scheduler: the allocation is ending \(written at attempt [3-9]\)$/);
    assert.equal(r.code, 'time');
    assert.equal(r.requeued, true, 'the halt was for time: requeued');
    assert.equal((await readHalt(prefix())).reason, undefined, 'the wrapper\'s reason is removed');
  });

  it('SIGTERM with a halt file that cannot be written still ends the job (no relaunch), after SCR_HALT_GRACE', async () => {
    const rm = new FakeRM(['a', 'b'], [hung, hung]);
    const p = wrap(rm, {}, { SCR_HALT_GRACE: '1' });
    await launched(rm);
    mkdirSync(haltFilePath(prefix()));
    process.emit('SIGTERM', 'SIGTERM');
    const r = await p;
    assert.equal(rm.launches.length, 1);
    assert.deepEqual(rm.kills, ['SIGKILL']);
    assert.equal(r.code, 'signal');
    assert.equal(r.reason, 'cancelled (SIGTERM)');
    said(/^the run did not end within SCR_HALT_GRACE=1 s of SIGTERM: killing the launcher and its ranks$/);
    said(/^could not write the halt file/);
    assert.equal(rm.requeues, 0);
  });

  it('watchdog: progress in the event log keeps a run alive; silence for SCR_WATCHDOG_TIMEOUT kills it and relaunches on the same nodes', async () => {
    const line = (kind: string, id: number) => appendFileSync(logPath(prefix()), `${new Date().toISOString()} ${kind} name=ckpt.${id} id=${id}\n`);
    let stopped = 0;
    // Run 1: progress every 400 ms for 3 s (a checkpoint, then a flush, ...), then silence: hung.
    const busyThenHung: Script = async () => {
      for (let i = 1; i <= 8; i++) { await sleep(400); line(i % 2 ? 'CHECKPOINT' : 'FLUSH', i); }
      stopped = Date.now();
    };
    const rm = new FakeRM(['a', 'b', 'c'], [busyThenHung, async (_s, end) => { await updateHalt(prefix(), (h) => ({ ...h, finalized: true })); end({ code: 0, signal: null }); }]);
    mkdirSync(join(prefix(), '.scr'), { recursive: true });
    const probed: string[][] = [];
    const r = await wrap(rm, { probe: async (nodes) => { probed.push(nodes); return new Map(); } }, { SCR_WATCHDOG_TIMEOUT: '1' });
    assert.deepEqual(probed, [], 'after a hang the nodes are not probed');
    assert.equal(r.code, 'finalized');
    assert.equal(r.hangs, 1);
    assert.deepEqual(rm.launches.map((l) => l.nodes), [['a', 'b'], ['a', 'b']]);
    assert.deepEqual(rm.kills, ['SIGKILL']);
    said(/^watchdog: no checkpoint completed in run 1 for 1 s \(SCR_WATCHDOG_TIMEOUT=1\)/);
    said(/^relaunching after the hang on the same nodes \(not a node failure: no node is left out\)$/);
    const wd = readFileSync(logPath(prefix()), 'utf8').split('\n').filter((l) => / WATCHDOG /.test(l));
    assert.equal(wd.length, 1);
    assert.match(wd[0]!, /^\S+Z WATCHDOG run=1 timeout=1 idle=1\.\d{3} checkpoint=7$/);
    const fired = Date.parse(wd[0]!.split(' ')[0]!) - stopped;
    assert.ok(fired >= 1000 && fired < 1600, `fired ${fired} ms after the last progress`);
  });

  it('watchdog: off, saying so, when the event log is off (SCR_LOG_ENABLE=0)', async () => {
    const rm = new FakeRM(['a', 'b'], [(_s, end) => { setTimeout(() => end({ code: 0, signal: null }), 1500); }]);
    const r = await wrap(rm, {}, { SCR_WATCHDOG_TIMEOUT: '1', SCR_LOG_ENABLE: '0' });
    assert.equal(r.hangs, 0);
    assert.deepEqual(rm.kills, []);
    said(/^SCR_WATCHDOG_TIMEOUT=1 is ignored: the watchdog sees checkpoints complete in the event log, which SCR_LOG_ENABLE=0 turns off$/);
  });

  it('scr halt --immediate: SIGTERM to the step, SIGKILL after SCR_HALT_GRACE when it does not end', async () => {
    const rm = new FakeRM(['a', 'b'], [hung]);
    const p = wrap(rm, {}, { SCR_HALT_GRACE: '1' });
    await launched(rm);
    const t0 = Date.now();
    await updateHalt(prefix(), () => ({ reason: 'now', immediate: true }));
    const r = await p;
    assert.deepEqual(rm.kills, ['SIGTERM', 'SIGKILL']);
    const took = Date.now() - t0;
    assert.ok(took >= 1000 && took < 4000, `ended ${took} ms after the request`);
    said(/^the run did not end within SCR_HALT_GRACE=1 s of scr halt --immediate: killing the launcher and its ranks$/);
    assert.equal(r.code, 'halted');
  });
});
