// The run wrapper with a scripted resource manager, in this process: where each run goes, when the
// loop stops, which halts lead to a requeue, what happens when the resource manager does not answer,
// and that the wrapper cleans up after itself (halt reason, signal handlers).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/resolve.js';
import { readHalt, updateHalt } from '../../src/halt/index.js';
import { readIndex, updateIndex } from '../../src/pfs/index.js';
import { writeBadNodes } from '../../src/rm/bad-nodes.js';
import type { LaunchSpec, NodeResult, ResourceManager, Run } from '../../src/rm/types.js';
import { runWrapped, type WrapOptions } from '../../src/rm/wrapper.js';

type Outcome = { code: number | null; signal: NodeJS.Signals | null };
/** What a scripted run does: given its launch and a way to end it, ends it (or waits to be killed). */
type Script = (spec: LaunchSpec, end: (o: Outcome) => void) => void | Promise<void>;

class FakeRM implements ResourceManager {
  readonly name = 'fake';
  launches: LaunchSpec[] = [];
  requeues = 0;
  down = new Map<string, string>();
  failQueries = false;
  constructor(readonly all: string[], readonly scripts: Script[]) {}
  jobId() { return 'fake1'; }
  nodes() { return [...this.all]; }
  async downNodes() {
    if (this.failQueries) throw new Error('squeue timed out');
    return new Map(this.down);
  }
  async endTime(): Promise<number | null> {
    if (this.failQueries) throw new Error('squeue timed out');
    return null;
  }
  launch(spec: LaunchSpec): Run {
    this.launches.push(spec);
    let end!: (o: Outcome) => void;
    const done = new Promise<Outcome>((r) => { end = r; });
    void this.scripts[this.launches.length - 1]!(spec, end);
    return { done, kill: (signal = 'SIGTERM') => end({ code: null, signal }) };
  }
  async exec(nodes: string[]): Promise<NodeResult[]> { return nodes.map((node) => ({ node, code: 0, stdout: '', stderr: '' })); }
  async requeue() { this.requeues++; }
}

