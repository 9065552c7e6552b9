// Batch jobs on a real Grid Engine (sge_qmaster + 4 sge_execd fake exec hosts on this host, each in
// its own network, UTS and mount namespaces: test/harness/sge.ts) using scr prerun / run mpirun /
// postrun / list-down-nodes / env, with the heat example as the application under Open MPI, whose
// mpirun starts its daemons on the job's other hosts by qrsh -inherit. The fake hosts share /dev/shm,
// so Open MPI's shared-memory transport is switched off (its segment names could collide).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type SgeCluster, sgeOrSkip, qsub, waitJobEnd } from '../harness/sge.js';

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

  const checkpoints = (prefix: string): number => {
    const log = join(prefix, '.scr', 'log');
    return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => / CHECKPOINT /.test(l)).length : 0;
  };
  async function waitCheckpoints(prefix: string, n: number, ms = 120_000): Promise<void> {
    const end = Date.now() + ms;
    while (checkpoints(prefix) < n) {
      if (Date.now() > end) throw new Error(`fewer than ${n} checkpoints in ${prefix} after ${ms / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
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

  it('a host made unusable mid-run (qmod -d, its tasks killed): list-down-nodes names its state, the relaunch leaves it out and restarts from the rebuilt checkpoint', async () => {
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
});
