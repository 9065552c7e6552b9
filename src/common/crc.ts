// CRC32 (zlib's, as Node's zlib.crc32 computes it) of data seen in pieces out of order:
// crc32Combine(crc(A), crc(B), len(B)) = crc(A‖B): crc(A) times x^(8·len(B)) modulo the polynomial, plus crc(B).
import { crc32 } from 'node:zlib';

const POLY = 0xedb88320; // the reversed CRC-32 polynomial

/** a·b modulo the CRC polynomial, both as bit-reversed polynomials (bit 31 = x^0). */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) modulo the polynomial. */
const X2N = new Uint32Array(32);
X2N[0] = 0x40000000; // x^1
for (let k = 1; k < 32; k++) X2N[k] = multModP(X2N[k - 1]!, X2N[k - 1]!);

/** x^(n·2^k) modulo the polynomial, n any non-negative integer (safe beyond 2^32). */
function x2nModP(n: number, k: number): number {
  let p = 0x80000000; // x^0
  while (n > 0) {
    if (n % 2) p = multModP(X2N[k & 31]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** Shifting a CRC by a length is a multiplication by x^(8·len); the pieces of a stream mostly
 * share one length, so the multiplier of the last few lengths is kept. */
const shiftOf = new Map<number, number>();

/** The CRC of A followed by B, from the CRCs of A and B and B's length. */
export function crc32Combine(crcA: number, crcB: number, lenB: number): number {
  if (lenB <= 0) return crcA >>> 0;
  let op = shiftOf.get(lenB);
  if (op === undefined) {
    op = x2nModP(lenB, 3);
    if (shiftOf.size >= 64) shiftOf.clear();
    shiftOf.set(lenB, op);
  }
  return (multModP(op, crcA >>> 0) ^ crcB) >>> 0;
}

/** Collects CRCs of pieces of a file seen in any order; `value()` combines them in file order. */
export class PieceCrc {
  #pieces: Array<{ offset: number; len: number; crc: number }> = [];

  add(offset: number, data: Uint8Array): void {
    if (data.length) this.#pieces.push({ offset, len: data.length, crc: crc32(data) });
  }

  /** A piece whose CRC was computed elsewhere (e.g. by preadCrc on the thread pool). */
  addCrc(offset: number, len: number, crc: number): void {
    if (len) this.#pieces.push({ offset, len, crc: crc >>> 0 });
  }

  /** The file's CRC, given its size; throws if the pieces do not cover it exactly once. */
  value(size: number): number {
    const ps = this.#pieces.sort((a, b) => a.offset - b.offset);
    let crc = 0;
    let at = 0;
    for (const p of ps) {
      if (p.offset !== at) throw new Error(`bug: CRC pieces do not cover the file (gap or overlap at ${at})`);
      crc = crc32Combine(crc, p.crc, p.len);
      at += p.len;
    }
    if (at !== size) throw new Error(`bug: CRC pieces cover ${at} of ${size} bytes`);
    return crc;
  }
}
