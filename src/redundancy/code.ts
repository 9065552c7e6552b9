// The erasure code of a redundancy set of n members with k parity chunks per stripe (XOR: k = 1,
// RS: k = SET_FAILURES). Each member's data (its files as one zero-padded stream) is cut into
// n−k chunks; stripe j (one per member, j = 0..n−1) holds data chunks of the n−k members at
// positions j+k … j+n−1 and parity chunks on members j … j+k−1 (positions mod n). Every member
// holds exactly one chunk of every stripe, so losing any k members loses at most k chunks per
// stripe, which the code can restore.
//   XOR: the parity is the XOR of the stripe's data chunks.
//   RS:  parity p = Σ_q G[p][q]·D_q over GF(2^8) with the Cauchy matrix G[p][q] = 1/(p ⊕ (k+q)),
//        which keeps every square submatrix of [I; G] invertible (a systematic MDS code).
import { gfInv, gfMatrixInvert, gfMul } from '../kernels/gf256.js';

export type CodeKind = 'XOR' | 'RS';

/** Where one chunk of a stripe lives. */
export interface ChunkRef {
  /** Member position in the set. */
  member: number;
  /** 'data' chunk `index` (0..n−k−1) of the member's stream, or 'parity' chunk `index` (0..k−1). */
  role: 'data' | 'parity';
  index: number;
}

const mod = (a: number, n: number) => ((a % n) + n) % n;

/** Stripe j's chunks in code order: data chunks q = 0..n−k−1, then parity chunks p = 0..k−1. */
export function stripeChunks(n: number, k: number, j: number): ChunkRef[] {
  const out: ChunkRef[] = [];
  for (let q = 0; q < n - k; q++) {
    const member = mod(j + k + q, n);
    out.push({ member, role: 'data', index: dataIndexOf(n, k, member, j) });
  }
  for (let p = 0; p < k; p++) out.push({ member: mod(j + p, n), role: 'parity', index: p });
  return out;
}

/** Which of member i's data chunks belongs to stripe j (i must be a data member of j). */
export function dataIndexOf(n: number, k: number, i: number, j: number): number {
  const q = mod(i - j - k, n);
  if (q >= n - k) throw new Error(`bug: member ${i} holds parity, not data, in stripe ${j}`);
  // Member i's chunk c belongs to stripe (i − k − c): so c = q.
  return q;
}

/** The stripe that member i's data chunk c belongs to. */
export function stripeOfData(n: number, k: number, i: number, c: number): number {
  return mod(i - k - c, n);
}

/** The stripe whose parity chunk p member i holds. */
export function stripeOfParity(n: number, i: number, p: number): number {
  return mod(i - p, n);
}

/** Coefficient of data chunk q in parity p. */
export function coefficient(kind: CodeKind, k: number, p: number, q: number): number {
  if (kind === 'XOR') return 1;
  return gfInv(p ^ (k + q));
}

/** The generator row of chunk t of a stripe (t < n−k: data q = t; else parity p = t−(n−k)). */
function generatorRow(kind: CodeKind, n: number, k: number, t: number): Uint8Array {
  const row = new Uint8Array(n - k);
  if (t < n - k) row[t] = 1;
  else for (let q = 0; q < n - k; q++) row[q] = coefficient(kind, k, t - (n - k), q);
  return row;
}

/** How to restore lost chunks of one stripe: for each lost chunk (by code position t), the
 * surviving chunks to combine and their coefficients. Throws if more than k chunks are lost. */
export function decodePlan(kind: CodeKind, n: number, k: number, lostPositions: readonly number[]): Array<{ lost: number; terms: Array<{ from: number; coeff: number }> }> {
  const lost = new Set(lostPositions);
  if (lost.size > k) throw new Error(`${lost.size} chunks of a stripe are lost but the code restores at most ${k}`);
  if (lost.size === 0) return [];
  const survivors = Array.from({ length: n }, (_, t) => t).filter((t) => !lost.has(t)).slice(0, n - k);
  const inv = gfMatrixInvert(survivors.map((t) => generatorRow(kind, n, k, t)));
  return [...lost].sort((a, b) => a - b).map((t) => {
    // chunk_t = row_t · D = row_t · inv · S
    const row = generatorRow(kind, n, k, t);
    const coeffs = new Uint8Array(n - k);
    for (let s = 0; s < n - k; s++) {
      let acc = 0;
      for (let q = 0; q < n - k; q++) acc ^= gfMul(row[q]!, inv[q]![s]!);
      coeffs[s] = acc;
    }
    return { lost: t, terms: survivors.map((from, s) => ({ from, coeff: coeffs[s]! })).filter((x) => x.coeff !== 0) };
  });
}
