// Tests of Slurm-style host lists (src/common/hostlist.ts): examples for each rule and error,
// and fast-check properties for the round trips between expandHostlist and compressHostlist.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  compressHostlist, expandHostlist, HOSTLIST_MAX_HOSTS, HostlistError, hostlistCount,
} from '../../src/common/hostlist.js';

/** Asserts that fn throws a HostlistError whose message matches every pattern. */
function assertHostlistError(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HostlistError, `expected a HostlistError, got ${String(err)}`);
    assert.ok(err instanceof Error);
    assert.equal(err.code, 'ERR_HOSTLIST');
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

const sortedCopy = (a: readonly string[]): string[] => [...a].sort();

describe('expandHostlist', () => {
  it('expands ranges, single numbers and plain names in the order written', () => {
    assert.deepEqual(expandHostlist('node[1-4,7],gpu[01-02],login'),
      ['node1', 'node2', 'node3', 'node4', 'node7', 'gpu01', 'gpu02', 'login']);
  });

  it('keeps zero padding as written, padding to the width of the lower bound', () => {
    assert.deepEqual(expandHostlist('gpu[01-02]'), ['gpu01', 'gpu02']);
    assert.deepEqual(expandHostlist('n[008-010]'), ['n008', 'n009', 'n010']);
    assert.deepEqual(expandHostlist('n[8-10]'), ['n8', 'n9', 'n10']);
    assert.deepEqual(expandHostlist('n[98-100]'), ['n98', 'n99', 'n100']);
    assert.deepEqual(expandHostlist('n[099-101]'), ['n099', 'n100', 'n101']);
    assert.deepEqual(expandHostlist('n[007]'), ['n007']);
    assert.deepEqual(expandHostlist('n[0-1]'), ['n0', 'n1']);
  });

  it('takes the cartesian product of several bracket groups, leftmost slowest', () => {
    assert.deepEqual(expandHostlist('rack[1-2]-node[1-2]'),
      ['rack1-node1', 'rack1-node2', 'rack2-node1', 'rack2-node2']);
    assert.deepEqual(expandHostlist('[1-2][3,5]'), ['13', '15', '23', '25']);
  });

  it('keeps suffixes after a bracket and text with digits before one', () => {
    assert.deepEqual(expandHostlist('n[1-2]-ib'), ['n1-ib', 'n2-ib']);
    assert.deepEqual(expandHostlist('r1n[3,5]x'), ['r1n3x', 'r1n5x']);
  });

  it('accepts commas and any whitespace between hosts, including leading and trailing ones', () => {
    assert.deepEqual(expandHostlist(' a1  b[1-2],\tc\n d ,e,, '), ['a1', 'b1', 'b2', 'c', 'd', 'e']);
    assert.deepEqual(expandHostlist(''), []);
    assert.deepEqual(expandHostlist(' ,\n'), []);
  });

  it('preserves duplicates and the order given', () => {
    assert.deepEqual(expandHostlist('n2,n[1-2],n1,n[2,2]'), ['n2', 'n1', 'n2', 'n1', 'n2', 'n2']);
  });

  it('handles numbers beyond 2^53 exactly', () => {
    assert.deepEqual(expandHostlist('n[99999999999999999998-100000000000000000000]'),
      ['n99999999999999999998', 'n99999999999999999999', 'n100000000000000000000']);
  });

  it('allows exactly the limit of hosts', () => {
    assert.equal(HOSTLIST_MAX_HOSTS, 1_000_000);
    const hosts = expandHostlist('n[1-1000000]');
    assert.equal(hosts.length, 1_000_000);
    assert.equal(hosts[999_999], 'n1000000');
    assert.equal(hostlistCount('a[1-1000]b[1-1000]'), 1_000_000);
    assert.equal(hostlistCount('a[1-500000],b[1-500000]'), 1_000_000);
  });
});

