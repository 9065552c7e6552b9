// scr sim and scr postrun as a user runs them.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readIndex } from '../../src/pfs/index.js';
import type { Summary } from '../../src/report/summary.js';
import { cleanEnv, scr } from '../harness/cli.js';

const heat = join(fileURLToPath(import.meta.url), '..', '..', '..', 'examples', 'heat.js');

describe('scr sim and scr postrun', function () {
  this.timeout(180_000);
  let dir: string;
  const env = () => cleanEnv({ SCR_PREFIX: join(dir, 'p'), SCR_CACHE_BASE: join(dir, 'c'), SCR_CNTL_BASE: join(dir, 'k'), SCR_SYSTEM_CONF: '/dev/null', SCR_COPY_TYPE: 'XOR', SCR_FLUSH: '0', SCR_JOB_ID: 'simtest' });
  beforeEach(() => { dir = mkdtempSync('/dev/shm/scr-simtest-'); mkdirSync(join(dir, 'p')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // 1 s between checkpoints: the failure (after the 3rd) lands before the 4th even under load.
  it('a node fails and no relaunch is allowed: exit 1, and postrun drains the newest checkpoint, rebuilding the lost rank offline', async () => {
    const r = scr(['sim', '--nodes', '4', '--ppn', '1', '--spares', '1', '--runs', '1', '--fail', 'node=n1,after=3', '--', 'node', heat, '--steps', '60', '--every', '10', '--cells', '100000', '--step-ms', '100'], { env: env(), cwd: dir });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /node n1 fails after its 3rd checkpoint: killed its 1 rank\(s\)/);
    assert.match(r.stdout, /stopping: SCR_RUNS=1 launches used up/);
    assert.match(r.stdout, /postrun: scavenged heat\.30: copied rank\(s\) 0,2,3, rebuilt rank\(s\) 1/);
    const idx = await readIndex(join(dir, 'p'));
    assert.equal(idx.current, 'heat.30');
    const v = scr(['index', '--verify', '--prefix', join(dir, 'p')], { env: env(), cwd: dir });
    assert.equal(v.code, 0, v.stdout + v.stderr);
    // The drained checkpoint restarts the job, even with every cache gone.
    rmSync(join(dir, 'c'), { recursive: true, force: true });
    rmSync(join(dir, 'k'), { recursive: true, force: true });
    const again = scr(['sim', '--nodes', '4', '--ppn', '1', '--', 'node', heat, '--steps', '60', '--every', '10', '--cells', '100000'], { env: { ...env(), SCR_JOB_ID: 'simtest2' }, cwd: dir });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /heat: restarted from checkpoint heat\.30 \(step 30\)/);
    // scr report on the prefix of both jobs: the failed run, the work it lost, the restart from the file system.
    const rep = scr(['report', '--json', '--prefix', join(dir, 'p'), '--html', join(dir, 'report.html')], { env: env(), cwd: dir });
    assert.equal(rep.code, 0, rep.stdout + rep.stderr);
    const { summary: s, malformed } = JSON.parse(rep.stdout) as { summary: Summary; malformed: unknown[] };
    const story = JSON.stringify(s.runs) + JSON.stringify(s.failures) + JSON.stringify(s.restarts);
    assert.deepEqual(malformed, []);
    assert.deepEqual(s.jobs.map((j) => j.job), ['simtest', 'simtest2']);
    assert.deepEqual(s.runs.map((r) => [r.job, r.run, r.failed]), [['simtest', 1, true], ['simtest2', 1, false]], story);
    assert.deepEqual(s.failures.map((f) => [f.run, f.lastCheckpoint]), [[1, 'heat.30']], story);
    const f = s.failures[0]!;
    assert.ok(f.lostSeconds > 0 && f.lostSeconds < s.runs[0]!.seconds, story);
    assert.deepEqual(s.restarts.map((r) => [r.run, r.name, r.from]), [[2, 'heat.30', 'file system']], story);
    assert.deepEqual(s.runs.map((r) => r.checkpoints), [3, 3], story);
    assert.equal(s.levels.cache.count, 6);
    assert.ok(s.levels.cache.mibPerSecond! > 0 && s.checkpointShare! > 0 && s.checkpointShare! < 1, JSON.stringify(s.levels));
    // Each job's postrun scavenged its newest checkpoint: heat.30, then heat.60.
    assert.equal(s.scavenges, 2);
    assert.deepEqual(s.index && [s.index.flushedCheckpoints, s.index.current], [2, 'heat.60']);
    assert.deepEqual(s.advice, { cacheCostSeconds: s.levels.cache.medianBlocking, flushCostSeconds: s.levels.fileSystem.medianSeconds, failures: 1, runSeconds: s.runSeconds });
    assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<figure id="timeline"><svg[\s\S]*class="mark-symbol role-mark checkpoints_marks"/);
    const text = scr(['report', '--prefix', join(dir, 'p')], { env: env(), cwd: dir });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^runs: +2 \(1 failed\)/m);
    assert.match(text.stdout, /^restarts: +heat\.30 \(file system\)$/m);
  });

  it('usage errors exit 2 naming the problem', () => {
    let r = scr(['sim', '--nodes', '2', '--ppn', '1', '--fail', 'n1', '--', 'true'], { env: env(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--fail n1: expected node=NAME,after=K/);
    r = scr(['sim', '--nodes', '2', '--ppn', '1', '--fail', 'node=n9,after=1', '--', 'true'], { env: env(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--fail node=n9: the simulated nodes are n0…n1/);
  });
});
