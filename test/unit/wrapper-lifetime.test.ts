// The run wrapper's process lifetime, on the simulated cluster (real mpirun, real signals): a
// wrapper killed by SIGKILL leaves no launcher or rank behind; SIGTERM to the wrapper of a hung
// job kills the job after SCR_HALT_GRACE; the watchdog (SCR_WATCHDOG_TIMEOUT) kills a hung run and
// relaunches it on the same nodes, and the relaunch completes. Every process of a job is found
// by a unique mark in its argv (pgrep -f), the wrapper's and the launch guard's included.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCR_BIN, cleanEnv } from '../harness/cli.js';
import { eventsOf } from '../harness/event-log.js';

const APP = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures', 'hang-app.js');
const GUARDED = join(fileURLToPath(import.meta.url), '..', '..', '..', 'src', 'rm', 'guarded.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pids of the processes whose command line holds `mark` (not pgrep itself). */
function pidsOf(mark: string): number[] {
  const r = spawnSync('pgrep', ['-f', mark], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number).filter((p) => p !== process.pid);
}

async function until(test: () => boolean, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!test()) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(50);
  }
  return Date.now() - t0;
}

describe('run wrapper: process lifetime, grace and watchdog (scr sim)', function () {
  this.timeout(90_000);
  let dir: string;
  let mark: string;
  let child: ChildProcess | undefined;
  let out = '';
  let n = 0;
  const env = (extra: Record<string, string> = {}) => cleanEnv({
    SCR_PREFIX: join(dir, 'p'), SCR_CACHE_BASE: join(dir, 'c'), SCR_CNTL_BASE: join(dir, 'k'), SCR_SYSTEM_CONF: '/dev/null',
    SCR_JOB_ID: `life${process.pid}x${n}`, SCR_FLUSH: '0', ...extra,
  });
  const log = () => (existsSync(join(dir, 'p', '.scr', 'log')) ? readFileSync(join(dir, 'p', '.scr', 'log'), 'utf8') : '');
  const checkpoints = () => eventsOf(join(dir, 'p'), 'CHECKPOINT').length;
  /** Starts `scr sim` with the hang fixture; resolves to its exit code when it ends. */
  function sim(simArgs: string[], appArgs: string[], extra: Record<string, string> = {}): Promise<number | null> {
    out = '';
    child = spawn(process.execPath, [SCR_BIN, 'sim', ...simArgs, '--', process.execPath, APP, ...appArgs, '--mark', mark],
      { env: env(extra), cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    return new Promise((resolve) => child!.on('close', (code) => resolve(code)));
  }

  beforeEach(() => {
    dir = mkdtempSync('/dev/shm/scr-life-');
    mkdirSync(join(dir, 'p'));
    mark = `scrlife${process.pid}x${++n}x${Date.now()}`;
  });
  afterEach(() => {
    // Whatever a failing test left behind, by its mark only.
    for (const p of pidsOf(mark)) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  });

  it('the wrapper killed by SIGKILL mid-run: its launcher and ranks (which ignore SIGTERM) are gone within SCR_HALT_GRACE + a few seconds', async () => {
    const ended = sim(['--nodes', '2', '--ppn', '1'], ['--ckpts', '5', '--hang-after', '1', '--ignore-term'], { SCR_HALT_GRACE: '2' });
    await until(() => checkpoints() >= 1 && /"hanging":true/.test(out), 30_000, 'the first checkpoint');
    const before = pidsOf(mark);
    // The wrapper, the guard, mpirun and two ranks (besides the `env` steps mpirun execs through).
    assert.ok(before.length >= 5, `${before.length} processes of the job before the kill: ${out}`);
    const t0 = Date.now();
    process.kill(child!.pid!, 'SIGKILL');
    // (Its output pipe closes only once the launch, which inherited it, is gone too.)
    await ended;
    await until(() => pidsOf(mark).length === 0, 10_000, `no process of the job left (left: ${pidsOf(mark).join(',')})`);
    const t = Date.now() - t0;
    // Open MPI's mpirun, sent SIGTERM by the guard, kills ranks that ignore it itself.
    console.log(`      (all ${before.length} processes gone ${(t / 1000).toFixed(1)} s after the wrapper's SIGKILL, SCR_HALT_GRACE=2)`);
  });

  it('the launch guard: a launcher that ignores SIGTERM gets SCR_HALT_GRACE, then SIGKILL; a process that left its group is found by the marker', async () => {
    // A stand-in wrapper: launches through the guard, then is killed. The launch ignores SIGTERM
    // (inherited by its children), and one child moved to a session of its own (setsid).
    const launch = `trap '' TERM; setsid sleep 1001 & sleep 1002 & wait # ${mark}`;
    const wrapperJs = `const { launchGuarded } = await import(${JSON.stringify(GUARDED)});
      launchGuarded({ cmd: 'sh', args: ['-c', ${JSON.stringify(launch)}], env: { ...process.env, SCRTEST_MARK: ${JSON.stringify(mark)} },
        graceSeconds: 4, plan: { marker: 'SCRTEST_MARK=${mark}' } });
      setInterval(() => undefined, 1000); // ${mark}`;
    child = spawn(process.execPath, ['--input-type=module', '-e', wrapperJs], { stdio: 'ignore' });
    const sleeps = () => spawnSync('pgrep', ['-f', '^sleep 100[12]$'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number)
      .filter((p) => { try { return readFileSync(`/proc/${p}/environ`, 'latin1').includes(`SCRTEST_MARK=${mark}`); } catch { return false; } });
    await until(() => sleeps().length === 2, 10_000, 'the launch');
    process.kill(child.pid!, 'SIGKILL');
    const t0 = Date.now();
    // (A grace of 4 s, looked at after 1.2: a stalled test process on a loaded machine must not
    // look past the grace time.)
    await sleep(1200);
    assert.equal(sleeps().length, 2, 'within the grace time, SIGTERM was ignored');
    await until(() => sleeps().length === 0 && pidsOf(mark).length === 0, 12_000, 'the launch killed after the grace time');
    const t = (Date.now() - t0) / 1000;
    assert.ok(t >= 3.9 && t < 8, `killed ${t} s after the wrapper died (grace 4 s)`);
  });

  it('SIGTERM to the wrapper of a hung job: halt, then after SCR_HALT_GRACE the job is killed and the wrapper exits naming why', async () => {
    const ended = sim(['--nodes', '2', '--ppn', '1'], ['--ckpts', '5', '--hang-after', '1'], { SCR_HALT_GRACE: '2' });
    await until(() => checkpoints() >= 1 && /"hanging":true/.test(out), 30_000, 'the first checkpoint');
    const t0 = Date.now();
    child!.kill('SIGTERM');
    const code = await ended;
    const took = (Date.now() - t0) / 1000;
    assert.equal(code, 1, out);
    assert.match(out, /halting the job: SIGTERM: the job is being ended/);
    assert.match(out, /the run did not end within SCR_HALT_GRACE=2 s of SIGTERM: killing the launcher and its ranks/);
    assert.match(out, /run 1 ended: (killed by SIGKILL|exit \d+)/);
    assert.match(out, /stopping: cancelled \(SIGTERM\)/);
    assert.ok(took >= 2 && took < 15, `the wrapper ended ${took} s after SIGTERM`);
    assert.deepEqual(pidsOf(mark), [], 'nothing of the job is left');
  });

  it('watchdog: a run that hangs after its first checkpoint is killed and relaunched on the same nodes; the relaunch completes', async () => {
    const code = await sim(['--nodes', '2', '--ppn', '1', '--spares', '1', '--runs', '2'], ['--ckpts', '3', '--hang-after', '1', '--first-only'],
      { SCR_WATCHDOG_TIMEOUT: '12', SCR_HALT_GRACE: '2' });
    assert.equal(code, 0, out + log());
    assert.match(out, /watchdog: no checkpoint completed in run 1 for 12 s \(SCR_WATCHDOG_TIMEOUT=12\): the job is taken for hung; killing the run to relaunch it on the same nodes/);
    assert.match(out, /run 1 ended: killed by SIGKILL \(watchdog\)/);
    assert.match(out, /relaunching after the hang on the same nodes/);
    assert.match(out, /run 2 of at most 2 on n0,n1; spares: n2/, 'the same nodes, the spare unused');
    assert.doesNotMatch(out, /is down/, 'no node is taken for failed');
    assert.match(out, /"restartedFrom":"ckpt.1","wrote":2/);
    assert.match(out, /stopping: finalize was called/);
    const lines = log().split('\n');
    const wd = lines.find((l) => / WATCHDOG /.test(l));
    assert.match(wd ?? '', /^\S+Z WATCHDOG run=1 timeout=12 idle=12\.\d{3} checkpoint=1$/);
    // (12 s: the relaunch's start-up, before its restart resets the clock, must fit on a busy machine:
    // measured 2.6 s idle, up to 7.1 s at load 10 on 2 cores.)
    // Reaction time: last progress of run 1 → the kill (the WATCHDOG line) → run 2 under way (its restart).
    const at = (l: string | undefined) => Date.parse(l!.split(' ')[0]!);
    const lastCk = lines.filter((l) => / CHECKPOINT /.test(l))[0];
    const restart = lines.find((l) => / RESTART /.test(l));
    const react = (at(wd) - at(lastCk)) / 1000;
    const relaunch = (at(restart) - at(wd)) / 1000;
    console.log(`      (watchdog: fired ${react.toFixed(2)} s after the last checkpoint (timeout 12 s); run 2 restarted ${relaunch.toFixed(2)} s after the kill)`);
    // The watchdog reads the log once a second: it fires 12 s after it saw the checkpoint (idle=,
    // 12.x above), which is at most one read (plus a busy one skipped, on a loaded machine) after
    // the checkpoint was logged.
    const idle = Number(/idle=([\d.]+)/.exec(wd!)![1]);
    assert.ok(react >= 12 && react - idle >= 0 && react - idle < 2.5, `fired ${react} s after the last checkpoint, ${idle} s after it saw it`);
    assert.deepEqual(pidsOf(mark), []);
  });

  it('watchdog: a job that hangs on every launch uses up SCR_RUNS and stops, exit 1', async () => {
    const code = await sim(['--nodes', '2', '--ppn', '1', '--runs', '2'], ['--ckpts', '5', '--hang-after', '1'], { SCR_WATCHDOG_TIMEOUT: '2' });
    assert.equal(code, 1, out);
    assert.equal(out.match(/watchdog: no checkpoint completed in run \d/g)?.length, 2, out);
    assert.match(out, /stopping: SCR_RUNS=2 launches used up \(the last run hung\)/);
    assert.equal(log().split('\n').filter((l) => / WATCHDOG /.test(l)).length, 2);
    assert.deepEqual(pidsOf(mark), []);
  });
});