describe('expandHostlist errors', () => {
  it('is a HostlistError with code ERR_HOSTLIST, an Error', () => {
    const err = (() => { try { expandHostlist('n[1'); } catch (e) { return e; } })();
    assert.ok(err instanceof Error);
    assert.ok(err instanceof HostlistError);
    assert.equal((err as HostlistError).code, 'ERR_HOSTLIST');
    assert.equal((err as HostlistError).name, 'HostlistError');
  });

  it('reports a "[" that is never closed, quoting the host expression', () => {
    assertHostlistError(() => expandHostlist('a1,n[1-2'), /unbalanced brackets/, /"n\[1-2"/, /never closed/);
    assertHostlistError(() => expandHostlist('n[1-2,m3'), /unbalanced brackets/, /"n\[1-2,m3"/, /never closed/);
  });

  it('reports a "]" without a "["', () => {
    assertHostlistError(() => expandHostlist('a1,n1-2],b'), /unbalanced brackets/, /"n1-2\]"/, /no matching "\["/);
    assertHostlistError(() => expandHostlist('n[1-2]]'), /unbalanced brackets/, /"n\[1-2\]\]"/, /no matching/);
  });

  it('reports nested brackets', () => {
    assertHostlistError(() => expandHostlist('n[1[2]]'), /unbalanced brackets/, /"n\[1\[2\]\]"/, /cannot nest/);
  });

  it('reports empty brackets', () => {
    assertHostlistError(() => expandHostlist('login,n[]'), /empty brackets "\[\]"/, /"n\[\]"/);
  });

  it('reports an empty entry inside brackets', () => {
    assertHostlistError(() => expandHostlist('n[1,,3]'), /empty entry/, /"n\[1,,3\]"/);
    assertHostlistError(() => expandHostlist('n[1,]'), /empty entry/, /"n\[1,\]"/);
  });

  it('reports a descending range and says how to write it', () => {
    assertHostlistError(() => expandHostlist('n[5-3]'), /descending range "5-3"/, /"n\[5-3\]"/, /5 is greater than 3/, /write 3-5/);
  });

  it('reports non-numeric and malformed ranges', () => {
    assertHostlistError(() => expandHostlist('n[a-c]'), /non-numeric range "a-c"/, /"n\[a-c\]"/);
    assertHostlistError(() => expandHostlist('n[1, 2]'), /non-numeric range " 2"/);
    assertHostlistError(() => expandHostlist('n[1-x]'), /non-numeric range "1-x"/);
    assertHostlistError(() => expandHostlist('n[1-2-3]'), /malformed range "1-2-3"/, /"n\[1-2-3\]"/);
    assertHostlistError(() => expandHostlist('n[-3]'), /malformed range "-3"/);
    assertHostlistError(() => expandHostlist('n[1-]'), /malformed range "1-"/);
  });

  it('refuses a range over 1,000,000 hosts and says so', () => {
    assertHostlistError(() => expandHostlist('n[1-1000001]'),
      /range "1-1000001"/, /"n\[1-1000001\]"/, /covers 1000001 hosts/, /more than the limit of 1,000,000/);
    assertHostlistError(() => hostlistCount('n[0-99999999999999999999]'), /covers 100000000000000000000 hosts/);
  });

  it('refuses a host expression or a whole list over 1,000,000 hosts', () => {
    assertHostlistError(() => expandHostlist('a[1-1000]b[1-1001]'),
      /"a\[1-1000\]b\[1-1001\]" expands to 1001000 hosts/, /more than the limit of 1,000,000/);
    assertHostlistError(() => hostlistCount('a[1-600000],b[1-400001]'),
      /the list expands to 1000001 hosts/, /more than the limit of 1,000,000/);
  });
});

describe('hostlistCount', () => {
  it('counts without expanding', () => {
    assert.equal(hostlistCount('node[1-4,7],gpu[01-02],login'), 8);
    assert.equal(hostlistCount('rack[1-2]-node[1-3]'), 6);
    assert.equal(hostlistCount('n1,n1'), 2);
    assert.equal(hostlistCount(''), 0);
  });

  it('throws the same errors as expandHostlist', () => {
    assertHostlistError(() => hostlistCount('n[5-3]'), /descending range "5-3"/);
    assertHostlistError(() => hostlistCount('n[1'), /unbalanced brackets/);
  });
});

