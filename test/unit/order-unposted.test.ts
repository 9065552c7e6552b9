// PostOrder knows which calls have not been posted to MPI yet (what allreduceSync refuses to
// overtake), oldest first, and forgets them once posted, failed or thrown.
import assert from 'node:assert/strict';
import { PostOrder } from '../../src/mpi/order.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('PostOrder: calls not yet posted', () => {
  it('names the oldest unposted call until each has posted', async () => {
    const o = new PostOrder();
    assert.equal(o.firstUnposted, null);
    void o.post(async () => {}, 'barrier');
    assert.equal(o.firstUnposted, null, 'a single-step call with nothing before it posts at once');
    let step2!: () => void;
    const a = o.staged(async (posted) => {
      await new Promise<void>((r) => (step2 = r));
      posted();
    }, 'allgather');
    const b = o.post(async () => 'b', 'barrier');
    const c = o.staged(async (posted) => { posted(); }, 'scatter');
    assert.equal(o.firstUnposted, 'allgather');
    await tick();
    assert.equal(o.firstUnposted, 'allgather', 'still waiting for its second step');
    step2();
    await a;
    await b;
    await c;
    assert.equal(o.firstUnposted, null);
  });

  it('a call that fails or throws before posting is forgotten too', async () => {
    const o = new PostOrder();
    const failed = o.staged(async () => { throw new Error('step 1 failed'); }, 'gather');
    const thrown = o.staged(() => { throw new TypeError('bad'); }, 'alltoall');
    const queued = o.post(() => { throw new RangeError('bad rank'); }, 'isend');
    assert.equal(o.firstUnposted, 'gather');
    await assert.rejects(failed, /step 1 failed/);
    await assert.rejects(thrown, /bad/);
    await assert.rejects(queued, /bad rank/);
    assert.equal(o.firstUnposted, null);
    assert.equal(await o.post(async () => 'still works'), 'still works');
  });
});
