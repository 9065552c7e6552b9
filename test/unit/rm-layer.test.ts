// The resource-manager layer itself: every module under src/rm/managers/ is found and complete, and
// scr clean's queue (src/rm/job-queue.ts) decides a job id by the managers that own it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { collect } from '../../src/rm/exec.js';
import { jobQueue } from '../../src/rm/job-queue.js';
import { NO_CONFIG } from '../../src/rm/managers/slurm.js';
import { managers } from '../../src/rm/registry.js';
import type { ManagerModule } from '../../src/rm/types.js';

const fake = (name: string, owns: RegExp, answer: () => Promise<Set<string> | null>, calls: string[]): ManagerModule => ({
  name, title: name.toUpperCase(), order: 1, needs: `${name}_VARS`, detect: () => false, create: () => { throw new Error('not used'); },
  ownsJobId: (id) => owns.test(id), queueCommand: `${name}q`, liveJobs: async () => { calls.push(name); return answer(); },
});

describe('resource-manager layer', () => {
  it('finds one module per file under src/rm/managers/, each with a unique name and what messages need', async () => {
    const dir = join(import.meta.dirname, '..', '..', 'src', 'rm', 'managers');
    const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
    const mods = await managers();
    assert.equal(mods.length, files.length);
    assert.equal(new Set(mods.map((m) => m.name)).size, mods.length);
    for (const m of mods) {
      assert.match(m.name, /^[a-z]+$/);
      assert.ok(m.title && m.needs && typeof m.detect === 'function' && typeof m.create === 'function', m.name);
      assert.equal(Boolean(m.liveJobs), Boolean(m.ownsJobId && m.queueCommand), `${m.name}: liveJobs, ownsJobId and queueCommand go together`);
    }
    assert.deepEqual(mods.map((m) => m.order), [...mods.map((m) => m.order)].sort((a, b) => a - b));
    assert.ok(mods.some((m) => m.name === 'slurm') && mods.some((m) => m.name === 'hostfile'));
  });

  it('scr clean\'s queue: listed → running; unlisted by every answering owner → ended; a failed or missing queue keeps the job; other ids are not its business', async () => {
    const calls: string[] = [];
    const a = fake('a', /^\d+$/, async () => new Set(['1']), calls);
    const b = fake('b', /^\d+$/, async () => null, calls);
    const c = fake('c', /^\d+\.srv$/, async () => { throw new Error('cq: cannot connect to server srv (errno=111)'); }, calls);
    const q = await jobQueue({}, [a, b, c]);
    assert.deepEqual(await q.status('1'), { state: 'running', why: 'aq lists it' });
    assert.deepEqual(await q.status('2'), { state: 'ended', why: 'aq does not list it: the job has ended' });
    assert.deepEqual(await q.status('7.srv'), { state: 'unknown', why: 'a C job id, but cq: cannot connect to server srv (errno=111): kept' });
    assert.equal(await q.status('nojob-0123456789'), null);
    assert.deepEqual(calls.sort(), ['a', 'b', 'c'], 'each queue asked once');
    assert.deepEqual(q.errors(), ['cq: cannot connect to server srv (errno=111) (its C jobs were kept; check that cq works here)']);
    const none = await jobQueue({}, [b, fake('d', /^\d+$/, async () => null, calls)]);
    assert.deepEqual(await none.status('5'), { state: 'unknown', why: 'a B or D job id, but none of bq, dq is available to ask: kept' });
    const one = await jobQueue({}, [b]);
    assert.deepEqual(await one.status('5'), { state: 'unknown', why: 'a B job id, but bq is not available to ask: kept' });
  });

  it('a query that does not answer in time ends at the limit, with what it started (a remote shell\'s child holding its pipes)', async () => {
    const t = Date.now();
    // A duration no other process uses: the children are found by their command line.
    const secs = `3${process.pid % 10}.${String(process.pid).padStart(3, '0').slice(-3)}`;
    const r = await collect('sh', ['-c', `sleep ${secs} & sleep ${secs}; true`], { timeoutMs: 500 });
    assert.ok(Date.now() - t < 5000, `took ${Date.now() - t} ms`);
    assert.equal(r.code, null);
    assert.equal(r.failure, 'no answer in 0.5 s');
    await new Promise((res) => setTimeout(res, 200));
    const left = spawnSync('pgrep', ['-fx', `sleep ${secs}`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    assert.deepEqual(left, [], 'its children were killed too');
  });

  it('squeue without a configuration counts as no Slurm (another scheduler\'s site), not as a failure', () => {
    assert.match('squeue: error: _establish_config_source: failed to fetch config\nsqueue: fatal: Could not establish a configuration source\n', NO_CONFIG);
    assert.doesNotMatch('squeue: error: slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n', NO_CONFIG);
  });
});