describe('compressHostlist', () => {
  it('writes ranges, keeping zero padding', () => {
    assert.equal(compressHostlist(['node1', 'node2', 'node3', 'node4', 'node7', 'gpu01', 'gpu02', 'login']),
      'node[1-4,7],gpu[01-02],login');
    assert.equal(compressHostlist(['n008', 'n009', 'n010']), 'n[008-010]');
  });

  it('merges only hosts whose numbers have the same width and padding style', () => {
    assert.equal(compressHostlist(['n01', 'n02', 'n10']), 'n[01-02,10]');
    assert.equal(compressHostlist(['n1', 'n2', 'n10']), 'n[1-2,10]');
    assert.equal(compressHostlist(['n9', 'n10']), 'n[9-10]');
    assert.equal(compressHostlist(['n09', 'n10']), 'n[09-10]');
    assert.equal(compressHostlist(['n1', 'n01', 'n001']), 'n1,n01,n001');
    assert.equal(compressHostlist(['n1', 'n2', 'n01', 'n02']), 'n[1-2],n[01-02]');
    // A natural number joins the padded group of its width when there is one.
    assert.equal(compressHostlist(['n9', 'n10', 'n05']), 'n9,n[05,10]');
    assert.equal(compressHostlist(['n0', 'n1', 'n00']), 'n[0-1],n00');
  });

  it('does not bracket a single host', () => {
    assert.equal(compressHostlist(['n1']), 'n1');
    assert.equal(compressHostlist(['n1', 'm2']), 'n1,m2');
    assert.equal(compressHostlist(['n07-ib']), 'n07-ib');
  });

  it('groups around the last numeric field, keeping the suffix', () => {
    assert.equal(compressHostlist(['rack1-node1', 'rack1-node2', 'rack2-node1']), 'rack1-node[1-2],rack2-node1');
    assert.equal(compressHostlist(['n1-ib', 'n2-ib', 'n3-eth', 'n4-eth']), 'n[1-2]-ib,n[3-4]-eth');
    assert.equal(compressHostlist(['1', '2', '3', '5']), '[1-3,5]');
  });

  it('leaves names without digits as they are, in place', () => {
    assert.equal(compressHostlist(['login', 'n1', 'admin', 'n2', 'login']), 'login,n[1-2],admin,login');
  });

  it('keeps first-appearance order of groups and sorts numerically within a group', () => {
    assert.equal(compressHostlist(['b3', 'a1', 'b1', 'a2', 'b2', 'b10']), 'b[1-3,10],a[1-2]');
    assert.equal(compressHostlist(expandHostlist('n3,n1,n2')), 'n[1-3]');
  });

  it('keeps duplicates instead of dropping them', () => {
    assert.equal(compressHostlist(['n1', 'n1', 'n2']), 'n[1,1-2]');
    assert.deepEqual(expandHostlist(compressHostlist(['n2', 'n1', 'n2'])), ['n1', 'n2', 'n2']);
    assert.equal(compressHostlist(['a', 'a']), 'a,a');
  });

  it('handles numbers beyond 2^53 exactly', () => {
    assert.equal(compressHostlist(['n99999999999999999999', 'n100000000000000000000']),
      'n[99999999999999999999-100000000000000000000]');
    assert.equal(compressHostlist(['n9007199254740993', 'n9007199254740992']), 'n[9007199254740992-9007199254740993]');
    assert.equal(compressHostlist(['n100000000000000000002', 'n100000000000000000000']),
      'n[100000000000000000000,100000000000000000002]');
  });

  it('returns "" for no hosts', () => {
    assert.equal(compressHostlist([]), '');
  });

  it('rejects host names that cannot be written in a host list', () => {
    assertHostlistError(() => compressHostlist(['n1', '']), /empty host name/);
    assertHostlistError(() => compressHostlist(['n[1]']), /host name "n\[1\]" contains "\["/);
    assertHostlistError(() => compressHostlist(['n]']), /contains "\]"/);
    assertHostlistError(() => compressHostlist(['a,b']), /host name "a,b" contains ","/);
    assertHostlistError(() => compressHostlist(['a b']), /contains " "/);
    assertHostlistError(() => compressHostlist(['a\tb']), /contains "\\t"/);
  });
});

// ---------------------------------------------------------------- properties

const letters = (chars: string, minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...chars), minLength, maxLength });

/** A number written zero-padded to a random width (often no padding at all). */
const paddedNumber = fc.tuple(
  fc.oneof(fc.nat(40), fc.nat(5000), fc.bigInt({ min: 0n, max: 10n ** 22n })),
  fc.integer({ min: 1, max: 6 }),
).map(([n, width]) => n.toString().padStart(width, '0'));

/** Host names from a small alphabet so that groups, runs and duplicates are common. */
const host = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(letters('ab-', 0, 2), paddedNumber, letters('x-', 0, 1)).map((p) => p.join('')) },
  { weight: 2, arbitrary: fc.tuple(letters('ab-', 1, 2), fc.nat(9), letters('ab-', 0, 2), paddedNumber).map((p) => p.join('')) },
  { weight: 1, arbitrary: letters('ab-', 1, 3) },
);
const hosts = fc.array(host, { maxLength: 40 });

/** Hosts whose prefix + suffix around the last number have at least 2 characters. */
const longNamedHosts = fc.array(
  fc.oneof(
    fc.tuple(letters('ab-', 2, 3), paddedNumber, letters('x-', 0, 1)).map((p) => p.join('')),
    fc.tuple(letters('ab-', 1, 1), paddedNumber, letters('x-', 1, 1)).map((p) => p.join('')),
    letters('ab-', 1, 3),
  ),
  { maxLength: 40 },
);

