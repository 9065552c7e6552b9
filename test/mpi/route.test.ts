// routeObjects (src/mpi/route.ts): values addressed to any ranks arrive at exactly those ranks,
// once each, whatever the pattern — none, all to one rank, all to all, to itself — on world, on a
// communicator of odd size (the ranks of world but the last) and on self.
import assert from 'node:assert/strict';
import { mpi, type Comm } from '../../src/index.js';
import { routeObjects } from '../../src/mpi/route.js';

const comms: Array<[string, () => Promise<Comm | null>]> = [
  ['world', async () => mpi.world],
  ['self', async () => mpi.self],
  ['world but its last rank', () => mpi.world.split(mpi.world.rank < mpi.world.size - 1 || mpi.world.size === 1 ? 0 : null)],
];

type V = { from: number; n: number; to: number };

for (const [name, make] of comms) {
  describe(`routeObjects on ${name}`, function () {
    let c: Comm | null;
    before(async () => { c = await make(); });
    after(async () => { if (c && c !== mpi.world && c !== mpi.self) await c.free(); });

    /** Routes `items` and checks each rank got exactly what was addressed to it. */
    async function check(pattern: (from: number, size: number) => number[]): Promise<void> {
      if (!c) return;
      const mine = pattern(c.rank, c.size).map((to, n) => ({ to, value: { from: c!.rank, n, to } }));
      const got = (await routeObjects<V>(c, mine, 77)).sort((a, b) => a.from - b.from || a.n - b.n);
      const want: V[] = [];
      for (let from = 0; from < c.size; from++) pattern(from, c.size).forEach((to, n) => { if (to === c!.rank) want.push({ from, n, to }); });
      assert.deepEqual(got, want, `rank ${c.rank} of ${c.size}`);
    }

    it('nothing to route', () => check(() => []));
    it('every rank to rank 0, several values each', () => check(() => [0, 0, 0]));
    it('every rank to every rank, itself included', () => check((_, size) => Array.from({ length: size }, (__, j) => j)));
    it('each rank to its neighbours and to itself', () => check((from, size) => [(from + 1) % size, (from + size - 1) % size, from]));
    it('large values arrive whole', async () => {
      if (!c) return;
      const big = 'x'.repeat(200_000 + c.rank);
      const got = await routeObjects(c, [{ to: (c.rank + 1) % c.size, value: big }], 78);
      assert.deepEqual(got.map((s) => (s as string).length), [200_000 + (c.rank + c.size - 1) % c.size]);
    });
    it('refuses a destination that is not a rank, before sending anything', async () => {
      if (!c) return;
      await assert.rejects(routeObjects(c, [{ to: c.size, value: 1 }], 79), /destination \d+ is not a rank of a communicator of \d+/);
    });
  });
}
