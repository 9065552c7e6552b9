// The behaviour every resource-manager adapter must share, checked the same way for each over its
// stand-in commands (test/fixtures/standin/<rm>/): scr env, scr list-down-nodes, scr prerun, and a
// batch job under `scr run` that loses a node mid-run — the node is marked down where the manager
// reports it, its ranks are killed and its storage is deleted — then is relaunched without it,
// restarts from the rebuilt checkpoint with the same result as a run without failures, and is
// scavenged from every node's own storage to the file system.
// Each simulated node has private storage at one path (a mount namespace per node, as
// test/harness/nodes.ts gives ranks): the per-node command `on-node` written into the state
// directory enters it, and every stand-in that runs something on a node goes through it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compressHostlist } from '../../src/common/hostlist.js';
import { killByEnv } from '../../src/rm/procs.js';
import { cleanEnv, SCR_BIN, scr } from './cli.js';
import { cleanupNodeJob, hostPath, loseNode, newNodeJob, type NodeJob, nodeDir, privateNodesMissing } from './nodes.js';
import { waitForEvents } from './event-log.js';

/** What a manager's test gives the suite (test/harness/standin-<rm>.ts). */
export interface StandinFixture {
  /** The variables a job of this manager has (its job id, node file…) and SCR_STANDIN_STATE. */
  env: Record<string, string>;
  /** The directory of its stand-in commands, put first on PATH. */
  path: string;
  /** The `scr run` words before the application that run `ranks` ranks over `nodes` nodes. */
  runArgs(nodes: number, ranks: number): string[];
  markDown(node: string, reason: string): void;
  /** The allocation's end, epoch seconds; null: no limit. */
  setEnd(epoch: number | null): void;
}

export type MakeFixture = (state: string, nodes: string[]) => StandinFixture;

const ROOT = join(import.meta.dirname, '..', '..');

/** A manager's stand-in commands, test/fixtures/standin/<name> (not compiled: this file runs from
 * dist/test/harness). */
export const standinDir = (name: string): string => join(ROOT, '..', 'test', 'fixtures', 'standin', name);
const HEAT = join(ROOT, 'examples', 'heat.js');
// 25 steps of 150 ms: after the 2nd checkpoint (step 10), where runLosing kills a node, 2 s or
// more of the run remain, so the kill lands in the run even on a loaded machine.
const HEAT_ARGS = ['--steps', '25', '--every', '5', '--cells', '50000'];
const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

/** The node command: its own mount namespace, `<root>/local` bound to the node's directory, every
 * other node's directory hidden, then the command with SCR_NODE_NAME set. */
function onNodeScript(job: NodeJob): string {
  return [
    '#!/bin/sh',
    'node=$1; shift',
    `src=${job.root}/local.$node`,
    'mkdir -p "$src"',
    `exec unshare -m --propagation private sh -c 'src=$1; dst=$2; root=$3; node=$4; shift 4`,
    'mount --rbind "$src" "$dst" || exit 97',
    'for d in "$root"/local.*; do mount -t tmpfs -o ro,size=4k tmpfs "$d" || exit 97; done',
    `exec env SCR_NODE_NAME="$node" "$@"' scr-node "$src" ${job.local} ${job.root} "$node" "$@"`,
    '',
  ].join('\n');
}

let reference: Promise<string> | undefined;
/** The heat example's checksum without scr's help or any failure (4 ranks). */
function referenceChecksum(env: Record<string, string>): Promise<string> {
  reference ??= run('mpirun.openmpi', ['-np', '4', process.execPath, HEAT, ...HEAT_ARGS],
    { ...env, SCR_ENABLE: '0', OMPI_MCA_rmaps_base_oversubscribe: '1', OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' }, 120_000)
    .then((r) => {
      const sum = checksumOf(r.stdout);
      if (!sum) throw new Error(`the reference run printed no checksum (exit ${r.code}): ${r.stderr.slice(-400)}`);
      return sum;
    });
  return reference;
}

const checksumOf = (out: string): string | undefined =>
  out.split('\n').filter((l) => l.startsWith('{"step"')).map((l) => (JSON.parse(l) as { checksum: string }).checksum).pop();

interface Ran { code: number | null; stdout: string; stderr: string }
function run(cmd: string, args: string[], env: Record<string, string>, timeoutMs: number, whileRunning?: () => Promise<void>): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    whileRunning?.().catch((e: Error) => { stderr += `\n(test: ${e.message})`; try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } });
  });
}