describe('run wrapper (scripted resource manager)', function () {
  this.timeout(30_000);
  let dir: string;
  let lines: string[];
  const cfg = (env: Record<string, string> = {}) => loadConfig({
    env: { SCR_PREFIX: join(dir, 'p'), SCR_CACHE_BASE: join(dir, 'c'), SCR_CNTL_BASE: join(dir, 'k'), SCR_SYSTEM_CONF: '/dev/null', SCR_USER_NAME: 'u', ...env },
    cwd: dir,
  });
  const wrap = (rm: FakeRM, o: Partial<WrapOptions> = {}) => runWrapped({
    rm, cfg: cfg(), need: 2, ppn: 1, argv: ['app'], runs: 3, requeue: true, say: (l) => lines.push(l), ...o,
  });
  const exit = (code: number): Script => (_s, end) => { setTimeout(() => end({ code, signal: null }), 10); };
  const finish: Script = async (_s, end) => { await updateHalt(join(dir, 'p'), (h) => ({ ...h, finalized: true })); end({ code: 0, signal: null }); };
  /** A checkpoint reaches the prefix (as a flush or the scavenge records it): progress, for the requeue guard. */
  const checkpoint = (id: number) => updateIndex(join(dir, 'p'), (idx) => {
    idx.datasets[String(id)] = { id, name: `ckpt.${id}`, flags: { checkpoint: true, output: false }, created: Date.now(), ranks: 2,
      complete: true, flushed: true, failed: false, bytes: 0, files: 0 };
  });
  /** A run that checkpoints, then ends (exit 0) once a halt reason appears, as an application calling shouldExit does. */
  const haltable: Script = async (_s, end) => {
    await checkpoint(1);
    while (!(await readHalt(join(dir, 'p'))).reason) await new Promise((r) => setTimeout(r, 20));
    end({ code: 0, signal: null });
  };
  const listeners = () => ['SIGUSR1', 'SIGUSR2', 'SIGTERM', 'SIGINT'].map((s) => process.listenerCount(s as NodeJS.Signals));
  /** Resolves once the run is launched and `ready` holds (a fixed sleep could end before the launch
   * on a loaded machine: the event would then come before the run, not during it). */
  async function running(rm: FakeRM, ready: () => Promise<boolean> = async () => true): Promise<void> {
    const end = Date.now() + 20_000;
    while (rm.launches.length === 0 || !(await ready())) {
      if (Date.now() > end) throw new Error('the run was not launched within 20 s');
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  beforeEach(() => { dir = mkdtempSync('/dev/shm/scr-wrapper-'); mkdirSync(join(dir, 'p')); lines = []; });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('places a run on the first nodes, moves a down node\'s ranks to a spare, and stops when finalize was called', async () => {
    const rm = new FakeRM(['a', 'b', 'c', 'd'], [(s, end) => { rm.down.set(s.nodes[1]!, 'dead'); end({ code: 137, signal: null }); }, finish]);
    const r = await wrap(rm);
    assert.deepEqual(rm.launches.map((l) => l.nodes), [['a', 'b'], ['a', 'c']]);
    assert.equal(r.finalized, true);
    assert.equal(r.runs, 2);
    assert.equal(rm.requeues, 0, 'a finished job is not requeued');
    assert.ok(lines.includes('node b is down (dead)'));
    assert.ok(lines.includes('postrun: leaving out b: dead'));
    // The event log tells the job's story (docs/formats.md): kinds and fields in order.
    const events = readFileSync(join(dir, 'p', '.scr', 'log'), 'utf8').trim().split('\n').map((l) => l.replace(/^\S+ /, '').replace(/seconds=[\d.]+/, 'seconds=S'));
    assert.deepEqual(events, [
      'JOB_START job=fake1 rm=fake nodes=a,b,c,d need=2 runs=3',
      'RUN run=1 nodes=a,b spares=c,d after=start',
      'RUN_END run=1 exit=137 seconds=S',
      'NODE_DOWN node=b why=dead run=1',
      'RUN run=2 nodes=a,c spares=d moved=b→c after=failure',
      'RUN_END run=2 exit=0 seconds=S',
      'JOB_END code=finalized runs=2 seconds=S reason="finalize was called: the job finished"',
    ]);
  });

  it('leaves out SCR_EXCLUDE_NODES, prerun\'s bad nodes and the user\'s --exclude; without a node count a run takes every usable node', async () => {
    mkdirSync(join(dir, 'p', '.scr'));
    await writeBadNodes(join(dir, 'p'), 'fake1', new Map([['b', 'cache full']]));
    const rm = new FakeRM(['a', 'b', 'c', 'd', 'e'], [finish]);
    await wrap(rm, { cfg: cfg({ SCR_EXCLUDE_NODES: 'd' }), need: null, extraExclude: new Map([['e', 'excluded by --exclude e']]) });
    assert.deepEqual(rm.launches[0]!.nodes, ['a', 'c']);
    for (const l of ['leaving out b: scr prerun: cache full', 'leaving out d: excluded by SCR_EXCLUDE_NODES', 'leaving out e: excluded by --exclude e']) assert.ok(lines.includes(l), l);
  });

  it('stops when launches are used up, or too few nodes are left (SCR_MIN_NODES)', async () => {
    let rm = new FakeRM(['a', 'b', 'c'], [exit(1), exit(1), exit(1)]);
    let r = await wrap(rm, { runs: 2 });
    assert.equal(r.runs, 2);
    assert.equal(r.reason, 'SCR_RUNS=2 launches used up');
    rm = new FakeRM(['a', 'b', 'c'], [(s, end) => { rm.down.set('a', 'x'); rm.down.set('b', 'y'); end({ code: 1, signal: null }); }]);
    r = await wrap(rm);
    assert.equal(r.reason, 'only 1 usable node(s) left, 2 needed');
    assert.equal(r.finalized, false);
  });

  it('a probe before a relaunch takes out a node Slurm has not marked yet', async () => {
    const rm = new FakeRM(['a', 'b', 'c'], [exit(1), finish]);
    await wrap(rm, { probe: async (nodes) => new Map(nodes.filter((n) => n === 'a').map((n) => [n, 'the node check did not run: no answer'])) });
    assert.deepEqual(rm.launches.map((l) => l.nodes), [['a', 'b'], ['c', 'b']]);
    assert.ok(lines.includes('node a is down (the node check did not run: no answer)'));
  });

  it('SIGUSR1 halts the job, then it is scavenged and requeued; the wrapper\'s reason and handlers are gone afterwards', async () => {
    const before = listeners();
    const rm = new FakeRM(['a', 'b'], [haltable]);
    const p = wrap(rm);
    // Its checkpoint is there: the requeue guard sees progress.
    await running(rm, async () => (await readIndex(join(dir, 'p'))).datasets['1'] !== undefined);
    process.emit('SIGUSR1', 'SIGUSR1');
    const r = await p;
    assert.equal(r.haltedBy, 'SIGUSR1 from the scheduler: the allocation is ending');
    assert.equal(r.requeued, true);
    assert.equal(rm.requeues, 1);
    const tail = readFileSync(join(dir, 'p', '.scr', 'log'), 'utf8').trim().split('\n').slice(-2).map((l) => l.split(' ').slice(1, 3).join(' '));
    assert.deepEqual(tail, ['REQUEUE done=1', 'JOB_END code=time'], 'the requeue and the job\'s end are logged before the requeue');
    assert.equal((await readHalt(join(dir, 'p'))).reason, undefined);
    const after = listeners();
    assert.deepEqual(after.slice(2), before.slice(2), 'SIGTERM/SIGINT handlers removed');
    assert.ok(after[0]! <= Math.max(before[0]!, 1) && after[1]! <= Math.max(before[1]!, 1), 'at most one quiet USR handler stays');
  });

  it('SIGTERM (scancel, Ctrl-C) halts the job but does not requeue it', async () => {
    const rm = new FakeRM(['a', 'b'], [haltable]);
    const p = wrap(rm);
    await new Promise((r) => setTimeout(r, 100));
    process.emit('SIGTERM', 'SIGTERM');
    const r = await p;
    assert.equal(r.haltedBy, 'SIGTERM: the job is being ended');
    assert.equal(rm.requeues, 0);
    assert.equal(r.requeued, false);
  });

  it('the library\'s allocation-end halt is requeued; a user\'s halt reason is not, and stays', async () => {
    let rm = new FakeRM(['a', 'b'], [async (_s, end) => { await checkpoint(1); end({ code: 0, signal: null }); }]);
    // As `scr halt --seconds` with the allocation nearly over: runShouldStop says "allocation ends …".
    await updateHalt(join(dir, 'p'), () => ({ seconds: 1_000_000 }));
    const endTime = Math.floor(Date.now() / 1000) + 600;
    rm.endTime = async () => endTime;
    let r = await wrap(rm);
    assert.match(r.reason, /^allocation ends in \d+ s \(< 1000000 s\)$/);
    assert.equal(rm.requeues, 1);
    await updateHalt(join(dir, 'p'), () => ({ reason: 'maintenance' }));
    rm = new FakeRM(['a', 'b'], [(_s, end) => end({ code: 0, signal: null })]);
    r = await wrap(rm);
    assert.equal(r.reason, 'halt requested: maintenance');
    assert.equal(rm.requeues, 0);
    assert.equal((await readHalt(join(dir, 'p'))).reason, 'maintenance');
  });

  it('SCR_HALT_SECONDS: the wrapper halts the job itself when the allocation end comes within the margin', async () => {
    const rm = new FakeRM(['a', 'b'], [haltable]);
    const end = Math.floor(Date.now() / 1000) + 3;
    rm.endTime = async () => end;
    const r = await wrap(rm, { cfg: cfg({ SCR_HALT_SECONDS: '2' }) });
    assert.match(r.haltedBy ?? '', /^the allocation ends in [0-2] s \(SCR_HALT_SECONDS=2\)$/);
    assert.equal(rm.requeues, 1);
  });

  it('scr halt --immediate ends the run once: the flag is used up, the reason stays', async () => {
    const rm = new FakeRM(['a', 'b'], [() => undefined]);
    const p = wrap(rm);
    await running(rm);
    await updateHalt(join(dir, 'p'), () => ({ reason: 'now', immediate: true }));
    const r = await p;
    assert.equal(r.lastCode, null);
    assert.ok(lines.includes('scr halt --immediate: ending the running step'));
    assert.deepEqual(await readHalt(join(dir, 'p')), { reason: 'now' });
  });

  it('a resource manager that does not answer: the loop goes on with what it knows, scavenges, and cleans up', async () => {
    const rm = new FakeRM(['a', 'b', 'c'], [(_s, end) => { rm.failQueries = true; end({ code: 1, signal: null }); }, finish]);
    const r = await wrap(rm);
    assert.equal(r.finalized, true);
    assert.equal(r.runs, 2);
    assert.ok(lines.includes('warning: squeue timed out; using the down nodes known so far'));
    assert.ok(lines.includes('warning: squeue timed out; scavenging from every node'));
  });
});
