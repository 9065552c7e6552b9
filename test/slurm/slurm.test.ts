// Batch jobs on a real Slurm (slurmctld + 5 fake nodes on this host, test/harness/slurm.ts) using
// scr prerun / srun / postrun / halt / list-down-nodes / env, with the heat example as the
// application (Open MPI, srun --mpi=pmix). The fake nodes share this host, so Open MPI's
// shared-memory transport is switched off (its segment names would collide between fake nodes).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { killByEnv } from '../../src/rm/sim.js';
import { builtFlavours } from '../../src/native/paths.js';
import type { Summary } from '../../src/report/summary.js';
import { jobState, sbatch, sbatchFile, type SlurmCluster, slurmOrSkip, waitJob } from '../harness/slurm.js';
import { skipBecause } from '../harness/skip.js';
import { eventsOf, waitForEvents } from '../harness/event-log.js';

const root = join(import.meta.dirname, '..', '..', '..');
const SCR = `${process.execPath} ${join(root, 'dist', 'src', 'cli', 'main.js')}`;
const HEAT = `${process.execPath} ${join(root, 'dist', 'examples', 'heat.js')} --cells 100000 --every 5`;

describe('scr on real Slurm (5 fake nodes)', function () {
  this.timeout(300_000); // a job waits in the queue and starts slower on a busy machine
  let c: SlurmCluster;
  let reference = '';
  let count = 0;

  before(async function () {
    // Cache and control directories go under c.local: one path, separate contents on each fake
    // node (mount namespaces), as node-local storage is on real nodes.
    c = await slurmOrSkip(this, 5);
  });

  after(async () => {
    await c?.stop();
  });

  /** A batch script with private prefix, cache and control directories; `body` follows. */
  function job(body: string, extraEnv = ''): { name: string; script: string; prefix: string; log: string } {
    const name = `j${++count}`;
    const prefix = join(c.dir, name, 'prefix');
    mkdirSync(prefix, { recursive: true });
    const script = [
      '#!/bin/bash',
      `export SCR_PREFIX=${prefix} SCR_CACHE_BASE=${c.local}/${name}/cache SCR_CNTL_BASE=${c.local}/${name}/cntl SCR_SYSTEM_CONF=/dev/null`,
      'export SCR_COPY_TYPE=XOR SCR_FLUSH=0 OMPI_MCA_btl=self,tcp',
      extraEnv,
      'echo "start restart=${SLURM_RESTART_COUNT:-0}"',
      body,
      '',
    ].join('\n');
    return { name, script, prefix, log: join(c.dir, name, 'out.log') };
  }

  const checkpoints = (prefix: string): number => eventsOf(prefix, 'CHECKPOINT').length;
  const waitCheckpoints = (prefix: string, n: number) => waitForEvents(prefix, 'CHECKPOINT', n);
  const result = (out: string) => out.split('\n').filter((l) => l.startsWith('{"step"')).map((l) => JSON.parse(l) as { step: number; checksum: string }).pop();
  const index = (prefix: string) => JSON.parse(c.cmd(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), 'index', '--json', '--prefix', prefix]))
    .datasets as Array<{ name: string; flushed: boolean; current: boolean }>;

  it('a batch script with prerun, srun and postrun completes and leaves the newest checkpoint on the file system', async () => {
    const j = job([
      `${SCR} prerun`,
      `${SCR} env --json`,
      `${SCR} list-down-nodes; echo "list-down-nodes exit $?"`,
      `${SCR} srun -N 4 -n 4 --mpi=pmix ${HEAT} --steps 20; echo "srun exit $?"`,
      `${SCR} postrun; echo "postrun exit $?"`,
    ].join('\n'));
    const id = sbatch(c, j.script, ['-N', '5', '-o', j.log]);
    assert.equal(await waitJob(c, id, (s) => !/PENDING|RUNNING|CONFIGURING|COMPLETING/.test(s), 120_000), 'COMPLETED');
    const out = readFileSync(j.log, 'utf8');
    assert.match(out, /scr prerun: 5 of 5 node\(s\) usable: n\[1-5\]/);
    const env = JSON.parse(/^\{\n[\s\S]*?\n\}$/m.exec(out)![0]);
    assert.equal(env.rm, 'slurm');
    assert.equal(env.nodes, 'n[1-5]');
    assert.equal(env.jobid, id);
    // The partition has no limit; Slurm gives such batch jobs 365 days.
    assert.ok(env.remaining > 364 * 86400 && env.endtime - env.remaining <= Date.now() / 1000 + 1, JSON.stringify(env));
    assert.match(out, /^list-down-nodes exit 0$/m);
    assert.match(out, /run 1 of at most 1 on n1,n2,n3,n4; spares: n5/);
    assert.match(out, /^srun exit 0$/m);
    assert.match(out, /scavenged heat\.20: copied rank\(s\) 0,1,2,3/);
    assert.match(out, /scr postrun: the newest checkpoint, heat\.20, is already on the file system/);
    assert.match(out, /^postrun exit 0$/m);
    const r = result(out);
    assert.equal(r?.step, 20);
    const ds = index(j.prefix).find((d) => d.current);
    assert.equal(ds?.name, 'heat.20');
    assert.equal(ds?.flushed, true);
    assert.ok(existsSync(join(j.prefix, 'heat.20', 'slab.3.f64')), 'the files are under the prefix');
    // The event log tells the job's story: the wrapper's job, its one run, its scavenge.
    const kinds = readFileSync(join(j.prefix, '.scr', 'log'), 'utf8').trim().split('\n').map((l) => l.split(' ')[1]);
    assert.deepEqual(kinds.filter((k) => ['JOB_START', 'RUN', 'RUN_END', 'SCAVENGE', 'JOB_END'].includes(k!)), ['JOB_START', 'RUN', 'RUN_END', 'SCAVENGE', 'JOB_END']);
  });

  it('the example batch script (examples/sbatch-scr.sh) runs as written, given its directories', async () => {
    const name = `j${++count}`;
    const prefix = join(c.dir, name, 'prefix');
    const log = join(c.dir, name, 'out.log');
    mkdirSync(prefix, { recursive: true });
    const id = sbatchFile(c, join(root, 'examples', 'sbatch-scr.sh'), ['-o', log], {
      SCR_PREFIX: prefix, SCR_CACHE_BASE: `${c.local}/${name}/cache`, SCR_CNTL_BASE: `${c.local}/${name}/cntl`, SCR_SYSTEM_CONF: '/dev/null',
      SCR_CACHE_NEED: '64MiB', HEAT_STEPS: '20', OMPI_MCA_btl: 'self,tcp',
    }, root);
    assert.equal(await waitJob(c, id, (s) => !/PENDING|RUNNING|CONFIGURING|COMPLETING/.test(s), 120_000), 'COMPLETED', existsSync(log) ? readFileSync(log, 'utf8') : '');
    const out = readFileSync(log, 'utf8');
    assert.match(out, new RegExp(`^job ${id}, start 0 on n\\[1-5\\]$`, 'm'));
    assert.match(out, /scr prerun: 5 of 5 node\(s\) usable/);
    assert.match(out, /run 1 of at most 3 on n1,n2,n3,n4; spares: n5/);
    assert.equal(result(out)?.step, 20);
    assert.equal(index(prefix).find((d) => d.current)?.flushed, true);
    assert.doesNotMatch(out, /requeueing/, 'a finished job is not requeued, --requeue or not');
    assert.match(c.cmd('scontrol', ['show', 'job', id]), /Restarts=0/);
  });

  // Not MPICH's mpirun: on fake nodes its hydra sees one host and starts every rank on the first
  // node (measured: all ranks had SLURMD_NODENAME=n1), which real nodes do not do.
  for (const [flavour, launch] of [['openmpi', 'run mpirun.openmpi -np 4'], ['mpich', 'srun -n 4 --mpi=pmi2']] as const) {
    it(`scr ${launch.split(' -')[0]} (${flavour}): the job runs across the nodes, each rank caching on its own node`, async function () {
      if (!builtFlavours().includes(flavour)) skipBecause(this, 'scripts/setup builds both bindings; CI has them');
      const j = job(`${SCR} ${launch} ${HEAT} --steps 10; echo "exit $?"`,
        'export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 SCR_MPI=' + flavour);
      const id = sbatch(c, j.script, ['-N', '4', '-o', j.log]);
      assert.equal(await waitJob(c, id, (s) => !/PENDING|RUNNING|CONFIGURING|COMPLETING/.test(s), 120_000), 'COMPLETED');
      const out = readFileSync(j.log, 'utf8');
      assert.match(out, /^exit 0$/m, out);
      assert.equal(result(out)?.step, 10);
      const nodes = ['n1', 'n2', 'n3', 'n4'];
      const held = (n: string) => readdirSync(join(c.localOf(n), j.name, 'cache', 'root', `scr.${id}`)).sort();
      if (c.nodeLocal) for (const n of nodes) assert.deepEqual(held(n), [`node.${n}`]);
      else assert.deepEqual(held('n1'), nodes.map((n) => `node.${n}`));
    });
  }

  it('reference: the same job for 30 steps without a failure', async () => {
    const j = job(`${SCR} srun -N 4 -n 4 --mpi=pmix ${HEAT} --steps 30`);
    const id = sbatch(c, j.script, ['-N', '4', '-o', j.log]);
    assert.equal(await waitJob(c, id, (s) => !/PENDING|RUNNING|CONFIGURING|COMPLETING/.test(s), 120_000), 'COMPLETED');
    reference = result(readFileSync(j.log, 'utf8'))!.checksum;
    assert.match(reference, /^[0-9a-f]{16}$/);
  });

  it('a node set DOWN mid-run (--no-kill): relaunch on the rest plus the spare, restart from the rebuilt checkpoint', async () => {
    assert.ok(reference, 'needs the reference run');
    const j = job(`${SCR} prerun >/dev/null\n${SCR} srun -N 4 -n 4 --mpi=pmix ${HEAT} --steps 30 --step-ms 100; echo "srun exit $?"\n` +
      `${SCR} list-down-nodes --reason; echo "list-down-nodes exit $?"`, 'export SCR_RUNS=2');
    const id = sbatch(c, j.script, ['-N', '5', '--no-kill', '-o', j.log]);
    await waitCheckpoints(j.prefix, 2);
    // n3 dies: its slurmd and its ranks are killed, its cache is lost, and Slurm marks it DOWN.
    c.killNode('n3');
    killByEnv(['SLURMD_NODENAME=n3', `SLURM_JOB_ID=${id}`]);
    for (const d of ['cache', 'cntl']) rmSync(join(c.localOf('n3'), j.name, d, 'root', `scr.${id}`, 'node.n3'), { recursive: true, force: true });
    c.cmd('scontrol', ['update', 'NodeName=n3', 'State=DOWN', 'Reason=scr-test-failure']);
    assert.equal(await waitJob(c, id, (s) => !/PENDING|RUNNING|CONFIGURING|COMPLETING/.test(s), 120_000), 'COMPLETED');
    const out = readFileSync(j.log, 'utf8');
    assert.match(out, /node n3 is down \(Slurm state down\*?.*scr-test-failure\)/);
    assert.match(out, /run 2 of at most 2 on n1,n2,n5,n4 \(moved: n3→n5\)/);
    assert.match(out, /rebuilt dataset heat\.\d+: files of rank\(s\) 2 restored from XOR redundancy/);
    assert.match(out, /heat: restarted from checkpoint heat\.\d+/);
    assert.match(out, /^srun exit 0$/m);
    assert.match(out, /^n3: Slurm state down/m);
    assert.match(out, /^list-down-nodes exit 1$/m);
    assert.equal(result(out)?.checksum, reference, 'the result equals the failure-free run\'s');
    // scr report on the job's prefix: two runs, the first failed with n3 down, the second restarted from the rebuilt checkpoint.
    const restarted = /heat: restarted from checkpoint (heat\.\d+)/.exec(out)![1];
    const rep = JSON.parse(c.cmd(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), 'report', '--json', '--prefix', j.prefix, '--html', join(c.dir, j.name, 'report.html')]));
    const s = rep.summary as Summary;
    const story = JSON.stringify({ runs: s.runs, failures: s.failures, restarts: s.restarts });
    assert.deepEqual(rep.malformed, []);
    assert.deepEqual(s.jobs.map((x) => [x.job, x.runs]), [[id, 2]], story);
    assert.deepEqual(s.runs.map((r) => [r.run, r.failed]), [[1, true], [2, false]], story);
    assert.deepEqual(s.failures.map((f) => [f.run, f.nodesDown]), [[1, ['n3']]], story);
    // The failure's last checkpoint is the newest one logged. The restart is from it, or from the
    // next one: when n3 died inside that one's completeOutput after the survivors had recorded
    // it, the rebuild completes it, but rank 0 never logged it.
    const stepOf = (name: string | null | undefined) => Number(String(name).split('.')[1]);
    const logged = eventsOf(j.prefix, 'CHECKPOINT').map((l) => stepOf(/name=(\S+)/.exec(l)![1]));
    const every = logged[1]! - logged[0]!;
    assert.ok([0, every].includes(stepOf(restarted) - stepOf(s.failures[0]!.lastCheckpoint)), `${restarted} vs ${s.failures[0]!.lastCheckpoint}: ${story}`);
    assert.deepEqual(s.restarts.map((r) => [r.run, r.name, r.from]), [[2, restarted, 'rebuilt in cache']], story);
    assert.ok(s.levels.cache.count >= 2 && s.levels.cache.medianBlocking! > 0 && s.checkpointShare! > 0, JSON.stringify(s.levels));
    assert.match(readFileSync(join(c.dir, j.name, 'report.html'), 'utf8'), /<figure id="cost"><svg/);
  });

  it('scancel --signal=USR1: clean halt, scavenge, requeue; the requeued job resumes from the checkpoint', async () => {
    assert.ok(reference, 'needs the reference run');
    const j = job(`${SCR} prerun >/dev/null\nexec ${SCR} srun --requeue -N 4 -n 4 --mpi=pmix ${HEAT} --steps 30 --step-ms 150`);
    // n3 may still be down from the test before: ask for 4 nodes.
    const id = sbatch(c, j.script, ['-N', '4', '--open-mode=append', '-o', j.log]);
    await waitCheckpoints(j.prefix, 2);
    c.cmd('scancel', ['--signal=USR1', '--batch', id]);
    await waitJob(c, id, (s) => s === 'COMPLETED' || s === 'FAILED' || s === 'CANCELLED', 150_000);
    const out = readFileSync(j.log, 'utf8');
    assert.equal(jobState(c, id), 'COMPLETED', out);
    assert.match(c.cmd('scontrol', ['show', 'job', id]), /Restarts=1/);
    const halted = /heat: halting at step (\d+) as scr asked/.exec(out);
    assert.ok(halted, out);
    assert.match(out, /halting the job: SIGUSR1 from the scheduler/);
    assert.match(out, new RegExp(`scavenged heat\\.${halted[1]}: copied rank\\(s\\) 0,1,2,3`));
    assert.match(out, /requeueing the job \(scontrol requeue\)/);
    assert.match(out, /^start restart=1$/m);
    assert.match(out, new RegExp(`heat: restarted from checkpoint heat\\.${halted[1]} \\(step ${halted[1]}\\)`));
    assert.equal(result(out)?.checksum, reference);
    assert.deepEqual(Object.keys(JSON.parse(c.cmd(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), 'halt', '--json', '--prefix', j.prefix])).halt)
      .filter((k) => k !== 'finalized' && k !== 'finalizedJob'), [], 'the wrapper\'s halt reason is gone');
  });

  it('SCR_HALT_SECONDS: the wrapper halts the job itself from squeue\'s remaining time, then requeues it', async () => {
    assert.ok(reference, 'needs the reference run');
    // The application is kept from seeing SCR_END_TIME, so only the wrapper's own halt can stop it.
    const j = job(`exec ${SCR} srun --requeue -N 2 -n 2 --mpi=pmix env -u SCR_END_TIME ${HEAT} --steps 100 --step-ms 150`, 'export SCR_HALT_SECONDS=110');
    const id = sbatch(c, j.script, ['-N', '2', '-t', '2', '--open-mode=append', '-o', j.log]);
    await waitJob(c, id, (s) => s === 'COMPLETED' || s === 'FAILED' || s === 'CANCELLED', 150_000);
    const out = readFileSync(j.log, 'utf8');
    assert.equal(jobState(c, id), 'COMPLETED', out);
    assert.match(out, /halting the job: the allocation ends in (\d+) s \(SCR_HALT_SECONDS=110\)/);
    const left = Number(/the allocation ends in (\d+) s/.exec(out)![1]);
    assert.ok(left >= 100 && left < 110, `halted with ${left} s left`);
    const halted = /heat: halting at step (\d+) as scr asked/.exec(out);
    assert.ok(halted, out);
    assert.match(out, /requeueing the job/);
    assert.match(out, /^start restart=1$/m);
    assert.match(out, new RegExp(`heat: restarted from checkpoint heat\\.${halted[1]}`));
    assert.equal(result(out)?.step, 100);
  });

  it('scr halt --seconds is weighed against the real remaining time (squeue)', async () => {
    const j = job(`${SCR} srun -N 2 -n 2 --mpi=pmix ${HEAT} --steps 100000 --step-ms 100; echo "srun exit $?"`);
    const id = sbatch(c, j.script, ['-N', '2', '-t', '10', '-o', j.log]);
    await waitCheckpoints(j.prefix, 1);
    // 10 minutes remain: a 60 s margin does not halt the job ...
    const halt = (args: string[]) => c.cmd(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), 'halt', '--prefix', j.prefix, ...args]);
    halt(['--seconds', '60']);
    const n = checkpoints(j.prefix);
    await waitCheckpoints(j.prefix, n + 2);
    assert.equal(jobState(c, id), 'RUNNING');
    // ... a 3600 s one does at once.
    halt(['--seconds', '3600']);
    await waitJob(c, id, (s) => !/PENDING|RUNNING|CONFIGURING|COMPLETING/.test(s), 60_000);
    const out = readFileSync(j.log, 'utf8');
    assert.match(out, /heat: halting at step \d+ as scr asked/);
    assert.match(out, /stopping: allocation ends in (\d+) s \(< 3600 s\)/);
    const left = Number(/allocation ends in (\d+) s/.exec(out)![1]);
    assert.ok(left > 500 && left <= 600, `remaining ${left} s, from the 10-minute limit`);
    assert.match(out, /^srun exit 1$/m, 'halted, not finished');
  });

  it('scr halt --immediate ends the running step at once', async () => {
    const j = job(`${SCR} srun -N 2 -n 2 sleep 300; echo "srun exit $?"`);
    const id = sbatch(c, j.script, ['-N', '2', '-o', j.log]);
    await waitJob(c, id, (s) => s === 'RUNNING', 30_000);
    const end = Date.now() + 30_000;
    while (!/run 1 of/.test(existsSync(j.log) ? readFileSync(j.log, 'utf8') : '')) {
      if (Date.now() > end) throw new Error('the run did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = Date.now();
    c.cmd(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), 'halt', '--immediate', '--prefix', j.prefix]);
    await waitJob(c, id, (s) => !/PENDING|RUNNING|CONFIGURING|COMPLETING/.test(s), 60_000);
    assert.ok(Date.now() - t0 < 20_000, `the step ended ${(Date.now() - t0) / 1000} s after the request`);
    const out = readFileSync(j.log, 'utf8');
    assert.match(out, /scr halt --immediate: ending the running step/);
    assert.match(out, /stopping: halt requested: halt --immediate/);
    assert.match(out, /^srun exit 1$/m);
  });

  // Last: it takes another node away.
  it('a node lost with no relaunch left: postrun copies the other nodes\' caches (each from its node) and rebuilds the lost rank', async () => {
    const j = job(`${SCR} srun -N 4 -n 4 --mpi=pmix ${HEAT} --steps 30 --step-ms 100; echo "srun exit $?"\n${SCR} index --verify --prefix ${'$'}SCR_PREFIX; echo "verify exit $?"`);
    const id = sbatch(c, j.script, ['-N', '4', '--no-kill', '-o', j.log]);
    await waitCheckpoints(j.prefix, 2);
    // The job's nodes in rank order (a node lost by an earlier test is not among them); the last one dies.
    const nodes = c.cmd('scontrol', ['show', 'hostnames', c.cmd('squeue', ['-h', '-j', id, '-o', '%N']).trim()]).trim().split('\n');
    const victim = nodes[nodes.length - 1]!;
    c.killNode(victim);
    killByEnv([`SLURMD_NODENAME=${victim}`, `SLURM_JOB_ID=${id}`]);
    for (const d of ['cache', 'cntl']) rmSync(join(c.localOf(victim), j.name, d, 'root', `scr.${id}`, `node.${victim}`), { recursive: true, force: true });
    c.cmd('scontrol', ['update', `NodeName=${victim}`, 'State=DOWN', 'Reason=scr-test-failure']);
    await waitJob(c, id, (s) => !/PENDING|RUNNING|CONFIGURING|COMPLETING/.test(s), 120_000);
    const out = readFileSync(j.log, 'utf8');
    assert.match(out, /stopping: SCR_RUNS=1 launches used up/);
    const lost = nodes.indexOf(victim);
    assert.match(out, new RegExp(`postrun: leaving out ${victim}: Slurm state down`));
    assert.doesNotMatch(out, /warning: node/, 'the dead node is not asked');
    const kept = [0, 1, 2, 3].filter((r) => r !== lost).join(',');
    assert.match(out, new RegExp(`postrun: scavenged heat\\.\\d+: copied rank\\(s\\) ${kept}, rebuilt rank\\(s\\) ${lost}`));
    assert.match(out, /^srun exit 1$/m);
    assert.match(out, /^verify exit 0$/m);
  });
});