/** The mocha suite for one manager: `name` as `scr env` prints it. */
export function conformance(name: string, make: MakeFixture): void {
  describe(`${name}: the batch-script commands over stand-in commands, nodes with private storage`, function () {
    this.timeout(240_000);
    const missing = privateNodesMissing();
    let job: NodeJob;
    let state: string;
    let fx: StandinFixture;
    let env: Record<string, string>;

    beforeEach(function () {
      if (missing) { console.log(`      skipped: ${missing}`); this.skip(); }
      job = newNodeJob();
      state = join(job.root, 'state');
      mkdirSync(state);
      writeFileSync(join(state, 'on-node'), onNodeScript(job));
      chmodSync(join(state, 'on-node'), 0o755);
      fx = make(state, NODES);
      env = cleanEnv({
        ...fx.env, SCR_STANDIN_STATE: state, PATH: `${fx.path}:${process.env.PATH}`,
        SCR_PREFIX: job.prefix, SCR_CACHE_BASE: join(job.local, 'cache'), SCR_CNTL_BASE: join(job.local, 'cntl'),
        SCR_SYSTEM_CONF: '/dev/null', SCR_USER_NAME: job.user, SCR_COPY_TYPE: 'XOR', SCR_FLUSH: '0',
      });
    });

    afterEach(() => {
      if (!job) return;
      killByEnv([`SCR_STANDIN_STATE=${state}`], 'SIGKILL');
      cleanupNodeJob(job);
    });

    const cli = (args: string[]) => scr(args, { env, cwd: job.prefix });

    /** The heat example on 4 nodes, by `scr run` (SCR_RUNS=`runs`) or, with runs 0, by the stand-in
     * launcher alone (no wrapper); once 2 checkpoints are logged, `node` dies: the manager reports it
     * down, its ranks are killed, its storage is gone. */
    const runLosing = (node: string, runs: number): Promise<Ran> => {
      const app = [process.execPath, HEAT, ...HEAT_ARGS, '--step-ms', '150'];
      const [cmd, ...args] = runs ? [process.execPath, SCR_BIN, 'run', ...fx.runArgs(4, 4), ...app] : [join(standinDir('common'), 'mpmd'), 'n1:1', 'n2:1', 'n3:1', 'n4:1', '--', ...app];
      return run(cmd!, args, { ...env, SCR_RUNS: String(runs || 1) }, 200_000, async () => {
        await waitForEvents(job.prefix, 'CHECKPOINT', 2);
        fx.markDown(node, 'scr-test-failure');
        killByEnv([`SCR_NODE_NAME=${node}`, `SCR_STANDIN_STATE=${state}`], 'SIGKILL');
        loseNode(job, node);
      });
    };
    const jsonOf = <T>(r: { code: number | null; stdout: string; stderr: string }): T => {
      try { return JSON.parse(r.stdout) as T; } catch { throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`); }
    };

    it('scr env: the manager, its job id, every node, and the end time (none when unlimited)', () => {
      const end = Math.floor(Date.now() / 1000) + 3600;
      fx.setEnd(end);
      let e = jsonOf<Record<string, unknown>>(cli(['env', '--json']));
      assert.equal(e.rm, name);
      assert.equal(e.nodes, compressHostlist(NODES));
      assert.equal(e.runnodes, compressHostlist(NODES));
      assert.ok(Math.abs(Number(e.endtime) - end) <= 60, `endtime ${String(e.endtime)} vs ${end}`);
      assert.ok(Number(e.remaining) > 3500 && Number(e.remaining) <= 3600, String(e.remaining));
      assert.equal(cli(['env', '--jobid']).stdout.trim(), e.jobid);
      fx.setEnd(null);
      e = jsonOf<Record<string, unknown>>(cli(['env', '--json']));
      assert.equal(e.endtime, null);
    });

    it('scr list-down-nodes: none (exit 0), then the node the manager reports down, with its reason (exit 1)', () => {
      let r = cli(['list-down-nodes']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      fx.markDown('n4', 'scr-test-broken');
      r = cli(['list-down-nodes', '--reason']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /^n4: \S.*$/m);
      assert.equal(r.stdout.trim().split('\n').length, 1, r.stdout);
      const j = jsonOf<{ down: Record<string, string>; up: string[] }>(cli(['list-down-nodes', '--json']));
      assert.deepEqual(Object.keys(j.down), ['n4']);
      assert.deepEqual(j.up, ['n1', 'n2', 'n3', 'n5']);
      assert.equal(jsonOf<{ runnodes: string }>(cli(['env', '--json'])).runnodes, 'n[1-3,5]');
    });

    it('scr prerun: every node checks its own storage where it is; a down node is named and left out', () => {
      fx.markDown('n2', 'scr-test-broken');
      const r = cli(['prerun', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const p = jsonOf<{ resourceManager: string; nodes: Array<{ node: string; ok: boolean }>; bad: Record<string, string>; usable: string[] }>(r);
      assert.equal(p.resourceManager, name);
      assert.deepEqual(p.nodes.map((c) => [c.node, c.ok]).sort(), [['n1', true], ['n3', true], ['n4', true], ['n5', true]]);
      assert.deepEqual(Object.keys(p.bad), ['n2']);
      assert.deepEqual(p.usable, ['n1', 'n3', 'n4', 'n5']);
      // Each check made the job's control directory in that node's own storage, and only there.
      const jobId = jsonOf<{ jobid: string }>(cli(['env', '--json'])).jobid;
      const cntl = (node: string) => hostPath(job, node, join(job.local, 'cntl', job.user, `scr.${jobId}`));
      for (const n of ['n1', 'n3', 'n4', 'n5']) assert.ok(existsSync(cntl(n)), `${n}: ${cntl(n)}`);
      assert.ok(!existsSync(join(job.local, 'cntl')), 'nothing was made in the batch node\'s own storage');
      assert.ok(!existsSync(nodeDir(job, 'n2')), 'the down node was not asked');
    });

    it('scr run: a node lost mid-run is left out of the relaunch; the job restarts from the rebuilt checkpoint, ends as a run without failure, and is scavenged from every node', async () => {
      const want = await referenceChecksum(env);
      const r = await runLosing('n3', 2);
      const out = `${r.stdout}\n${r.stderr}`;
      assert.equal(r.code, 0, out.slice(-3000));
      const launches = readFileSync(join(state, 'mpmd.log'), 'utf8').trim().split('\n').map((l) => l.split(' ').map((c) => c.split(':')[0]));
      assert.equal(launches.length, 2, `two launches: ${JSON.stringify(launches)}`);
      assert.ok(launches[0]!.includes('n3'), `the first run used n3: ${JSON.stringify(launches)}`);
      assert.ok(!launches[1]!.includes('n3') && launches[1]!.length === 4, `the relaunch left n3 out: ${JSON.stringify(launches)}`);
      assert.match(out, /node n3 is down \(.*\)/);
      assert.match(out, /rebuilt dataset heat\.\d+: files of rank\(s\) [\d,]+ restored from XOR redundancy/);
      assert.match(out, /heat: restarted from checkpoint heat\.\d+/);
      assert.equal(checksumOf(r.stdout), want, 'the result equals the failure-free run\'s');
      // The end of the job scavenged the newest checkpoint from the nodes' own storage.
      const idx = jsonOf<{ datasets: Array<{ name: string; flushed: boolean; current: boolean }> }>(cli(['index', '--json']));
      const cur = idx.datasets.find((d) => d.current);
      assert.ok(cur?.flushed && cur.name === 'heat.25', JSON.stringify(idx));
      const v = cli(['index', '--verify', cur.name]);
      assert.equal(v.code, 0, v.stdout + v.stderr);
    });

    it('scr postrun on its own, after a job launched without the wrapper lost a node: the dead node is left out, the others\' caches are copied from each node\'s own storage and its rank rebuilt (library and commands agree on the job id)', async () => {
      const r = await runLosing('n4', 0);
      assert.notEqual(r.code, 0, 'the launch failed with its node');
      assert.equal(jsonOf<{ datasets: unknown[] }>(cli(['index', '--json'])).datasets.length, 0, 'nothing flushed yet (SCR_FLUSH=0)');
      const p = cli(['postrun']);
      const out = p.stdout + p.stderr;
      assert.equal(p.code, 0, out);
      assert.match(out, /leaving out n4: \S/);
      assert.doesNotMatch(out, /warning: node/, 'the dead node is not asked');
      // Ranks 0-3 ran on n1-n4: rank 3's files are rebuilt from the others' redundancy.
      const m = /scavenged (heat\.\d+): copied rank\(s\) 0,1,2, rebuilt rank\(s\) 3/.exec(out);
      assert.ok(m, out);
      const idx = jsonOf<{ datasets: Array<{ name: string; flushed: boolean; current: boolean }> }>(cli(['index', '--json']));
      assert.deepEqual(idx.datasets.filter((d) => d.current).map((d) => [d.name, d.flushed]), [[m[1], true]]);
      assert.equal(cli(['index', '--verify', m[1]!]).code, 0);
      const again = cli(['postrun']);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /nothing to scavenge/);
    });
  });
}
