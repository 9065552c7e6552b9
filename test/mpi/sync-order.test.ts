// allreduceSync never overtakes a call made before it on the same communicator (item 15 of issue
// 10). It blocks the JavaScript thread, so:
// - a collective whose posting still needs the JavaScript thread (the second step of a
//   variable-size gather/scatter/alltoall/bcastObject, splitByString, or anything queued behind
//   one) makes it throw, telling the caller to await that call first;
// - split/dup/free, which the helper thread runs in call order, are waited for.
// Runs on world, self, a duplicate and a split, so it passes at any rank count.
import assert from 'node:assert/strict';
import { mpi, type Comm } from '../../src/index.js';
import { loadMpiAddon } from '../../src/native/mpi-addon.js';

const comms: Array<[string, () => Promise<Comm>]> = [
  ['world', async () => mpi.world],
  ['self', async () => mpi.self],
  ['dup(world)', () => mpi.world.dup()],
  ['split(world, rank % 2)', async () => (await mpi.world.split(mpi.world.rank % 2))!],
];

const refusal = (call: string) => new RegExp(`^allreduceSync: ${call}, called earlier on this communicator, has not been posted to MPI yet.*Await the earlier call first`);

for (const [name, make] of comms) {
  describe(`allreduceSync keeps call order on ${name}`, function () {
    let c: Comm;
    before(async () => { c = await make(); });

    // Each starts a collective that posts in two steps and returns it unawaited.
    const staged: Array<[string, (c: Comm) => Promise<unknown>]> = [
      ['allgather', (c) => c.allgather(Buffer.alloc(c.rank + 1, c.rank))],
      ['gather', (c) => c.gather(Buffer.alloc(c.rank + 2), 0)],
      ['bcastObject', (c) => c.bcastObject(c.rank === 0 ? { x: 1 } : null)],
      ['scatter', (c) => c.scatter(c.rank === 0 ? Array.from({ length: c.size }, (_, i) => Buffer.alloc(i + 1)) : undefined)],
      ['alltoall', (c) => c.alltoall(Array.from({ length: c.size }, (_, i) => Buffer.alloc(i)))],
      ['splitByString', async (c) => (await c.splitByString(c.rank % 2 ? 'odd' : 'even')).free()],
    ];
    for (const [call, start] of staged) {
      it(`throws, naming it, while ${call} called before it is not yet posted; runs once it is awaited`, async () => {
        const earlier = start(c);
        assert.throws(() => c.allreduceSync(1, 'SUM'), { name: 'Error', message: refusal(call) });
        await earlier;
        assert.equal(c.allreduceSync(1, 'SUM'), c.size);
      });
    }

    it('also while calls are queued behind such a collective, naming the collective', async () => {
      const g = c.allgather(Buffer.alloc(c.rank + 1));
      const b = c.barrier();
      const r = c.allreduce(c.rank, 'MAX');
      assert.throws(() => c.allreduceSync(1, 'SUM'), { message: refusal('allgather') });
      await Promise.all([g, b]);
      assert.equal(await r, c.size - 1);
      assert.equal(c.allreduceSync(c.rank, 'MAX'), c.size - 1);
    });

    it('runs at once after collectives that are already posted, matching them in call order', async () => {
      const g = c.allgather(Buffer.alloc(4, c.rank), { uniform: true });
      const a = c.allreduce(c.rank + 1, 'SUM');
      assert.equal(c.allreduceSync(c.rank, 'MAX'), c.size - 1);
      assert.deepEqual((await g).map((b) => b[0]), Array.from({ length: c.size }, (_, i) => i));
      assert.equal(await a, (c.size * (c.size + 1)) / 2);
    });

    it('a refusal leaves the communicator usable and in step on every rank', async () => {
      const g = c.bcastObject(c.rank === 0 ? 'hello' : null);
      assert.throws(() => c.allreduceSync(1, 'SUM'));
      assert.equal(await g, 'hello');
      assert.equal(await c.allreduce(2, 'SUM'), 2 * c.size);
      assert.equal(c.allreduceSync(3, 'SUM'), 3 * c.size);
    });

    it('waits for split and dup called before it, which the helper thread runs', async () => {
      const native = loadMpiAddon(mpi.flavour!);
      const sub = c.split(c.rank % 2);
      const d = c.dup();
      assert.equal(c.allreduceSync(1, 'SUM'), c.size);
      assert.equal(native.state().blocking, 0, 'the split and the dup had finished when allreduceSync returned');
      const [s, dd] = await Promise.all([sub, d]);
      assert.equal(s!.allreduceSync(1, 'SUM'), Math.floor((c.size + 1 - (c.rank % 2)) / 2));
      const freed = s!.free();
      assert.equal(dd.allreduceSync(1, 'SUM'), c.size);
      assert.equal(native.state().blocking, 0, 'the free had finished too');
      await Promise.all([freed, dd.free()]);
    });
  });
}
