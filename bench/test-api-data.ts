// The bytes of bench/checkpoint's test-api workload (after LLNL SCR's examples/test_api): each
// rank's file is `size + rank` bytes, a deterministic per-rank pattern (AES-128-CTR keystream, so
// a relaunch can regenerate and compare it) whose first HEADER bytes name the rank and the step.
// Written by blocking writes, then fsync.
import { createCipheriv } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';

export const HEADER = 32;

/** A buffer of `bytes` bytes filled with rank's pattern (header not yet set). */
export function patternBuffer(rank: number, bytes: number): Buffer {
  const buf = Buffer.allocUnsafe(bytes);
  const key = Buffer.alloc(16);
  key.writeUInt32LE(rank + 1, 0);
  const c = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const chunk = 16 << 20;
  const zero = Buffer.alloc(Math.min(chunk, bytes));
  for (let o = 0; o < bytes; o += chunk) {
    const n = Math.min(chunk, bytes - o);
    c.update(n === zero.length ? zero : zero.subarray(0, n)).copy(buf, o);
  }
  return buf;
}

/** Writes the "rank R step S" header into the buffer's first HEADER bytes. */
export function setHeader(buf: Buffer, rank: number, step: number): void {
  buf.write(`scr test-api rank ${rank} step ${step}`.padEnd(HEADER - 1, ' ') + '\n', 0, HEADER, 'latin1');
}

/** open(O_CREAT|O_TRUNC) + blocking write() until done + fsync + close, as test_api does. */
export function writeBlocking(path: string, buf: Buffer): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    let at = 0;
    while (at < buf.length) at += writeSync(fd, buf, at, Math.min(buf.length - at, 1 << 30));
    fsyncSync(fd);
  } finally { closeSync(fd); }
}

/** Whether the file holds exactly `want`'s bytes. */
export function sameBytes(path: string, want: Buffer): boolean {
  const fd = openSync(path, 'r');
  try {
    const piece = Buffer.allocUnsafe(4 << 20);
    let at = 0;
    for (;;) {
      const n = readSync(fd, piece, 0, piece.length, at);
      if (n === 0) return at === want.length;
      if (at + n > want.length || !piece.subarray(0, n).equals(want.subarray(at, at + n))) return false;
      at += n;
    }
  } finally { closeSync(fd); }
}

export function unlinkIfThere(path: string): void {
  try { unlinkSync(path); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
}
