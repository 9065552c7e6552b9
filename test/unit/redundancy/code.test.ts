// The erasure code, checked in plain JS on small random chunks: for every set size and k, and
// every subset of lost members up to k (and one more, which must be refused), decoding restores
// every lost chunk byte for byte.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gfMul } from '../../../src/kernels/gf256.js';
import { type CodeKind, coefficient, decodePlan, stripeChunks, stripeOfData, stripeOfParity } from '../../../src/redundancy/code.js';

function subsets(n: number, size: number): number[][] {
  if (size === 0) return [[]];
  const out: number[][] = [];
  const rec = (start: number, acc: number[]) => {
    if (acc.length === size) { out.push([...acc]); return; }
    for (let i = start; i < n; i++) rec(i + 1, [...acc, i]);
  };
  rec(0, []);
  return out;
}

function mulAdd(dst: Uint8Array, c: number, src: Uint8Array) {
  for (let i = 0; i < dst.length; i++) dst[i]! ^= gfMul(c, src[i]!);
}

describe('erasure code (stripes, Cauchy RS, XOR)', () => {
  it('each member holds one chunk of every stripe: n−k data chunks and k parity chunks', () => {
    for (let n = 2; n <= 9; n++) {
      for (let k = 1; k < n; k++) {
        const held = Array.from({ length: n }, () => ({ data: new Set<number>(), parity: new Set<number>(), stripes: new Set<number>() }));
        for (let j = 0; j < n; j++) {
          for (const c of stripeChunks(n, k, j)) {
            const h = held[c.member]!;
            assert.ok(!h.stripes.has(j), `member ${c.member} appears twice in stripe ${j} (n=${n}, k=${k})`);
            h.stripes.add(j);
            (c.role === 'data' ? h.data : h.parity).add(c.index);
            if (c.role === 'data') assert.equal(stripeOfData(n, k, c.member, c.index), j);
            else assert.equal(stripeOfParity(n, c.member, c.index), j);
          }
        }
        for (const h of held) {
          assert.equal(h.stripes.size, n);
          assert.equal(h.data.size, n - k);
          assert.equal(h.parity.size, k);
        }
      }
    }
  });

  for (const kind of ['XOR', 'RS'] as CodeKind[]) {
    it(`${kind}: restores every lost subset of at most k members, and refuses k+1`, () => {
      for (let n = 2; n <= 7; n++) {
        for (let k = 1; k <= (kind === 'XOR' ? 1 : Math.min(3, n - 1)); k++) {
          const len = 7;
          // data[i][c] = member i's data chunk c
          const data = Array.from({ length: n }, () => Array.from({ length: n - k }, () => new Uint8Array(randomBytes(len))));
          const parity = Array.from({ length: n }, () => Array.from({ length: k }, () => new Uint8Array(len)));
          for (let j = 0; j < n; j++) {
            const chunks = stripeChunks(n, k, j);
            const d = chunks.filter((c) => c.role === 'data');
            for (const pc of chunks.filter((c) => c.role === 'parity')) {
              d.forEach((dc, q) => mulAdd(parity[pc.member]![pc.index]!, coefficient(kind, k, pc.index, q), data[dc.member]![dc.index]!));
            }
          }
          const chunkOf = (c: { member: number; role: string; index: number }) => (c.role === 'data' ? data : parity)[c.member]![c.index]!;
          for (let lostCount = 1; lostCount <= k + 1 && lostCount < n; lostCount++) {
            for (const lostMembers of subsets(n, lostCount)) {
              for (let j = 0; j < n; j++) {
                const chunks = stripeChunks(n, k, j);
                const lostPos = chunks.map((c, t) => (lostMembers.includes(c.member) ? t : -1)).filter((t) => t >= 0);
                if (lostCount > k) {
                  assert.throws(() => decodePlan(kind, n, k, lostPos), /restores at most/);
                  continue;
                }
                for (const step of decodePlan(kind, n, k, lostPos)) {
                  const out = new Uint8Array(len);
                  for (const term of step.terms) {
                    assert.ok(!lostPos.includes(term.from), 'only survivors are read');
                    mulAdd(out, term.coeff, chunkOf(chunks[term.from]!));
                  }
                  assert.deepEqual(out, chunkOf(chunks[step.lost]!), `${kind} n=${n} k=${k} lost=${lostMembers} stripe ${j} chunk ${step.lost}`);
                }
              }
            }
          }
        }
      }
    });
  }
});
