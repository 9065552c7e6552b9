// CRC32 (zlib's, as Node's zlib.crc32 computes it) of data seen in pieces out of order:
// crc32Combine(crc(A), crc(B), len(B)) = crc(A‖B), by zlib's GF(2) matrix method.
import { crc32 } from 'node:zlib';

function gf2Times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let i = 0; vec !== 0; i++, vec >>>= 1) if (vec & 1) sum ^= mat[i]!;
  return sum >>> 0;
}

function gf2Square(out: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) out[n] = gf2Times(mat, mat[n]!);
}

/** The CRC of A followed by B, from the CRCs of A and B and B's length. */
export function crc32Combine(crcA: number, crcB: number, lenB: number): number {
  if (lenB <= 0) return crcA >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  odd[0] = 0xedb88320; // the reversed CRC-32 polynomial: one zero bit
  let row = 1;
  for (let n = 1; n < 32; n++) { odd[n] = row; row <<= 1; }
  gf2Square(even, odd); // two zero bits
  gf2Square(odd, even); // four zero bits
  let a = crcA >>> 0;
  let len = lenB;
  do {
    gf2Square(even, odd);
    if (len % 2) a = gf2Times(even, a);
    len = Math.floor(len / 2);
    if (len === 0) break;
    gf2Square(odd, even);
    if (len % 2) a = gf2Times(odd, a);
    len = Math.floor(len / 2);
  } while (len !== 0);
  return (a ^ crcB) >>> 0;
}

/** Collects CRCs of pieces of a file seen in any order; `value()` combines them in file order. */
export class PieceCrc {
  #pieces: Array<{ offset: number; len: number; crc: number }> = [];

  add(offset: number, data: Uint8Array): void {
    if (data.length) this.#pieces.push({ offset, len: data.length, crc: crc32(data) });
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
