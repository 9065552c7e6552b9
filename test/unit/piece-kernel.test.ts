// preadCrc / pwriteCrc (native/kernels/piece_io.cc): the bytes moved and their CRC-32 equal what
// zlib.crc32 gives, at odd lengths, file positions and buffer offsets, across the 256 KiB blocks
// the CRC is fused in by; errors are fs-style. Also PieceCrc fed by them, and crc32Combine at
// lengths past 4 GiB.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { preadCrc, pwriteCrc } from '../../src/kernels/index.js';
import { crc32Combine, PieceCrc } from '../../src/common/crc.js';

describe('kernels: preadCrc and pwriteCrc', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'scr-piece-kernel-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Lengths around the 256 KiB block and odd ones; positions and buffer offsets not aligned.
  const cases: Array<[number, number, number]> = [
    [0, 0, 0], [1, 0, 0], [13, 7, 3], [4095, 1, 1], [262143, 5, 0], [262144, 0, 7], [262145, 3, 5], [1_000_003, 999, 1], [600_001, 77, 2],
  ];

  it('preadCrc reads the bytes at the position and returns zlib.crc32 of them', async () => {
    const file = randomBytes(1_100_000);
    const path = join(dir, 'r.dat');
    writeFileSync(path, file);
    const fd = openSync(path, 'r');
    try {
      for (const [len, pos, off] of cases) {
        const buf = Buffer.alloc(len + off + 3, 0xaa);
        const r = await preadCrc(fd, buf.subarray(off, off + len), pos, { crc: true, path });
        const want = file.subarray(pos, pos + len);
        assert.equal(r.bytes, len, `len ${len} pos ${pos}`);
        assert.equal(r.crc, crc32(want), `crc, len ${len} pos ${pos} off ${off}`);
        assert.deepEqual(buf.subarray(off, off + len), want);
        assert.equal(buf.subarray(0, off).every((b) => b === 0xaa) && buf.subarray(off + len).every((b) => b === 0xaa), true, 'nothing outside the view is touched');
        const plain = await preadCrc(fd, buf.subarray(off, off + len), pos);
        assert.equal(plain.crc, 0, 'no CRC unless asked');
      }
      // Short at the end of the file: bytes says how many, the CRC covers them.
      const tail = Buffer.alloc(500);
      const r = await preadCrc(fd, tail, file.length - 123, { crc: true });
      assert.equal(r.bytes, 123);
      assert.equal(r.crc, crc32(file.subarray(file.length - 123)));
    } finally { closeSync(fd); }
  });

  it('pwriteCrc writes the bytes at the position and returns zlib.crc32 of them', async () => {
    const path = join(dir, 'w.dat');
    const expect = Buffer.alloc(2_500_000);
    writeFileSync(path, expect);
    const fd = openSync(path, 'r+');
    try {
      let at = 0;
      for (const [len, , off] of cases) {
        const src = randomBytes(len + off);
        const r = await pwriteCrc(fd, src.subarray(off), at, { crc: true, path });
        assert.equal(r.bytes, len);
        assert.equal(r.crc, crc32(src.subarray(off)), `crc, len ${len} off ${off}`);
        src.copy(expect, at, off);
        at += len + 11;
      }
    } finally { closeSync(fd); }
    assert.deepEqual(readFileSync(path), expect);
  });

  it('pieces read out of order combine to the file CRC (PieceCrc.addCrc)', async () => {
    const file = randomBytes(3 * 262144 + 999);
    const path = join(dir, 'p.dat');
    writeFileSync(path, file);
    const fd = openSync(path, 'r');
    const pc = new PieceCrc();
    try {
      const cuts = [0, 1, 262145, 500_000, 700_001, file.length];
      for (let i = cuts.length - 2; i >= 0; i--) {
        const n = cuts[i + 1]! - cuts[i]!;
        const r = await preadCrc(fd, Buffer.alloc(n), cuts[i]!, { crc: true });
        pc.addCrc(cuts[i]!, n, r.crc);
      }
    } finally { closeSync(fd); }
    assert.equal(pc.value(file.length), crc32(file));
  });

  it('errors are fs-style and name the path; arguments are checked', async () => {
    const path = join(dir, 'ro.dat');
    writeFileSync(path, 'abc');
    const fd = openSync(path, 'r');
    try {
      await assert.rejects(pwriteCrc(fd, Buffer.from('x'), 0, { path }), (e: NodeJS.ErrnoException) => e.code === 'EBADF' && e.syscall === 'write' && e.message.includes(path));
    } finally { closeSync(fd); }
    await assert.rejects(preadCrc(-1, Buffer.alloc(1), 0), TypeError);
    await assert.rejects(preadCrc(fd, Buffer.alloc(1), -5), RangeError);
    await assert.rejects(preadCrc(fd, 'no' as unknown as Buffer, 0), TypeError);
  });
});

describe('crc32Combine at large lengths', () => {
  it('agrees with combining in halves (lengths past 2^32), and with zlib for small ones', () => {
    const a = 0x12345678;
    const b = 0x9abcdef0;
    const c = 0x0badf00d;
    // crc(A‖B‖C) computed as (A‖B)‖C and A‖(B‖C): lengths 3 GiB + 2 GiB cross 2^32.
    const lb = 3 * 2 ** 30;
    const lc = 2 ** 31 + 17;
    const left = crc32Combine(crc32Combine(a, b, lb), c, lc);
    // A‖(B‖C): crc(B‖C) is not known from b and c alone without A's zero-state, so check instead
    // that shifting by lb then lc equals shifting by lb+lc (the zero CRC is linear).
    assert.equal(crc32Combine(crc32Combine(a, 0, lb), 0, lc), crc32Combine(a, 0, lb + lc));
    assert.equal(left, (crc32Combine(a, 0, lb + lc) ^ crc32Combine(b, 0, lc) ^ c) >>> 0);
    const x = randomBytes(5000);
    const y = randomBytes(70_000);
    assert.equal(crc32Combine(crc32(x), crc32(y), y.length), crc32(Buffer.concat([x, y])));
  });
});
