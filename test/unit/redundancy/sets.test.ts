import assert from 'node:assert/strict';
import { cutSizes, fitScheme, formLines, formSets } from '../../../src/redundancy/sets.js';

const nodes = (n: number, ppn: number) => Array.from({ length: n * ppn }, (_, r) => `n${Math.floor(r / ppn)}`);

describe('redundancy sets', () => {
  it('cuts lines into sets of at least SET_SIZE, spreading the remainder', () => {
    assert.deepEqual(cutSizes(16, 8), [8, 8]);
    assert.deepEqual(cutSizes(17, 8), [9, 8]);
    assert.deepEqual(cutSizes(23, 8), [12, 11]);
    assert.deepEqual(cutSizes(24, 8), [8, 8, 8]);
    assert.deepEqual(cutSizes(5, 8), [5]);
    assert.deepEqual(cutSizes(1, 8), [1]);
    assert.deepEqual(cutSizes(0, 8), []);
  });

  it('RS sets are cut to at most 255 members (the Cauchy code needs distinct field elements)', () => {
    assert.deepEqual(cutSizes(300, 300, 255), [150, 150]);
    assert.deepEqual(cutSizes(255, 300, 255), [255]);
    const layout = formSets(Array.from({ length: 300 }, (_, r) => `n${r}`), 400, 'RS', 2);
    assert.deepEqual(layout.sets.map((s) => s.members.length), [150, 150]);
    assert.ok(layout.sets.every((s) => s.scheme === 'RS'));
    assert.equal(formSets(Array.from({ length: 300 }, (_, r) => `n${r}`), 400, 'XOR', 1).sets.length, 1, 'XOR sets are not capped');
  });

  it('lines take the i-th rank of every group, groups in order of their lowest rank', () => {
    // 3 nodes x 2 ranks, blocks: n0={0,1} n1={2,3} n2={4,5}
    assert.deepEqual(formLines(nodes(3, 2)), [[0, 2, 4], [1, 3, 5]]);
    // round-robin placement: n0={0,3} n1={1,4} n2={2,5}
    assert.deepEqual(formLines(['n0', 'n1', 'n2', 'n0', 'n1', 'n2']), [[0, 1, 2], [3, 4, 5]]);
    // uneven groups: the longer group's extra rank forms a line of its own
    assert.deepEqual(formLines(['a', 'a', 'a', 'b']), [[0, 3], [1], [2]]);
  });

  it('every member of a set is in a different failure group', () => {
    for (const [n, ppn, size] of [[4, 2, 8], [17, 1, 8], [6, 3, 4], [9, 4, 3]] as const) {
      const layout = formSets(nodes(n, ppn), size, 'XOR', 2);
      const seen = new Set<number>();
      for (const s of layout.sets) {
        assert.equal(new Set(s.groups).size, s.members.length, `set ${s.id} spans distinct groups`);
        s.members.forEach((r, pos) => { assert.deepEqual(layout.where[r], [s.id, pos]); seen.add(r); });
      }
      assert.equal(seen.size, n * ppn, 'every rank is in exactly one set');
    }
  });

  it('4 nodes x 2 ranks with SET_SIZE 8 gives two XOR sets of 4 across the nodes', () => {
    const layout = formSets(nodes(4, 2), 8, 'XOR', 2);
    assert.deepEqual(layout.sets.map((s) => s.members), [[0, 2, 4, 6], [1, 3, 5, 7]]);
    assert.ok(layout.sets.every((s) => s.scheme === 'XOR' && s.k === 1));
    assert.deepEqual(layout.warnings, []);
  });

  it('degrades a set too small for its scheme, with a warning', () => {
    assert.deepEqual(fitScheme('RS', 2, 3), { scheme: 'RS', k: 2 });
    assert.deepEqual(fitScheme('RS', 2, 2), { scheme: 'XOR', k: 1 });
    assert.deepEqual(fitScheme('RS', 3, 3), { scheme: 'XOR', k: 1 });
    assert.deepEqual(fitScheme('XOR', 1, 2), { scheme: 'XOR', k: 1 });
    assert.deepEqual(fitScheme('XOR', 1, 1), { scheme: 'SINGLE', k: 0 });
    assert.deepEqual(fitScheme('PARTNER', 0, 1), { scheme: 'SINGLE', k: 0 });
    const layout = formSets(nodes(2, 1), 8, 'RS', 2);
    assert.equal(layout.sets[0]!.scheme, 'XOR');
    assert.match(layout.warnings[0]!, /too few for RS with SET_FAILURES=2, using XOR/);
  });

  it('a single-node job degrades to SINGLE with one warning', () => {
    const layout = formSets(nodes(1, 4), 8, 'XOR', 2);
    assert.ok(layout.sets.every((s) => s.scheme === 'SINGLE'));
    assert.equal(layout.warnings.length, 1);
    assert.match(layout.warnings[0]!, /all 4 rank\(s\) are in one failure group \(n0\): XOR cannot protect against its loss, using SINGLE/);
  });
});
