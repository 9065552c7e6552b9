import assert from 'node:assert/strict';
import { PostOrder } from '../../src/mpi/order.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('PostOrder (MPI posting order = call order)', () => {
  it('posts single-step operations synchronously when nothing is mid-way', () => {
    const o = new PostOrder();
    const posted: string[] = [];
    void o.post(async () => { posted.push('a'); });
    void o.post(async () => { posted.push('b'); });
    assert.deepEqual(posted, ['a', 'b']);
  });

  it('holds later operations until a multi-step one has posted its last step', async () => {
    const o = new PostOrder();
    const posted: string[] = [];
    let finishStep1!: () => void;
    const staged = o.staged(async (done) => {
      posted.push('s1');
      await new Promise<void>((r) => (finishStep1 = r));
      posted.push('s2');
      done();
      return 'staged';
    });
    const later = o.post(async () => { posted.push('later'); return 'later'; });
    await tick();
    assert.deepEqual(posted, ['s1'], 'the later op waits');
    finishStep1();
    assert.deepEqual(await Promise.all([staged, later]), ['staged', 'later']);
    assert.deepEqual(posted, ['s1', 's2', 'later']);
  });

  it('a failing operation does not block the ones after it', async () => {
    const o = new PostOrder();
    const staged = o.staged(async () => { throw new Error('step 1 failed'); });
    const thrower = o.post(() => { throw new TypeError('bad argument'); });
    const after = o.post(async () => 'ran');
    await assert.rejects(staged, /step 1 failed/);
    await assert.rejects(thrower, /bad argument/);
    assert.equal(await after, 'ran');
  });
});
