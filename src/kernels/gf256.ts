// GF(2^8) arithmetic in TypeScript, for building Reed–Solomon encoding/decoding matrices.
// Same field as the native gfMulAdd: polynomial x^8+x^4+x^3+x^2+1 (0x11D), generator 2.
// The bulk work (multiply-add over buffers) is native; these are for single bytes and small matrices.

const POLY = 0x11d;

/** EXP[i] = 2^i, doubled in length so EXP[LOG[a] + LOG[b]] needs no modulo. */
const EXP = new Uint8Array(510);
/** LOG[a] = i with 2^i = a, for a = 1..255 (LOG[0] unused). */
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    EXP[i + 255] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= POLY;
  }
}

function checkByte(v: unknown, fn: string, name: string): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
    throw new RangeError(`${fn}: ${name} must be an integer 0..255 (got ${String(v)})`);
  }
}

/** a·b in GF(2^8). */
export function gfMul(a: number, b: number): number {
  checkByte(a, 'gfMul', 'a');
  checkByte(b, 'gfMul', 'b');
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
}

/** The multiplicative inverse of a (RangeError for 0, which has none). */
export function gfInv(a: number): number {
  checkByte(a, 'gfInv', 'a');
  if (a === 0) throw new RangeError('gfInv: a must not be 0 (0 has no inverse)');
  return EXP[255 - LOG[a]];
}

/** a/b in GF(2^8) (RangeError for b = 0). */
export function gfDiv(a: number, b: number): number {
  checkByte(a, 'gfDiv', 'a');
  checkByte(b, 'gfDiv', 'b');
  if (b === 0) throw new RangeError('gfDiv: b must not be 0');
  return a === 0 ? 0 : EXP[LOG[a] + 255 - LOG[b]];
}

/** a^n for an integer n (negative n means powers of the inverse; 0^0 = 1; 0^n for n < 0 is a RangeError). */
export function gfPow(a: number, n: number): number {
  checkByte(a, 'gfPow', 'a');
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new RangeError(`gfPow: n must be a safe integer (got ${String(n)})`);
  }
  if (n === 0) return 1;
  if (a === 0) {
    if (n < 0) throw new RangeError('gfPow: 0 has no negative powers');
    return 0;
  }
  const e = (((LOG[a] * (n % 255)) % 255) + 255) % 255;
  return EXP[e];
}

/** A matrix as rows of bytes. */
export type GfMatrix = Uint8Array[];

function checkMatrix(m: unknown, fn: string, name: string): asserts m is GfMatrix {
  if (!Array.isArray(m) || m.length === 0 || !m.every((r) => r instanceof Uint8Array && r.length === m[0].length)) {
    throw new TypeError(`${fn}: ${name} must be a non-empty array of equal-length Uint8Array rows`);
  }
}

/** The product a·b of an m×n and an n×p matrix. */
export function gfMatrixMul(a: readonly Uint8Array[], b: readonly Uint8Array[]): GfMatrix {
  checkMatrix(a, 'gfMatrixMul', 'a');
  checkMatrix(b, 'gfMatrixMul', 'b');
  if (a[0].length !== b.length) {
    throw new RangeError(`gfMatrixMul: b must have ${a[0].length} rows (a's column count), not ${b.length}`);
  }
  const p = b[0].length;
  return a.map((row) => {
    const out = new Uint8Array(p);
    row.forEach((x, k) => {
      if (x === 0) return;
      const lx = LOG[x];
      const bk = b[k];
      for (let j = 0; j < p; j++) if (bk[j] !== 0) out[j] ^= EXP[lx + LOG[bk[j]]];
    });
    return out;
  });
}

/** The inverse of a k×k matrix by Gauss–Jordan elimination; RangeError if it is singular. */
export function gfMatrixInvert(m: readonly Uint8Array[]): GfMatrix {
  checkMatrix(m, 'gfMatrixInvert', 'm');
  const k = m.length;
  if (m[0].length !== k) throw new RangeError(`gfMatrixInvert: m must be square (it is ${k}×${m[0].length})`);
  const a = m.map((r) => Uint8Array.from(r));
  const inv = a.map((_, i) => {
    const r = new Uint8Array(k);
    r[i] = 1;
    return r;
  });
  // rows ^= f · other, on both halves
  const addScaled = (dst: Uint8Array, f: number, src: Uint8Array): void => {
    const lf = LOG[f];
    for (let j = 0; j < k; j++) if (src[j] !== 0) dst[j] ^= EXP[lf + LOG[src[j]]];
  };
  for (let col = 0; col < k; col++) {
    let pivot = col;
    while (pivot < k && a[pivot][col] === 0) pivot++;
    if (pivot === k) throw new RangeError(`gfMatrixInvert: m is singular (no pivot in column ${col})`);
    [a[col], a[pivot]] = [a[pivot], a[col]];
    [inv[col], inv[pivot]] = [inv[pivot], inv[col]];
    const scale = gfInv(a[col][col]);
    if (scale !== 1) {
      for (let j = 0; j < k; j++) {
        a[col][j] = gfMul(a[col][j], scale);
        inv[col][j] = gfMul(inv[col][j], scale);
      }
    }
    for (let r = 0; r < k; r++) {
      const f = a[r][col];
      if (r === col || f === 0) continue;
      addScaled(a[r], f, a[col]);
      addScaled(inv[r], f, inv[col]);
    }
  }
  return inv;
}
