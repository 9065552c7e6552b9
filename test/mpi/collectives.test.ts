// Collective operations of the binding, on several communicators (world, self, a duplicate of
// world, and half of world), so each passes at any rank count.
import assert from 'node:assert/strict';
import { mpi, type Comm } from '../../src/index.js';

const comms: Array<[string, () => Promise<Comm>]> = [
  ['world', async () => mpi.world],
  ['self', async () => mpi.self],
  ['dup(world)', () => mpi.world.dup()],
  ['split(world, rank % 2)', async () => (await mpi.world.split(mpi.world.rank % 2))!],
];

for (const [name, make] of comms) {
  describe(`collectives on ${name}`, function () {
    let c: Comm;
    before(async () => { c = await make(); });

    it('barrier resolves on every rank', async () => {
      assert.equal(await c.barrier(), undefined);
    });

    it('bcast fills the buffer in place from each root in turn', async () => {
      for (let root = 0; root < c.size; root++) {
        const buf = Buffer.alloc(1000 + root, c.rank === root ? 0 : 0xff);
        if (c.rank === root) for (let i = 0; i < buf.length; i++) buf[i] = (i * 7 + root) & 0xff;
        const out = await c.bcast(buf, root);
        assert.equal(out, buf, 'resolves to the same buffer');
        for (let i = 0; i < buf.length; i++) assert.equal(buf[i], (i * 7 + root) & 0xff, `byte ${i} from root ${root}`);
      }
    });

    it('bcast works on typed arrays (element views)', async () => {
      const a = new Float64Array(33).fill(c.rank === 0 ? 0 : -1);
      if (c.rank === 0) a.forEach((_, i) => (a[i] = i / 3));
      await c.bcast(a, 0);
      a.forEach((v, i) => assert.equal(v, i / 3));
    });

    it('bcastObject carries a msgpack value from the root', async () => {
      const sent = { id: 7, name: 'ckpt', sizes: [1, 2, 3], nested: { ok: true }, big: 2n ** 60n };
      const got = await c.bcastObject(c.rank === 0 ? sent : null, 0);
      assert.deepEqual(got, sent);
    });

    it('reduce gives the result at the root only', async () => {
      for (let root = 0; root < c.size; root++) {
        const r = await c.reduce(c.rank + 1, 'SUM', root);
        if (c.rank === root) assert.equal(r, (c.size * (c.size + 1)) / 2);
        else assert.equal(r, undefined);
      }
    });

    it('allreduce on numbers: SUM, PROD, MIN, MAX and the bitwise ops', async () => {
      const n = c.size;
      assert.equal(await c.allreduce(c.rank + 1, 'SUM'), (n * (n + 1)) / 2);
      assert.equal(await c.allreduce(2, 'PROD'), 2 ** n);
      assert.equal(await c.allreduce(c.rank + 0.5, 'MIN'), 0.5);
      assert.equal(await c.allreduce(c.rank + 0.5, 'MAX'), n - 0.5);
      assert.equal(await c.allreduce(1 << c.rank, 'BOR'), 2 ** n - 1);
      assert.equal(await c.allreduce(0xff ^ (1 << c.rank), 'BAND'), 0xff & ~(2 ** n - 1));
      assert.equal(await c.allreduce(1 << c.rank, 'BXOR'), 2 ** n - 1);
    });

    it('allreduce on booleans: LAND, LOR, LXOR, MIN, MAX', async () => {
      const last = c.rank === c.size - 1;
      assert.equal(await c.allreduce(true, 'LAND'), true);
      assert.equal(await c.allreduce(!last, 'LAND'), false);
      assert.equal(await c.allreduce(last, 'LOR'), true);
      assert.equal(await c.allreduce(false, 'LOR'), false);
      assert.equal(await c.allreduce(true, 'LXOR'), c.size % 2 === 1);
      assert.equal(await c.allreduce(!last, 'MIN'), false);
    });

    it('allreduce on bigints', async () => {
      assert.equal(await c.allreduce(BigInt(c.rank) + 2n ** 40n, 'SUM'), BigInt(c.size) * 2n ** 40n + BigInt((c.size * (c.size - 1)) / 2));
      assert.equal(await c.allreduce(-BigInt(c.rank), 'MIN'), -BigInt(c.size - 1));
    });

    it('allreduce on every numeric typed array, element by element', async () => {
      const n = c.size;
      const kinds = [Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array];
      for (const K of kinds) {
        const a = new K(17);
        a.forEach((_, i) => (a[i] = (i % 5) + c.rank));
        const sum = await c.allreduce(a, 'SUM');
        const max = await c.allreduce(a, 'MAX');
        assert.ok(sum instanceof K, `${K.name} result keeps its type`);
        sum.forEach((v, i) => assert.equal(v, n * (i % 5) + (n * (n - 1)) / 2, `${K.name} SUM[${i}]`));
        max.forEach((v, i) => assert.equal(v, (i % 5) + n - 1, `${K.name} MAX[${i}]`));
      }
      const x = await c.allreduce(Buffer.from([1 << (c.rank % 8), 0xf0]), 'BXOR');
      assert.ok(Buffer.isBuffer(x), 'a Buffer in gives a Buffer out');
      assert.equal(x[1], n % 2 === 1 ? 0xf0 : 0);
      const b = await c.allreduce(BigUint64Array.of(1n << BigInt(c.rank)), 'BOR');
      assert.equal(b[0], (1n << BigInt(n)) - 1n);
      const u = await c.allreduce(Uint32Array.of(0xffffffff, 1 << c.rank), 'BAND');
      assert.deepEqual([...u], [0xffffffff, n === 1 ? 1 : 0]);
    });

    it('allreduce on a large Float64Array', async () => {
      const a = new Float64Array(1 << 18).map((_, i) => i + c.rank);
      const s = await c.allreduce(a, 'SUM');
      for (let i = 0; i < a.length; i += 997) assert.equal(s[i], c.size * i + (c.size * (c.size - 1)) / 2);
    });

    it('allreduceSync agrees with allreduce', async () => {
      assert.equal(c.allreduceSync(c.rank, 'MAX'), c.size - 1);
      assert.equal(c.allreduceSync(true, 'LAND'), true);
      assert.equal(await c.allreduce(c.rank, 'MAX'), c.size - 1);
    });

    it('gather with different sizes per rank (including zero bytes)', async () => {
      const mine = Buffer.alloc(c.rank * 3, c.rank + 1);
      for (let root = 0; root < c.size; root++) {
        const got = await c.gather(mine, root);
        if (c.rank !== root) { assert.equal(got, undefined); continue; }
        assert.equal(got!.length, c.size);
        got!.forEach((b, r) => assert.deepEqual(b, Buffer.alloc(r * 3, r + 1), `part of rank ${r}`));
      }
    });

    it('gather and allgather with uniform sizes use one call and give the same parts', async () => {
      const mine = Buffer.from(`r${String(c.rank).padStart(4, '0')}`);
      const g = await c.gather(mine, 0, { uniform: true });
      const ag = await c.allgather(mine, { uniform: true });
      const expect = Array.from({ length: c.size }, (_, r) => `r${String(r).padStart(4, '0')}`);
      assert.deepEqual(ag.map(String), expect);
      if (c.rank === 0) assert.deepEqual(g!.map(String), expect);
    });

    it('allgather with different sizes per rank', async () => {
      const got = await c.allgather(Buffer.from('x'.repeat(c.rank + 1) + c.rank));
      assert.deepEqual(got.map(String), Array.from({ length: c.size }, (_, r) => 'x'.repeat(r + 1) + r));
    });

    it('gatherObject and allgatherObject', async () => {
      const v = { rank: c.rank, tags: Array.from({ length: c.rank }, (_, i) => `t${i}`) };
      const all = await c.allgatherObject(v);
      assert.deepEqual(all.map((x) => x.rank), Array.from({ length: c.size }, (_, r) => r));
      assert.deepEqual(all[c.size - 1]!.tags.length, c.size - 1);
      const at0 = await c.gatherObject(v, 0);
      if (c.rank === 0) assert.deepEqual(at0, all);
      else assert.equal(at0, undefined);
    });

    it('scatter sends each rank its own part (sizes differ)', async () => {
      const parts = c.rank === 0 ? Array.from({ length: c.size }, (_, r) => Buffer.alloc(r * 5 + 1, 0x30 + r)) : undefined;
      const got = await c.scatter(parts, 0);
      assert.deepEqual(got, Buffer.alloc(c.rank * 5 + 1, 0x30 + c.rank));
    });

    it('alltoall exchanges a differently sized block between every pair', async () => {
      const bufs = Array.from({ length: c.size }, (_, j) => Buffer.alloc(c.rank + j + 1, c.rank * 16 + j));
      const got = await c.alltoall(bufs);
      got.forEach((b, i) => assert.deepEqual(b, Buffer.alloc(i + c.rank + 1, i * 16 + c.rank), `block from rank ${i}`));
    });

    it('keeps call order when many collectives are started without awaiting', async () => {
      const ps: Array<Promise<unknown>> = [];
      for (let i = 0; i < 12; i++) {
        ps.push(c.bcastObject(c.rank === 0 ? { i } : null, 0));
        ps.push(c.allgather(Buffer.alloc((c.rank + i) % 3, i)));
        ps.push(c.allreduce(i, 'SUM'));
      }
      const out = await Promise.all(ps);
      for (let i = 0; i < 12; i++) {
        assert.deepEqual(out[3 * i], { i });
        assert.deepEqual((out[3 * i + 1] as Buffer[]).map((b) => b.length), Array.from({ length: c.size }, (_, r) => (r + i) % 3));
        assert.equal(out[3 * i + 2], i * c.size);
      }
    });
  });
}
