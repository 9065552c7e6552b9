import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { crc32Combine, PieceCrc } from '../../src/common/crc.js';

describe('CRC32 of pieces', () => {
  it('crc32Combine(crc(A), crc(B), |B|) equals crc(A‖B), including empty parts', () => {
    for (let t = 0; t < 300; t++) {
      const a = randomBytes(Math.floor(Math.random() * 3000));
      const b = randomBytes(t % 50 === 0 ? 0 : Math.floor(Math.random() * 3000));
      assert.equal(crc32Combine(crc32(a), crc32(b), b.length), crc32(Buffer.concat([a, b])), `|A|=${a.length} |B|=${b.length}`);
    }
  });

  it('PieceCrc combines pieces given in any order, and refuses gaps', () => {
    const f = randomBytes(100_000);
    const cuts = [0, 17, 4096, 50_000, 99_999, 100_000];
    const pc = new PieceCrc();
    for (let i = cuts.length - 2; i >= 0; i--) pc.add(cuts[i]!, f.subarray(cuts[i]!, cuts[i + 1]!));
    assert.equal(pc.value(f.length), crc32(f));
    const gap = new PieceCrc();
    gap.add(0, f.subarray(0, 10));
    gap.add(20, f.subarray(20, 30));
    assert.throws(() => gap.value(30), /gap or overlap at 10/);
    assert.equal(new PieceCrc().value(0), 0, 'an empty file');
  });
});
