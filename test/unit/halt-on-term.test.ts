// SCR_HALT_ON_TERM under mpirun (Open MPI at 1, 2 and 4 ranks, MPICH at 2 and 4): a real SIGTERM
// to the ranks (as slurmd delivers scancel's) makes shouldExit() true on every rank, and the
// newest checkpoint, only in cache (SCR_FLUSH=0), is on the file system byte for byte afterwards;
// a later run restarts from it with the caches gone. With SCR_HALT_ON_TERM=0 the signal ends the
// ranks as before and nothing is flushed. An application that makes no scr call after the signal
// is ended by it SCR_HALT_ON_TERM_IDLE seconds later (term.ts; 5 here, 30 by default). And `scr sim` takes SIGTERM as a cancel: no node is called
// down, nothing is relaunched, and it says what was saved.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MpiFlavour } from '../../src/native/paths.js';
import { readHalt } from '../../src/halt/index.js';
import { readIndex } from '../../src/pfs/index.js';
import { killByEnv } from '../../src/rm/sim.js';
import { cleanEnv, SCR_BIN } from '../harness/cli.js';
import { flavoursBuilt, mpirunFor, runProcess, type RunResult } from '../harness/launch.js';
import { cleanup, newSimJob, type SimJob } from '../harness/sim.js';
import { termBytes } from '../harness/term.js';
import { skipBecause } from '../harness/skip.js';
import { eventsOf, logLines } from '../harness/event-log.js';

const APP = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures', 'term-app.js');

interface Line { rank: number; step: number; exit: string; restored: string | null; matched: boolean | null; need?: boolean[] }
const lines = (r: RunResult): Line[] => r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line).sort((a, b) => a.rank - b.rank);
const events = (job: SimJob, kind: string) => eventsOf(job.prefix, kind);

const completedOn = (job: SimJob, rank: number): number => {
  const f = join(job.root, `ckpts.${rank}`);
  return existsSync(f) ? Number(readFileSync(f, 'utf8')) || 0 : 0;
};

/** Starts the fixture on `np` ranks; waits for `ckpts` completed checkpoints, then sends SIGTERM
 * to the ranks in `to` (all by default); resolves to the run and the time of the signal.
 * `between`: the fixture is run with --max-ckpts `ckpts`, and the signal waits until every rank's
 * completeOutput() has returned, so it lands between checkpoints, never inside one. */
async function runAndTerm(flavour: MpiFlavour, np: number, job: SimJob, args: string[], opts: { env?: Record<string, string>; ckpts?: number; to?: number[]; timeoutMs?: number; between?: boolean } = {}): Promise<{ r: RunResult; t0: number }> {
  const want = opts.ckpts ?? 2;
  if (opts.between) args = [...args, '--max-ckpts', String(want)];
  const { cmd, env } = mpirunFor(flavour);
  const run = runProcess(cmd, ['-np', String(np), process.execPath, APP, ...args], { env: { ...cleanEnv(env), ...job.env, SCR_FLUSH: '0', ...opts.env }, timeoutMs: opts.timeoutMs ?? 90_000 });
  const end = Date.now() + 60_000;
  const done = () => (opts.between ? Array.from({ length: np }, (_, r) => completedOn(job, r)).every((n) => n >= want) : events(job, 'CHECKPOINT').length >= want);
  while (!done()) {
    if (Date.now() > end) throw new Error(`no checkpoints after 60 s; log:\n${logLines(job.prefix).join('\n')}`);
    await new Promise((res) => setTimeout(res, 20));
  }
  const t0 = Date.now();
  for (const rank of opts.to ?? Array.from({ length: np }, (_, i) => i)) {
    process.kill(Number(readFileSync(join(job.root, `pid.${rank}`), 'utf8')), 'SIGTERM');
  }
  return { r: await run, t0 };
}

/** The checkpoint the index calls current is flushed, and every rank's file holds its bytes. */
async function assertKept(job: SimJob, np: number, step: number): Promise<void> {
  const idx = await readIndex(job.prefix);
  const entry = Object.values(idx.datasets).find((d) => d.name === `ckpt.${step}`);
  assert.equal(entry?.flushed, true, `ckpt.${step} is flushed: ${JSON.stringify(idx)}`);
  for (let r = 0; r < np; r++) {
    assert.ok(readFileSync(join(job.prefix, `ckpt.${step}`, `rank${r}.dat`)).equals(termBytes(step, r)), `rank ${r}'s bytes of ckpt.${step}`);
  }
}

const measured: string[] = [];

