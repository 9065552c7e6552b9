// Batch jobs on a real Grid Engine (sge_qmaster + 4 sge_execd fake exec hosts on this host, each in
// its own network, UTS and mount namespaces: test/harness/sge.ts) using scr prerun / run mpirun /
// postrun / list-down-nodes / env, with the heat example as the application under Open MPI, whose
// mpirun starts its daemons on the job's other hosts by qrsh -inherit. The fake hosts share /dev/shm,
// so Open MPI's shared-memory transport is switched off (its segment names could collide).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtFlavours } from '../../src/native/paths.js';
import { type SgeCluster, sgeOrSkip, qsub, waitFor, waitJobEnd } from '../harness/sge.js';
import { waitForEvents } from '../harness/event-log.js';

const root = join(import.meta.dirname, '..', '..', '..');
const CLI = join(root, 'dist', 'src', 'cli', 'main.js');
const SCR = `${process.execPath} ${CLI}`;
const HEAT = `${process.execPath} ${join(root, 'dist', 'examples', 'heat.js')} --cells 100000 --every 5`;

describe('scr on real Grid Engine (4 fake exec hosts)', function () {
  this.timeout(300_000);
  let c: SgeCluster;
  let count = 0;

  before(async function () {
    this.timeout(120_000);
    c = await sgeOrSkip(this, 4);
  });

  after(async function () {
    this.timeout(60_000);
    await c?.stop();
  });

  /** A batch script with private prefix, cache and control directories; `body` follows. It writes
   * the job's hosts (PE_HOSTFILE) to `hosts`. */
  function job(body: string, extraEnv = ''): { name: string; script: string; prefix: string; log: string; hosts: string } {
    const name = `j${++count}`;
    const dir = join(c.dir, name);
    const prefix = join(dir, 'prefix');
    mkdirSync(prefix, { recursive: true });
    const hosts = join(dir, 'hosts');
    const script = [
      '#!/bin/bash',
      `export SCR_PREFIX=${prefix} SCR_CACHE_BASE=${c.local}/${name}/cache SCR_CNTL_BASE=${c.local}/${name}/cntl SCR_SYSTEM_CONF=/dev/null`,
      'export SCR_COPY_TYPE=XOR SCR_FLUSH=0 OMPI_MCA_btl=self,tcp OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1',
      extraEnv,
      `awk '{print $1}' "$PE_HOSTFILE" > ${hosts}`,
      'echo "start restarted=$RESTARTED on $(hostname)"',
      body,
      '',
    ].join('\n');
    return { name, script, prefix, log: join(dir, 'out.log'), hosts };
  }

  const waitCheckpoints = (prefix: string, n: number) => waitForEvents(prefix, 'CHECKPOINT', n);
  const result = (out: string) => out.split('\n').filter((l) => l.startsWith('{"step"')).map((l) => JSON.parse(l) as { step: number; checksum: string }).pop();
  const logOf = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8') : '(no output)');

  it('prerun, run mpirun (Open MPI over qrsh -inherit) and postrun: nodes from PE_HOSTFILE, the end from h_rt, each rank caching on its own host', async () => {
    const j = job([
      `${SCR} prerun`,
      `${SCR} env --json`,
      `${SCR} list-down-nodes; echo "list-down-nodes exit $?"`,
      `${SCR} run mpirun.openmpi -np 4 ${HEAT} --steps 20; echo "run exit $?"`,
      `${SCR} postrun; echo "postrun exit $?"`,
    ].join('\n'));
    const submitted = Date.now() / 1000;
    const id = qsub(c, j.script, ['-pe', 'scr', '4', '-l', 'h_rt=600', '-o', j.log, '-j', 'y']);
    const status = await waitJobEnd(c, id, 180_000);
    const out = logOf(j.log);
    assert.equal(status, 0, out);
    const hosts = readFileSync(j.hosts, 'utf8').trim().split('\n');
    assert.deepEqual([...hosts].sort(), ['n1', 'n2', 'n3', 'n4'], out);
    assert.match(out, /scr prerun: 4 of 4 node\(s\) usable/);
    const env = JSON.parse(/^\{\n[\s\S]*?\n\}$/m.exec(out)![0]);
    assert.equal(env.rm, 'sge');
    assert.equal(env.jobid, id);
    // The end is the job's start (after the submit) plus h_rt.
    assert.ok(env.endtime >= Math.floor(submitted) + 600 && env.endtime <= Date.now() / 1000 + 600, JSON.stringify(env));
    assert.ok(env.remaining > 400 && env.remaining <= 600, JSON.stringify(env));
    assert.match(out, /^list-down-nodes exit 0$/m);
    assert.match(out, /run 1 of at most 1 on /);
    assert.match(out, /^run exit 0$/m, out);
    assert.equal(result(out)?.step, 20);
    // The scavenge read every host's cache by qrsh -inherit.
    assert.match(out, /scavenged heat\.20: copied rank\(s\) 0,1,2,3/, out);
    assert.match(out, /^postrun exit 0$/m);
    assert.ok(existsSync(join(j.prefix, 'heat.20', 'slab.3.f64')), 'the files are under the prefix');
    for (const n of hosts) assert.deepEqual(readdirSync(join(c.localOf(n), j.name, 'cache', 'root', `scr.${id}`)), [`node.${n}`], `${n}'s own cache`);
  });

  it('scr run mpirun.mpich: hydra, told -launcher sge, starts its proxies by qrsh -inherit; each rank caches on its own host', async function () {
    if (!builtFlavours().includes('mpich')) this.skip(); // scripts/setup builds both bindings
    const j = job(`${SCR} run mpirun.mpich -np 4 ${HEAT} --steps 10; echo "run exit $?"`, 'export SCR_MPI=mpich');
    const id = qsub(c, j.script, ['-pe', 'scr', '4', '-o', j.log, '-j', 'y']);
    assert.equal(await waitJobEnd(c, id, 180_000), 0, logOf(j.log));
    const out = logOf(j.log);
    assert.match(out, /^run exit 0$/m, out);
    assert.equal(result(out)?.step, 10);
    for (const n of readFileSync(j.hosts, 'utf8').trim().split('\n')) {
      assert.deepEqual(readdirSync(join(c.localOf(n), j.name, 'cache', 'root', `scr.${id}`)), [`node.${n}`], `${n}'s own cache`);
    }
  });

  it('a host made unusable mid-run (qmod -d, its ranks killed): list-down-nodes names its state, the relaunch leaves it out and restarts from the rebuilt checkpoint', async () => {
    const j = job(`${SCR} prerun >/dev/null\n${SCR} run mpirun.openmpi -np 4 ${HEAT} --steps 30 --step-ms 100; echo "run exit $?"\n` +
      `${SCR} list-down-nodes --reason; echo "list-down-nodes exit $?"`, 'export SCR_RUNS=2 OMPI_MCA_rmaps_base_oversubscribe=1');
    const id = qsub(c, j.script, ['-pe', 'scr', '4', '-o', j.log, '-j', 'y']);
    await waitCheckpoints(j.prefix, 2);
    // The last host (not the one running the script) fails: Grid Engine's admin disables its queue
    // instance, its processes die, its cache is lost.
    const hosts = readFileSync(j.hosts, 'utf8').trim().split('\n');
    const victim = hosts.at(-1)!;
    try {
      c.cmd('qmod', ['-d', `scr.q@${victim}`]);
      assert.ok(c.killRanksOn(victim) > 0, `nothing ran on ${victim}`);
      for (const d of ['cache', 'cntl']) rmSync(join(c.localOf(victim), j.name, d, 'root', `scr.${id}`, `node.${victim}`), { recursive: true, force: true });
      await waitJobEnd(c, id, 180_000);
    } finally {
      c.cmd('qmod', ['-e', `scr.q@${victim}`]);
    }
    const out = logOf(j.log);
    const why = `Grid Engine queue scr\\.q@${victim} state d \\(disabled\\)`;
    assert.match(out, new RegExp(`node ${victim} is down \\(${why}\\)`), out);
    const run2 = /run 2 of at most 2 on (\S+)/.exec(out);
    assert.ok(run2, out);
    assert.deepEqual(run2[1]!.split(',').sort(), hosts.filter((h) => h !== victim).sort(), out);
    assert.match(out, /rebuilt dataset heat\.\d+: files of rank\(s\) \d restored from XOR redundancy/, out);
    assert.match(out, /heat: restarted from checkpoint heat\.\d+/);
    assert.match(out, /^run exit 0$/m, out);
    assert.equal(result(out)?.step, 30);
    assert.match(out, new RegExp(`^${victim}: ${why}$`, 'm'));
    assert.match(out, /^list-down-nodes exit 1$/m);
  });

  it('SCR_HALT_SECONDS against h_rt: the wrapper halts the job itself, then reschedules it (qmod -rj); the rerun resumes from the checkpoint', async () => {
    // The application is kept from seeing SCR_END_TIME, so only the wrapper's own halt can stop it.
    const j = job(`exec ${SCR} run --requeue mpirun.openmpi -np 2 env -u SCR_END_TIME ${HEAT} --steps 200 --step-ms 150`, 'export SCR_HALT_SECONDS=95');
    const id = qsub(c, j.script, ['-pe', 'scr', '2', '-l', 'h_rt=120', '-o', j.log, '-j', 'y']);
    await waitJobEnd(c, id, 240_000);
    const out = logOf(j.log);
    assert.match(out, /halting the job: the allocation ends in (\d+) s \(SCR_HALT_SECONDS=95\)/, out);
    const left = Number(/the allocation ends in (\d+) s/.exec(out)![1]);
    assert.ok(left >= 85 && left < 95, `halted with ${left} s left`);
    const halted = /heat: halting at step (\d+) as scr asked/.exec(out);
    assert.ok(halted, out);
    assert.match(out, /requeueing the job/);
    // Grid Engine reran it (RESTARTED=1), appending to the same output file.
    assert.match(out, /^start restarted=1 on /m, out);
    assert.match(out, new RegExp(`heat: restarted from checkpoint heat\\.${halted[1]}`));
    assert.equal(result(out)?.step, 200);
  });

  it('scr clean asks qstat: an ended job\'s directories go, a queued or running job\'s stay', async () => {
    const sleeper = qsub(c, '#!/bin/bash\nsleep 120\n', ['-pe', 'scr', '1', '-o', '/dev/null', '-j', 'y']);
    try {
      const dirs = (id: string) => ['$SCR_CNTL_BASE', '$SCR_CACHE_BASE/scr.dataset.1'].map((b) => `${b.replace(/\/scr\.dataset\.1$/, '')}/root/scr.${id}/node.$(hostname)${b.endsWith('.1') ? '/scr.dataset.1' : ''}`);
      const make = (id: string) => dirs(id).map((d) => `mkdir -p ${d} && head -c 100 /dev/zero > ${d}/rank0.dat`).join('\n');
      // A Grid Engine site without Slurm: on this host squeue is installed but has no configuration
      // here, and scr clean then keeps every id Slurm could own (digits), as it should when a
      // queue it could ask fails.
      const j = job(`${make('99999')}\n${make(sleeper)}\nPATH=/usr/lib/gridengine ${SCR} clean; echo "clean exit $?"`);
      const id = qsub(c, j.script, ['-pe', 'scr', '1', '-o', j.log, '-j', 'y']);
      assert.equal(await waitJobEnd(c, id, 120_000), 0, logOf(j.log));
      const out = logOf(j.log);
      assert.match(out, /^removed job 99999: /m, out);
      assert.match(out, new RegExp(`^kept job ${sleeper}: .*qstat lists it`, 'm'), out);
      assert.match(out, /^clean exit 0$/m);
    } finally {
      c.cmd('qdel', [sleeper]);
    }
  });

  // Last: it leaves a host without its execd.
  it('a host whose execd died: list-down-nodes names it unknown (u) once the qmaster stops hearing from it', async () => {
    const go = join(c.dir, 'go');
    const j = job(`while [ ! -e ${go} ]; do sleep 0.2; done\nqstat -f -q ${c.queue}\n${SCR} list-down-nodes --reason; echo "list-down-nodes exit $?"`);
    const id = qsub(c, j.script, ['-pe', 'scr', '4', '-o', j.log, '-j', 'y']);
    // The script's `start` line follows the awk that writes the hosts (the shell makes the file
    // empty before awk fills it).
    const end = Date.now() + 60_000;
    while (!/^start restarted=/m.test(logOf(j.log))) {
      if (Date.now() > end) throw new Error(`job ${id} did not start: ${logOf(j.log)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const victim = readFileSync(j.hosts, 'utf8').trim().split('\n').at(-1)!;
    assert.match(victim, /^n\d$/, `a host of the job: ${readFileSync(j.hosts, 'utf8')}`);
    c.killNode(victim);
    // max_unheard is 15 s (test/harness/sge.ts).
    await waitFor(() => new RegExp(`^${c.queue}@${victim}\\s.*\\s\\S*u\\S*\\s*$`, 'm').test(c.cmd('qstat', ['-f', '-q', c.queue])), 90_000, `${victim} shown as unknown`);
    writeFileSync(go, '');
    await waitJobEnd(c, id, 120_000);
    const out = logOf(j.log);
    assert.match(out, new RegExp(`^${victim}: Grid Engine queue scr\\.q@${victim} state a?u \\(unknown: its execd does not answer\\)$`, 'm'), out);
    assert.equal(out.split('\n').filter((l) => /^n\d: /.test(l)).length, 1, 'only the victim is down');
    assert.match(out, /^list-down-nodes exit 1$/m);
  });
});
