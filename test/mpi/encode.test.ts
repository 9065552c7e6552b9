// The redundancy encoders on real MPI: every member's parity is checked against the erasure
// code computed in plain JS from all members' data (gathered to rank 0).
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { mpi } from '../../src/index.js';
import { gfMul } from '../../src/kernels/gf256.js';
import { coefficient, stripeChunks } from '../../src/redundancy/code.js';
import { chunkSize, encode } from '../../src/redundancy/encode.js';
import { FileStream } from '../../src/redundancy/stream.js';
import { sizesFor, writeFiles } from '../harness/files.js';

mpi.init();
const w = mpi.world;
const piece = 4096 + 3;

const cases: Array<{ scheme: 'XOR' | 'RS' | 'PARTNER'; k: number }> = [{ scheme: 'PARTNER', k: 0 }, { scheme: 'XOR', k: 1 }];
if (w.size >= 3) cases.push({ scheme: 'RS', k: 2 });
if (w.size >= 4) cases.push({ scheme: 'RS', k: 3 });

if (w.size >= 2) {
  describe('redundancy encoding on a ring of all ranks', function () {
    const runDir = join(tmpdir(), `scr-encode-${process.env.OMPI_COMM_WORLD_SIZE ?? process.env.PMI_SIZE}-${process.ppid}`);
    after(async () => { await w.barrier(); if (w.rank === 0) rmSync(runDir, { recursive: true, force: true }); });

    for (const { scheme, k } of cases) {
      it(`${scheme}${k > 1 ? ` k=${k}` : ''}: each member's redundancy data equals the code computed from everyone's data`, async () => {
        const dir = join(runDir, `${scheme}${k}`, `rank${w.rank}`);
        const files = writeFiles(dir, 7 + k, w.rank, sizesFor(w.rank, piece));
        const stream = new FileStream(files, { crc: true });
        const lens = (await w.allgatherObject(stream.length)) as number[];
        const parityPath = join(dir, 'red.dat');
        const res = await encode({ comm: w, scheme, k, stream, lens, pieceSize: piece, parityPath });
        const crcs = files.map((f, x) => stream.crcs![x]!.value(f.size));
        await stream.close();
        assert.equal(res.error, null);
        files.forEach((f, x) => assert.equal(crcs[x], crc32(readFileSync(f.path)), `CRC of file ${x} computed during the encode`));
        const mine = Buffer.concat(files.map((f) => readFileSync(f.path)));
        const parity = readFileSync(parityPath);
        // The parity CRC is computed on the pool as each parity piece is written (PARTNER: none).
        assert.equal(res.crc, scheme === 'PARTNER' ? null : crc32(parity), 'CRC of the redundancy data computed during the encode');
        const all = await w.gather(mine, 0);
        const parities = await w.gather(parity, 0);
        if (w.rank !== 0) return;
        const n = w.size;
        if (scheme === 'PARTNER') {
          for (let i = 0; i < n; i++) assert.deepEqual(parities![i], all![(i + n - 1) % n], `member ${i} holds its left neighbour's data`);
          return;
        }
        const C = chunkSize(lens, n, k);
        assert.equal(res.chunk, C);
        const chunk = (i: number, c: number) => {
          const out = Buffer.alloc(C);
          all![i]!.copy(out, 0, Math.min(c * C, all![i]!.length), Math.min((c + 1) * C, all![i]!.length));
          return out;
        };
        for (let j = 0; j < n; j++) {
          const cs = stripeChunks(n, k, j);
          const data = cs.filter((c) => c.role === 'data');
          for (const pc of cs.filter((c) => c.role === 'parity')) {
            const expect = Buffer.alloc(C);
            data.forEach((dc, q) => {
              const src = chunk(dc.member, dc.index);
              const coeff = coefficient(scheme === 'XOR' ? 'XOR' : 'RS', k, pc.index, q);
              for (let b = 0; b < C; b++) expect[b]! ^= gfMul(coeff, src[b]!);
            });
            const got = parities![pc.member]!.subarray(pc.index * C, (pc.index + 1) * C);
            assert.ok(got.equals(expect), `stripe ${j}: parity ${pc.index} on member ${pc.member}`);
          }
        }
      });
    }
  });
}