describe('SCR_HALT_ON_TERM: SIGTERM to the ranks halts the job and keeps the newest checkpoint', function () {
  this.timeout(240_000);
  let job: SimJob;
  afterEach(() => {
    killByEnv([`SCR_JOB_ID=${job.jobId}`]);
    cleanup(job);
  });
  after(() => { if (measured.length) console.log(`    measured (SIGTERM → newest checkpoint flushed):\n${measured.map((m) => `      ${m}`).join('\n')}`); });

  const matrix: Array<[MpiFlavour, number]> = [['openmpi', 1], ['openmpi', 2], ['openmpi', 4], ['mpich', 2], ['mpich', 4]];
  for (const [flavour, np] of matrix) {
    it(`${flavour}, ${np} rank(s): shouldExit() turns true on every rank, the checkpoint written on the way out is on the file system, and the next run restarts from it`, async function () {
      if (!flavoursBuilt().includes(flavour)) skipBecause(this, `the ${flavour} binding is not built here (scripts/setup builds both)`);
      job = newSimJob('term');
      const { r, t0 } = await runAndTerm(flavour, np, job, ['--mode', 'checkpoint', '--every', '3', '--step-ms', '40']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const out = lines(r);
      assert.equal(out.length, np, r.stdout + r.stderr);
      const step = out[0]!.step;
      for (const l of out) assert.deepEqual([l.exit, l.step], ['halted', step]);
      assert.match(r.stderr, /scr: SIGTERM \(scancel, preemption, or a launcher passing it on\): halting/);
      assert.equal(r.stderr.match(/scr: SIGTERM \(/g)?.length, 1, 'said once, by rank 0');
      assert.equal(events(job, 'HALT').filter((l) => l.includes('reason="SIGTERM"')).length, 1);
      await assertKept(job, np, step);
      const flush = events(job, 'FLUSH').find((l) => l.includes(`name=ckpt.${step} `))!;
      const seconds = (Date.parse(flush.split(' ')[0]!) - t0) / 1000;
      measured.push(`${flavour} ${np} rank(s): ckpt.${step} flushed ${seconds.toFixed(2)} s after the signal; checkpoints complete at the signal: ${Math.floor((step - 1) / 3)}, restart point kept: step ${step}`);
      // The caches go (as with the allocation): the next run reads it from the file system.
      rmSync(job.cache, { recursive: true, force: true });
      rmSync(job.cntl, { recursive: true, force: true });
      const { cmd, env } = mpirunFor(flavour);
      const again = await runProcess(cmd, ['-np', String(np), process.execPath, APP, '--restart', '--steps', String(step + 1), '--every', '1000'], { env: { ...cleanEnv(env), ...job.env, SCR_JOB_ID: `${job.jobId}b` }, timeoutMs: 60_000 });
      assert.equal(again.code, 0, again.stdout + again.stderr);
      for (const l of lines(again)) assert.deepEqual([l.restored, l.matched, l.exit], [`ckpt.${step}`, true, 'done']);
    });
  }

  it('a SIGTERM to one rank only halts every rank (the ranks agree)', async function () {
    if (!flavoursBuilt().includes('openmpi')) skipBecause(this, 'the openmpi binding is not built here (scripts/setup builds both)');
    job = newSimJob('term1');
    const { r } = await runAndTerm('openmpi', 4, job, ['--mode', 'checkpoint', '--every', '3', '--step-ms', '40'], { to: [2] });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = lines(r);
    assert.deepEqual(out.map((l) => l.exit), ['halted', 'halted', 'halted', 'halted']);
    await assertKept(job, 4, out[0]!.step);
  });

  it('an application that finalizes without a new checkpoint: finalize() flushes the newest one in cache', async function () {
    const flavour = flavoursBuilt().includes('mpich') ? 'mpich' : 'openmpi';
    job = newSimJob('termfin');
    const { r } = await runAndTerm(flavour, 2, job, ['--mode', 'finalize', '--every', '3', '--step-ms', '40']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const newest = events(job, 'CHECKPOINT').map((l) => Number(/name=ckpt\.(\d+)/.exec(l)![1])).pop()!;
    await assertKept(job, 2, newest);
    assert.match(r.stderr, new RegExp(`SIGTERM: the newest checkpoint, ckpt\\.${newest} \\(id \\d+\\), is on the file system`));
  });

  it('needCheckpoint() says a checkpoint is due after the signal, and no longer once one has completed', async function () {
    if (!flavoursBuilt().includes('openmpi')) skipBecause(this, 'the openmpi binding is not built here (scripts/setup builds both)');
    job = newSimJob('termneed');
    // A checkpoint interval no call reaches: only the signal makes needCheckpoint() say yes. The
    // signal lands between checkpoints: one completing after it (the signal agreed inside its
    // completeOutput) would rightly make the next needCheckpoint() say no.
    const { r } = await runAndTerm('openmpi', 2, job, ['--mode', 'need', '--every', '3', '--step-ms', '40'], { env: { SCR_CHECKPOINT_INTERVAL: '100000' }, between: true });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const l of lines(r)) assert.deepEqual(l.need, [true, false]);
    await assertKept(job, 2, lines(r)[0]!.step);
  });

  it('SCR_HALT_ON_TERM=0: SIGTERM ends the ranks at once (Node\'s default) and nothing reaches the file system', async function () {
    if (!flavoursBuilt().includes('openmpi')) skipBecause(this, 'the openmpi binding is not built here (scripts/setup builds both)');
    job = newSimJob('termoff');
    const { r } = await runAndTerm('openmpi', 2, job, ['--mode', 'checkpoint', '--every', '3', '--step-ms', '40'], { env: { SCR_HALT_ON_TERM: '0' } });
    assert.notEqual(r.code, 0);
    assert.deepEqual(lines(r), [], 'no rank got to report');
    assert.doesNotMatch(r.stderr, /scr: SIGTERM/);
    assert.deepEqual(events(job, 'FLUSH'), []);
    assert.deepEqual(Object.values((await readIndex(job.prefix)).datasets).filter((d) => d.flushed), []);
  });

  it('an application that makes no scr call after the signal is ended by SIGTERM SCR_HALT_ON_TERM_IDLE seconds later, not left running', async function () {
    if (!flavoursBuilt().includes('openmpi')) skipBecause(this, 'the openmpi binding is not built here (scripts/setup builds both)');
    job = newSimJob('termidle');
    const { r, t0 } = await runAndTerm('openmpi', 2, job, ['--mode', 'stop', '--every', '3', '--step-ms', '40'], { timeoutMs: 120_000, env: { SCR_HALT_ON_TERM_IDLE: '5' } });
    const waited = (Date.now() - t0) / 1000;
    assert.equal(r.timedOut, false);
    assert.notEqual(r.code, 0, 'ended by the signal, not exit 0');
    assert.deepEqual(lines(r).map((l) => l.exit), ['stopped calling scr', 'stopped calling scr']);
    assert.match(r.stderr, /SIGTERM \d+ s ago and no scr call for 5 s since: ending the process by SIGTERM/);
    assert.ok(waited >= 5 && waited < 15, `ended ${waited} s after the signal`);
  });
});

describe('scr sim: SIGTERM is a cancel, not a node failure', function () {
  this.timeout(120_000);
  it('no node is called down, nothing is relaunched (--runs 3), and it says what was saved', async function () {
    if (!flavoursBuilt().includes('openmpi')) skipBecause(this, 'the openmpi binding is not built here (scripts/setup builds both)');
    const job = newSimJob('termsim');
    try {
      const env = { ...cleanEnv(), ...job.env, SCR_FLUSH: '0' };
      const child = spawn(process.execPath, [SCR_BIN, 'sim', '--nodes', '2', '--ppn', '1', '--spares', '1', '--runs', '3', '--', 'node', APP, '--every', '3', '--step-ms', '40'],
        { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const done = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
      const end = Date.now() + 60_000;
      while (events(job, 'CHECKPOINT').length < 2) {
        if (Date.now() > end) throw new Error(`no checkpoints: ${out}`);
        await new Promise((res) => setTimeout(res, 20));
      }
      // As Ctrl-C or scancel: the wrapper and the ranks get the signal.
      child.kill('SIGTERM');
      for (const r of [0, 1]) process.kill(Number(readFileSync(join(job.root, `pid.${r}`), 'utf8')), 'SIGTERM');
      const code = await done;
      assert.equal(code, 1, out);
      const step = Number(/"step":(\d+)/.exec(out)?.[1]);
      assert.match(out, /scr sim: stopping: cancelled \(SIGTERM\)/);
      assert.doesNotMatch(out, /is down|run 2 of/);
      assert.match(out, new RegExp(`scr sim: saved: checkpoint ckpt\\.${step} \\(id \\d+\\) is on the file system`), out);
      assert.match(out, /scr sim: lost: nothing/);
      await assertKept(job, 2, step);
      // The wrapper's own halt reason is gone: it must not stop the next job.
      assert.equal((await readHalt(job.prefix)).reason, undefined);
    } finally {
      killByEnv([`SCR_JOB_ID=${job.jobId}`]);
      cleanup(job);
    }
  });
});
