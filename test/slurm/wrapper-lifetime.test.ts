// The run wrapper on a real Slurm (test/harness/slurm.ts): the requeue guard (a job halted for time
// that checkpointed nothing, or whose time limit is not above SCR_HALT_SECONDS, is not requeued and
// says why); a wrapper killed by SIGKILL leaves no step, launcher or rank behind (srun, and mpirun
// inside the allocation); the watchdog relaunches a hung run with srun and with mpirun, on the same
// nodes, and the relaunch completes. Every process of a job carries a unique mark in its argv.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtFlavours } from '../../src/native/paths.js';
import { jobState, sbatch, type SlurmCluster, slurmOrSkip, waitJob } from '../harness/slurm.js';
import { skipBecause } from '../harness/skip.js';

const root = join(import.meta.dirname, '..', '..', '..');
const SCR = `${process.execPath} ${join(root, 'dist', 'src', 'cli', 'main.js')}`;
const APP = `${process.execPath} ${join(root, 'dist', 'test', 'fixtures', 'hang-app.js')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const OMPI = 'export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1';

function pidsOf(pattern: string): number[] {
  return spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
}

async function until(test: () => boolean, ms: number, what: () => string): Promise<number> {
  const t0 = Date.now();
  while (!test()) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms / 1000} s: ${what()}`);
    await sleep(100);
  }
  return Date.now() - t0;
}

