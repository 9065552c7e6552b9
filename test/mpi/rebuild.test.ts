// Rebuild on real MPI: encode a set, delete the data and redundancy files of every subset of
// members the scheme can lose, rebuild, and compare every file and redundancy file byte for byte.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { mpi } from '../../src/index.js';
import { encode } from '../../src/redundancy/encode.js';
import { rebuild, recoverable } from '../../src/redundancy/rebuild.js';
import { FileStream } from '../../src/redundancy/stream.js';
import { sizesFor, subsets, writeFiles } from '../harness/files.js';

mpi.init();
const w = mpi.world;
const piece = 1024 + 5;

const cases: Array<{ scheme: 'XOR' | 'RS' | 'PARTNER'; k: number }> = [{ scheme: 'PARTNER', k: 0 }, { scheme: 'XOR', k: 1 }];
if (w.size >= 3) cases.push({ scheme: 'RS', k: 2 });

if (w.size >= 2) {
  describe('redundancy rebuild on a ring of all ranks', function () {
    const runDir = join(tmpdir(), `scr-rebuild-${w.size}-${process.ppid}`);
    after(async () => { await w.barrier(); if (w.rank === 0) rmSync(runDir, { recursive: true, force: true }); });

    for (const { scheme, k } of cases) {
      it(`${scheme}${scheme === 'RS' ? ` k=${k}` : ''}: every recoverable loss is rebuilt byte for byte`, async () => {
        const dir = join(runDir, `${scheme}${k}`, `rank${w.rank}`);
        const files = writeFiles(dir, 11 + k, w.rank, sizesFor(w.rank, piece));
        const originals = files.map((f) => readFileSync(f.path));
        const parityPath = join(dir, 'red.dat');
        const enc = new FileStream(files);
        const lens = (await w.allgatherObject(enc.length)) as number[];
        const res = await encode({ comm: w, scheme, k, stream: enc, lens, pieceSize: piece, parityPath });
        await enc.close();
        const parity = readFileSync(parityPath);
        let tried = 0;
        for (const lost of subsets(w.size, Math.max(k, scheme === 'PARTNER' ? w.size : 0))) {
          if (!recoverable(scheme, k, w.size, lost)) continue;
          tried++;
          const amLost = lost.includes(w.rank);
          if (amLost) { for (const f of files) rmSync(f.path); rmSync(parityPath); }
          await w.barrier();
          const stream = new FileStream(files, { mode: amLost ? 'w' : 'r', crc: amLost });
          if (amLost) await stream.createAll();
          const r = await rebuild({ comm: w, scheme, k, lost, chunk: res.chunk, lens, stream, parityPath, pieceSize: piece });
          await stream.close();
          assert.equal(r.error, null, `rebuild error with lost=${lost}`);
          files.forEach((f, x) => {
            assert.ok(existsSync(f.path), `${f.path} exists after losing ${lost}`);
            assert.ok(readFileSync(f.path).equals(originals[x]!), `file ${x} of rank ${w.rank} after losing members ${lost}`);
          });
          assert.ok(readFileSync(parityPath).equals(parity), `redundancy file of rank ${w.rank} after losing members ${lost}`);
          // The CRCs collected while writing the rebuilt files are the originals' CRCs.
          if (amLost) files.forEach((f, x) => assert.equal(stream.crcs![x]!.value(f.size), crc32(originals[x]!), `CRC of rebuilt file ${x}`));
        }
        assert.ok(tried > 0, 'at least one loss was tried');
        assert.equal(recoverable(scheme, k, w.size, Array.from({ length: w.size }, (_, i) => i)), false, 'losing everything is not recoverable');
      });
    }
  });
}
