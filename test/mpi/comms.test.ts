// Communicator management and misuse of collectives.
import assert from 'node:assert/strict';
import { mpi } from '../../src/index.js';

describe('communicators', function () {
  const w = () => mpi.world;

  it('init reports the thread level and the binding matches the launcher', () => {
    assert.equal(mpi.init(), 'MULTIPLE', 'init is idempotent and MULTIPLE is provided');
    assert.equal(mpi.threadLevel, 'MULTIPLE');
    assert.equal(mpi.initialized, true);
    assert.equal(mpi.finalized, false);
    const expectSize = Number(process.env.OMPI_COMM_WORLD_SIZE ?? process.env.PMI_SIZE ?? 1);
    assert.equal(w().size, expectSize);
    assert.ok(w().rank >= 0 && w().rank < w().size);
    const launcher = process.env.OMPI_COMM_WORLD_SIZE ? 'openmpi' : process.env.PMI_RANK ? 'mpich' : mpi.flavour;
    assert.equal(mpi.flavour, launcher);
    assert.match(mpi.libraryVersion(), mpi.flavour === 'openmpi' ? /Open MPI/ : /MPICH/);
    assert.equal(typeof mpi.processorName(), 'string');
    assert.ok(mpi.processorName().length > 0);
    const t = mpi.wtime();
    assert.ok(mpi.wtime() >= t);
    assert.equal(mpi.self.size, 1);
    assert.equal(mpi.self.rank, 0);
  });

  it('split by parity, with keys reversing the order', async () => {
    const sub = (await w().split(w().rank % 2, -w().rank))!;
    const members = Array.from({ length: w().size }, (_, r) => r).filter((r) => r % 2 === w().rank % 2);
    assert.equal(sub.size, members.length);
    assert.equal(sub.rank, members.length - 1 - members.indexOf(w().rank));
    const ranksInOrder = (await sub.allgatherObject(w().rank));
    assert.deepEqual(ranksInOrder, [...members].reverse());
    await sub.free();
  });

  it('split with a null color leaves the rank out', async () => {
    const sub = await w().split(w().rank === 0 ? null : 1);
    if (w().rank === 0) assert.equal(sub, null);
    else {
      assert.equal(sub!.size, w().size - 1);
      assert.equal(await sub!.allreduce(1, 'SUM'), w().size - 1);
      await sub!.free();
    }
  });

  it('splitByString groups ranks by a string such as a node name', async () => {
    const node = `node${Math.floor(w().rank / 2)}`;
    const sub = await w().splitByString(node);
    const names = await sub.allgatherObject(node);
    assert.ok(names.every((n) => n === node), 'only ranks with the same string');
    assert.equal(sub.size, Math.min(2, w().size - 2 * Math.floor(w().rank / 2)));
    assert.equal(sub.rank, w().rank % 2);
    await sub.free();
  });

  it('dup gives an independent communicator with the same ranks', async () => {
    const d = await w().dup();
    assert.equal(d.rank, w().rank);
    assert.equal(d.size, w().size);
    // Same tag on both: a message on the dup must not be received on world.
    const right = (w().rank + 1) % w().size;
    const onDup = d.isend(Buffer.from('dup!'), right, 0);
    const onWorld = w().isend(Buffer.from('wld!'), right, 0);
    const a = Buffer.alloc(4);
    const b = Buffer.alloc(4);
    await w().recv(a, mpi.ANY_SOURCE, 0);
    await d.recv(b, mpi.ANY_SOURCE, 0);
    await Promise.all([onDup.wait(), onWorld.wait()]);
    assert.equal(a.toString(), 'wld!');
    assert.equal(b.toString(), 'dup!');
    await d.free();
  });

  it('a freed communicator refuses further use; world and self cannot be freed', async () => {
    const d = await w().dup();
    await d.free();
    assert.equal(d.freed, true);
    assert.throws(() => d.barrier(), { name: 'TypeError', message: /barrier: the communicator has been freed/ });
    assert.throws(() => d.free(), { name: 'TypeError', message: /freed/ });
    assert.throws(() => w().free(), { name: 'TypeError', message: /world and self/ });
  });

  it('bad reduction arguments are TypeErrors naming the problem', () => {
    assert.throws(() => w().allreduce(1, 'AVG' as never), { name: 'TypeError', message: /op must be one of SUM/ });
    assert.throws(() => w().allreduce(new Float64Array(2), 'BAND'), { name: 'TypeError', message: /BAND needs integers.*Float64Array/ });
    assert.throws(() => w().allreduce(1.5, 'BOR'), { name: 'TypeError', message: /needs an integer/ });
    assert.throws(() => w().allreduce(true, 'SUM'), { name: 'TypeError', message: /booleans/ });
    assert.throws(() => w().allreduce('3' as never, 'SUM'), { name: 'TypeError', message: /value must be/ });
    // Only the root checks the parts; it throws before posting anything, so no rank waits.
    if (w().rank === 0) assert.throws(() => w().scatter([], 0), { name: 'TypeError', message: /one per rank/ });
  });
});