describe('host list properties', () => {
  it('expand(compress(h)) is a permutation of h', () => {
    fc.assert(fc.property(hosts, (h) => {
      assert.deepEqual(sortedCopy(expandHostlist(compressHostlist(h))), sortedCopy(h));
    }), { numRuns: 500 });
  });

  it('expand(compress(h)) equals h when h is in compress order (sorted blocks of one group each)', () => {
    // Blocks with distinct (prefix, suffix); in each, ascending distinct numbers of one width.
    const block = fc.record({
      width: fc.integer({ min: 1, max: 4 }),
      numbers: fc.uniqueArray(fc.nat(9999), { minLength: 1, maxLength: 12 }),
    });
    const blocks = fc.uniqueArray(
      fc.tuple(letters('ab-', 0, 3), letters('x-', 0, 2), block),
      { selector: ([prefix, suffix]) => `${prefix}|${suffix}`, maxLength: 6 },
    );
    fc.assert(fc.property(blocks, (bs) => {
      const h = bs.flatMap(([prefix, suffix, { width, numbers }]) => numbers
        .map((n) => n % 10 ** width)
        .filter((n, i, all) => all.indexOf(n) === i)
        .sort((a, b) => a - b)
        .map((n) => prefix + String(n).padStart(width, '0') + suffix));
      assert.deepEqual(expandHostlist(compressHostlist(h)), h);
    }), { numRuns: 500 });
  });

  it('expand∘compress is idempotent and compress gives the same text for its own expansion', () => {
    fc.assert(fc.property(hosts, (h) => {
      const text = compressHostlist(h);
      const once = expandHostlist(text);
      assert.deepEqual(expandHostlist(compressHostlist(once)), once);
      assert.equal(compressHostlist(once), text);
    }), { numRuns: 500 });
  });

  it('hostlistCount(compress(h)) is h.length', () => {
    fc.assert(fc.property(hosts, (h) => {
      assert.equal(hostlistCount(compressHostlist(h)), h.length);
    }), { numRuns: 300 });
  });

  it('compress is never longer than the comma-joined input when prefix + suffix has 2+ characters', () => {
    fc.assert(fc.property(longNamedHosts, (h) => {
      assert.ok(compressHostlist(h).length <= h.join(',').length, `${compressHostlist(h)} vs ${h.join(',')}`);
    }), { numRuns: 500 });
  });

  it('compress is at most 2 characters per bracket group longer than the comma-joined input', () => {
    fc.assert(fc.property(hosts, (h) => {
      const text = compressHostlist(h);
      const groups = text.split('[').length - 1;
      assert.ok(text.length <= h.join(',').length + 2 * groups, `${text} vs ${h.join(',')}`);
    }), { numRuns: 500 });
    // The bound is reached: a 2-host group with a 1-character prefix.
    assert.equal(compressHostlist(['n1', 'n3']), 'n[1,3]');
  });

  it('compress is much shorter than the input for long runs', () => {
    fc.assert(fc.property(letters('ab-', 1, 3), fc.nat(1000), fc.integer({ min: 3, max: 300 }), (prefix, start, n) => {
      const h = Array.from({ length: n }, (_, i) => `${prefix}${start + i}`);
      assert.equal(compressHostlist(h), `${prefix}[${start}-${start + n - 1}]`);
    }), { numRuns: 200 });
  });

  it('expand agrees with a direct construction of random host expressions', () => {
    // An expression is a list of pieces: literal text, or a bracket group of [lo, length, width, hiPad].
    const range = fc.tuple(fc.nat(200), fc.nat(4), fc.integer({ min: 1, max: 4 }), fc.nat(2));
    const piece = fc.oneof(letters('ab-1', 1, 3), fc.array(range, { minLength: 1, maxLength: 3 }));
    const expr = fc.array(piece, { minLength: 1, maxLength: 3 });
    const sep = fc.constantFrom(',', ' ', ', ', '\n', '\t', ' ,  ');
    fc.assert(fc.property(fc.array(fc.tuple(expr, sep), { maxLength: 5 }), (exprs) => {
      let text = '';
      const expected: string[] = [];
      for (const [pieces, separator] of exprs) {
        let names = [''];
        for (const p of pieces) {
          if (typeof p === 'string') {
            text += p;
            names = names.map((name) => name + p);
            continue;
          }
          const numbers: string[] = [];
          text += `[${p.map(([lo, len, width, hiPad]) => {
            for (let n = lo; n <= lo + len; n++) numbers.push(String(n).padStart(width, '0'));
            const loText = String(lo).padStart(width, '0');
            return len === 0 ? loText : `${loText}-${String(lo + len).padStart(hiPad + 1, '0')}`;
          }).join(',')}]`;
          names = names.flatMap((name) => numbers.map((num) => name + num));
        }
        text += separator;
        expected.push(...names);
      }
      assert.deepEqual(expandHostlist(text), expected);
      assert.equal(hostlistCount(text), expected.length);
    }), { numRuns: 500 });
  });

  it('a compressed list expands back even when written with whitespace separators', () => {
    fc.assert(fc.property(hosts, (h) => {
      const spaced = compressHostlist(h).split(/,(?![^[]*\])/).join(' \n ');
      assert.deepEqual(sortedCopy(expandHostlist(spaced)), sortedCopy(h));
    }), { numRuns: 200 });
  });
});