describe('scr srun / scr run on real Slurm: requeue guard, no orphans, watchdog', function () {
  this.timeout(180_000);
  let c: SlurmCluster;
  let count = 0;
  const finished = (s: string) => !/PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUED/.test(s);

  before(async function () {
    c = await slurmOrSkip(this, 3);
  });
  after(async () => { await c?.stop(); });

  function job(body: string, extraEnv = ''): { script: string; prefix: string; log: string; mark: string } {
    const name = `w${++count}`;
    const prefix = join(c.dir, name, 'prefix');
    mkdirSync(prefix, { recursive: true });
    const mark = `scrwl${process.pid}x${count}x${Date.now()}`;
    const script = [
      '#!/bin/bash',
      `export SCR_PREFIX=${prefix} SCR_CACHE_BASE=${c.local}/${name}/cache SCR_CNTL_BASE=${c.local}/${name}/cntl SCR_SYSTEM_CONF=/dev/null`,
      'export SCR_FLUSH=0 OMPI_MCA_btl=self,tcp',
      extraEnv,
      'echo "start restart=${SLURM_RESTART_COUNT:-0}"',
      body.replaceAll('MARK', mark),
      '',
    ].join('\n');
    return { script, prefix, log: join(c.dir, name, 'out.log'), mark };
  }
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  const events = (prefix: string, kind: string) => read(join(prefix, '.scr', 'log')).split('\n').filter((l) => l.includes(` ${kind} `));
  /** An application that never checkpoints and ends once scr says the job should stop. */
  const idle = `sh -c 'while true; do ${SCR} should-exit >/dev/null; [ $? -ne 1 ] && exit 0; sleep 0.5; done' MARK`;

  it('requeue guard: a job halted for time that wrote no checkpoint is not requeued, and the reason is printed', async () => {
    const j = job(`${SCR} srun --requeue -N 1 -n 1 ${idle}; echo "srun exit $?"`, 'export SCR_HALT_SECONDS=50');
    const id = sbatch(c, j.script, ['-N', '1', '-t', '1', '--open-mode=append', '-o', j.log]);
    assert.equal(await waitJob(c, id, finished, 120_000), 'COMPLETED', read(j.log));
    const out = read(j.log);
    assert.match(out, /(halting the job: the allocation ends in \d+ s \(SCR_HALT_SECONDS=50\)|stopping: allocation ends in \d+ s \(< 50 s\))/, out);
    assert.match(out, /scr srun: not requeueing the job: it made no progress: no new checkpoint reached \S+ since it started \(newest: none\), so a requeued job would start again from the same point/);
    assert.doesNotMatch(out, /requeueing the job \(scontrol requeue\)/);
    assert.match(out, /^srun exit 1$/m);
    assert.match(c.cmd('scontrol', ['show', 'job', id]), /Restarts=0/);
  });

  it('requeue guard: a job whose time limit is not longer than SCR_HALT_SECONDS is not requeued, and the reason is printed', async () => {
    const j = job(`${SCR} srun --requeue -N 1 -n 1 ${idle}; echo "srun exit $?"`, 'export SCR_HALT_SECONDS=90');
    const id = sbatch(c, j.script, ['-N', '1', '-t', '1', '--open-mode=append', '-o', j.log]);
    assert.equal(await waitJob(c, id, finished, 120_000), 'COMPLETED', read(j.log));
    const out = read(j.log);
    assert.match(out, /not requeueing the job: its time limit \(60 s\) is not longer than SCR_HALT_SECONDS=90, so a requeued job would be halted as soon as it starts: give the job more time \(sbatch --time\) or lower SCR_HALT_SECONDS/, out);
    assert.match(c.cmd('scontrol', ['show', 'job', id]), /Restarts=0/);
  });

  const launches: Array<[string, string, string]> = [
    ['srun (Open MPI)', 'srun -N 2 -n 2 --mpi=pmix', `${OMPI} SCR_MPI=openmpi`],
    ['mpirun.openmpi', 'run mpirun.openmpi -np 2', `${OMPI} SCR_MPI=openmpi`],
    ['mpirun.mpich', 'run mpirun.mpich -np 2', 'export SCR_MPI=mpich'],
  ];
  for (const [what, launch, env] of launches) {
    it(`the wrapper killed by SIGKILL (${what}): no launcher, step or rank of its job is left`, async function () {
      if (!builtFlavours().includes(/mpich/.test(env) ? 'mpich' : 'openmpi')) skipBecause(this, 'a needed MPI binding is not built here (scripts/setup builds both)');
      // The batch script goes on after the wrapper dies, so Slurm's end of job cleans up nothing.
      const j = job(`${SCR} ${launch} ${APP} --ckpts 5 --hang-after 1 --ignore-term --mark MARK; echo "wrapper status $?"; sleep 300`,
        `${env} SCR_HALT_GRACE=3`);
      const id = sbatch(c, j.script, ['-N', '2', '-o', j.log]);
      try {
        await until(() => events(j.prefix, 'CHECKPOINT').length >= 1, 60_000, () => read(j.log));
        await sleep(500);
        const wrapper = pidsOf(`main.js (srun|run) .*${j.mark}`);
        assert.equal(wrapper.length, 1, `the wrapper: ${wrapper}`);
        const before = pidsOf(j.mark).length;
        process.kill(wrapper[0]!, 'SIGKILL');
        const t = await until(() => pidsOf(j.mark).length === 0, 15_000, () => `left: ${spawnSync('pgrep', ['-af', j.mark], { encoding: 'utf8' }).stdout}`);
        // Only the batch step (the script's sleep) is left: not srun's step, nor mpirun's daemons' (orted, hydra_pmi_proxy).
        // (Slurm drops a step's record a moment after its processes are gone.)
        const steps = () => c.cmd('squeue', ['-h', '-s', '-j', id, '-o', '%i %j']).split('\n').map((l) => l.trim()).filter((l) => l && !/\.(batch|extern) /.test(l));
        await until(() => steps().length === 0, 10_000, () => `steps left: ${steps().join(', ')}`);
        assert.match(read(j.log), /wrapper status 137/);
        console.log(`      (${what}: ${before} processes of the job; all gone ${(t / 1000).toFixed(1)} s after the wrapper's SIGKILL, SCR_HALT_GRACE=3)`);
      } finally {
        c.cmd('scancel', [id]);
      }
    });
  }

  for (const [what, launch, env] of launches.slice(0, 2)) {
    it(`watchdog (${what}): a run hung after its first checkpoint is killed and relaunched on the same nodes, and completes`, async () => {
      // (15 s: a relaunch with srun restarted up to 10.9 s after the kill, measured on a busy machine.)
      const j = job(`${SCR} ${launch} ${APP} --ckpts 3 --hang-after 1 --first-only --mark MARK; echo "wrapper exit $?"`,
        `${env} SCR_WATCHDOG_TIMEOUT=15 SCR_RUNS=2`);
      const id = sbatch(c, j.script, ['-N', '3', '-o', j.log]);
      assert.equal(await waitJob(c, id, finished, 150_000), 'COMPLETED', read(j.log));
      const out = read(j.log);
      assert.match(out, /watchdog: no checkpoint completed in run 1 for 1\d s \(SCR_WATCHDOG_TIMEOUT=15\): the job is taken for hung/, out);
      assert.match(out, /run 1 ended: .*\(watchdog\)/);
      const placed = [...out.matchAll(/run (\d) of at most 2 on (\S+?)(;|$)/gm)].map((m) => m[2]);
      assert.equal(placed.length, 2, out);
      assert.equal(placed[0], placed[1], 'relaunched on the same nodes');
      assert.doesNotMatch(out, /is down/);
      assert.match(out, /"restartedFrom":"ckpt.1","wrote":2/);
      assert.match(out, /^wrapper exit 0$/m);
      const wd = events(j.prefix, 'WATCHDOG');
      assert.equal(wd.length, 1);
      assert.match(wd[0]!, /WATCHDOG run=1 timeout=15 idle=1\d\.\d{3} checkpoint=1$/);
      const at = (l: string) => Date.parse(l.split(' ')[0]!);
      const react = (at(wd[0]!) - at(events(j.prefix, 'CHECKPOINT')[0]!)) / 1000;
      const relaunch = (at(events(j.prefix, 'RESTART')[0]!) - at(wd[0]!)) / 1000;
      console.log(`      (${what}: watchdog fired ${react.toFixed(2)} s after the last checkpoint (timeout 15 s); run 2 restarted ${relaunch.toFixed(2)} s after)`);
      assert.equal(jobState(c, id), 'COMPLETED');
      assert.deepEqual(pidsOf(j.mark), []);
    });
  }
});
