// The resource-manager layer itself: every module under src/rm/managers/ is found and complete, and
// scr clean's queue (src/rm/job-queue.ts) decides a job id by the managers that own it.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { jobQueue } from '../../src/rm/job-queue.js';
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
});
