// Tests of the native kernels (scr_kernels.node) through src/kernels, against plain JS references.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import * as fc from 'fast-check';
import {
  activeKernelIsa, copyFileCrc, crcFile, gfDiv, gfInv, gfMatrixInvert, gfMatrixMul, gfMul, gfMulAdd,
  gfMulAddAsync, gfPow, setKernelIsa, supportedIsas, xor, xorAsync, type KernelIsa,
} from '../../src/kernels/index.js';
import { kernelsAddon } from '../../src/native/kernels-addon.js';

// ---- references and helpers ----

/** Shift-and-add multiplication modulo 0x11D: independent of every table under test. */
function mulRef(a: number, b: number): number {
  let p = 0;
  for (; b; b >>= 1) {
    if (b & 1) p ^= a;
    a <<= 1;
    if (a & 0x100) a ^= 0x11d;
  }
  return p;
}

function xorRef(dst: Uint8Array, src: Uint8Array): Uint8Array {
  return dst.map((x, i) => x ^ src[i]);
}

function gfMulAddRef(dst: Uint8Array, c: number, src: Uint8Array): Uint8Array {
  return dst.map((x, i) => x ^ mulRef(c, src[i]));
}

/** Deterministic PRNG (xorshift32) so a failure can be reproduced. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

function randomBytes(n: number, next: () => number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = next() & 0xff;
  return b;
}

const GUARD = 16;
const SENTINEL = 0xa5;

/**
 * A view of n random bytes at byte offset `offset` inside a larger buffer whose other bytes hold
 * SENTINEL, so writes past either end of the view are caught by guardsIntact().
 */
function guardedView(n: number, offset: number, next: () => number): Uint8Array {
  const backing = new Uint8Array(n + offset + GUARD).fill(SENTINEL);
  const v = backing.subarray(offset, offset + n);
  v.set(randomBytes(n, next));
  return v;
}

function guardsIntact(v: Uint8Array): boolean {
  const all = new Uint8Array(v.buffer);
  for (let i = 0; i < v.byteOffset; i++) if (all[i] !== SENTINEL) return false;
  for (let i = v.byteOffset + v.length; i < all.length; i++) if (all[i] !== SENTINEL) return false;
  return true;
}

/** Sizes around the 8/16/32/64/128-byte steps of the loops, plus larger and random ones. */
function testSizes(next: () => number): number[] {
  const sizes = [0, 1, 2, 3, 5, 7, 8, 9, 4099, 65536 + 7];
  for (const b of [16, 32, 64, 128, 256]) sizes.push(b - 1, b, b + 1);
  for (let i = 0; i < 12; i++) sizes.push(next() % 3000);
  return sizes;
}

interface Case { n: number; dOff: number; sOff: number }

function cases(seed: number): Case[] {
  const next = rng(seed);
  return testSizes(next).map((n, k) => ({ n, dOff: k % 8, sOff: (3 * k + 1) % 8 }));
}

function label(c: Case): string {
  return `n=${c.n} dst+${c.dOff} src+${c.sOff}`;
}

const ISAS = supportedIsas();

// ---- buffer kernels, once per code path ----

for (const isa of ISAS) {
  describe(`kernels: buffer kernels on the ${isa} path`, () => {
    before(() => assert.equal(setKernelIsa(isa), isa));
    after(() => setKernelIsa('auto'));

    it('is the active path', () => assert.equal(activeKernelIsa(), isa));

    const run = async (kind: 'xor' | 'gf', mode: 'sync' | 'async', seed: number): Promise<void> => {
      const next = rng(seed);
      for (const cs of cases(seed)) {
        const dst = guardedView(cs.n, cs.dOff, next);
        const src = guardedView(cs.n, cs.sOff, next);
        const srcCopy = Uint8Array.from(src);
        const c = kind === 'xor' ? -1 : 2 + (next() % 254);
        const want = kind === 'xor' ? xorRef(dst, src) : gfMulAddRef(dst, c, src);
        if (kind === 'xor') await (mode === 'sync' ? xor(dst, src) : xorAsync(dst, src));
        else await (mode === 'sync' ? gfMulAdd(dst, c, src) : gfMulAddAsync(dst, c, src));
        const what = `${kind} ${mode} ${label(cs)}${kind === 'gf' ? ` c=${c}` : ''}`;
        assert.deepEqual(dst, want, what);
        assert.deepEqual(src, srcCopy, `${what}: src changed`);
        assert.ok(guardsIntact(dst) && guardsIntact(src), `${what}: wrote outside the view`);
      }
    };

    it('xor matches the reference (sizes 0..65543, offsets 0..7)', () => run('xor', 'sync', 11));
    it('xorAsync matches the reference', () => run('xor', 'async', 12));
    it('gfMulAdd matches the reference', () => run('gf', 'sync', 13));
    it('gfMulAddAsync matches the reference', () => run('gf', 'async', 14));

    it('gfMulAdd gives c·x for every c and x (full product table, both forms)', async () => {
      const src = new Uint8Array(256 + 3).subarray(3);
      for (let x = 0; x < 256; x++) src[x] = x;
      for (let c = 0; c < 256; c++) {
        const dst = new Uint8Array(256);
        gfMulAdd(dst, c, src);
        const dst2 = new Uint8Array(256 + 5).subarray(5);
        await gfMulAddAsync(dst2, c, src);
        for (let x = 0; x < 256; x++) {
          const want = mulRef(c, x);
          if (dst[x] !== want || dst2[x] !== want) assert.fail(`c=${c} x=${x}: got ${dst[x]}/${dst2[x]}, want ${want}`);
        }
      }
    });

    it('gfMulAdd with c = 0 leaves dst alone and with c = 1 is xor', () => {
      const next = rng(21);
      const src = randomBytes(1001, next);
      const dst = randomBytes(1001, next);
      const before = Uint8Array.from(dst);
      gfMulAdd(dst, 0, src);
      assert.deepEqual(dst, before);
      gfMulAdd(dst, 1, src);
      assert.deepEqual(dst, xorRef(before, src));
    });

    it('accepts dst and src as the same view', () => {
      const next = rng(22);
      const a = randomBytes(333, next);
      const orig = Uint8Array.from(a);
      gfMulAdd(a, 7, a);
      assert.deepEqual(a, orig.map((x) => x ^ mulRef(7, x)));
      xor(a, a);
      assert.deepEqual(a, new Uint8Array(333));
    });

    it('many concurrent async calls all finish correctly', async () => {
      const next = rng(23);
      const jobs = Array.from({ length: 24 }, (_, i) => {
        const n = 50_000 + i * 977;
        const dst = randomBytes(n, next);
        const src = randomBytes(n, next);
        const want = i % 2 ? xorRef(dst, src) : gfMulAddRef(dst, i + 2, src);
        return { dst, src, want, p: i % 2 ? xorAsync(dst, src) : gfMulAddAsync(dst, i + 2, src) };
      });
      await Promise.all(jobs.map((j) => j.p));
      jobs.forEach((j, i) => assert.deepEqual(j.dst, j.want, `job ${i}`));
    });
  });
}

describe('kernels: ISA selection', () => {
  after(() => setKernelIsa('auto'));

  it("lists 'scalar' first and 'auto' picks the best listed", () => {
    assert.equal(ISAS[0], 'scalar');
    assert.equal(setKernelIsa('auto'), ISAS[ISAS.length - 1]);
  });

  it('rejects unknown names and paths the CPU lacks', () => {
    assert.throws(() => setKernelIsa('sse9' as KernelIsa), RangeError);
    for (const isa of ['ssse3', 'avx2'] as const) {
      if (!ISAS.includes(isa)) assert.throws(() => setKernelIsa(isa), /does not support/);
    }
  });
});

describe('kernels: views and argument checks', () => {
  it('treats any TypedArray or DataView as its bytes', () => {
    const next = rng(31);
    const backD = randomBytes(64, next);
    const backS = randomBytes(64, next);
    const d32 = new Uint32Array(backD.buffer, 8, 10);
    const s64 = new Float64Array(backS.buffer, 16, 5);
    const wantXor = xorRef(backD.subarray(8, 48), backS.subarray(16, 56));
    xor(d32, s64);
    assert.deepEqual(backD.subarray(8, 48), wantXor);
    const dv = new DataView(backD.buffer, 3, 20);
    const sv = new DataView(backS.buffer, 5, 20);
    const wantGf = gfMulAddRef(backD.subarray(3, 23), 0x53, backS.subarray(5, 25));
    gfMulAdd(dv, 0x53, sv);
    assert.deepEqual(backD.subarray(3, 23), wantGf);
  });

  const b4 = (): Uint8Array => new Uint8Array(4);
  // Both the TypeScript wrappers and the native functions (called directly) must check.
  const layers = {
    wrapper: { xor, gfMulAdd, xorAsync, gfMulAddAsync },
    native: kernelsAddonLayer(),
  };
  for (const [layer, k] of Object.entries(layers)) {
    it(`${layer}: a non-view dst or src is a TypeError naming it`, async () => {
      assert.throws(() => k.xor([1, 2] as unknown as Uint8Array, b4()), (e: Error) => e instanceof TypeError && /\bdst\b/.test(e.message));
      assert.throws(() => k.xor(b4(), 'abcd' as unknown as Uint8Array), (e: Error) => e instanceof TypeError && /\bsrc\b/.test(e.message));
      assert.throws(() => k.gfMulAdd(b4(), 3, new ArrayBuffer(4) as unknown as Uint8Array), (e: Error) => e instanceof TypeError && /\bsrc\b/.test(e.message));
      await assert.rejects(async () => k.xorAsync(null as unknown as Uint8Array, b4()), (e: Error) => e instanceof TypeError && /\bdst\b/.test(e.message));
    });

    it(`${layer}: unequal byte lengths are a TypeError naming src`, async () => {
      const re = (e: Error): boolean => e instanceof TypeError && /\bsrc\b/.test(e.message) && /5 != 4/.test(e.message);
      assert.throws(() => k.xor(b4(), new Uint8Array(5)), re);
      assert.throws(() => k.gfMulAdd(b4(), 2, new Uint8Array(5)), re);
      await assert.rejects(async () => k.gfMulAddAsync(b4(), 2, new Uint8Array(5)), re);
    });

    it(`${layer}: c outside 0..255 or fractional is a RangeError naming c`, async () => {
      for (const c of [256, -1, 1.5, NaN, Infinity]) {
        const re = (e: Error): boolean => e instanceof RangeError && /\bc\b/.test(e.message);
        assert.throws(() => k.gfMulAdd(b4(), c, b4()), re, `c=${c}`);
        await assert.rejects(async () => k.gfMulAddAsync(b4(), c, b4()), re, `c=${c}`);
      }
      assert.throws(() => k.gfMulAdd(b4(), '3' as unknown as number, b4()), (e: Error) => e instanceof TypeError && /\bc\b/.test(e.message));
    });

    it(`${layer}: partially overlapping dst and src are rejected`, () => {
      const a = new Uint8Array(16);
      assert.throws(() => k.xor(a.subarray(0, 8), a.subarray(4, 12)), RangeError);
      assert.throws(() => k.gfMulAdd(a.subarray(5, 13), 9, a.subarray(0, 8)), RangeError);
      k.xor(a.subarray(0, 8), a.subarray(8, 16)); // adjacent is fine
    });
  }

  it('the validation errors leave dst unchanged', () => {
    const d = Uint8Array.of(1, 2, 3, 4);
    assert.throws(() => gfMulAdd(d, 300, Uint8Array.of(9, 9, 9, 9)));
    assert.deepEqual(d, Uint8Array.of(1, 2, 3, 4));
  });
});

type BufferKernels = Pick<ReturnType<typeof kernelsAddon>, 'xor' | 'gfMulAdd' | 'xorAsync' | 'gfMulAddAsync'>;
function kernelsAddonLayer(): BufferKernels {
  const a = kernelsAddon();
  return { xor: a.xor, gfMulAdd: a.gfMulAdd, xorAsync: a.xorAsync, gfMulAddAsync: a.gfMulAddAsync };
}

// ---- GF(2^8) scalar helpers ----

describe('kernels: GF(2^8) arithmetic', () => {
  const byte = fc.integer({ min: 0, max: 255 });

  it('gfMul equals shift-and-add multiplication mod 0x11D for all 65536 pairs, and commutes', () => {
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const p = gfMul(a, b);
        if (p !== mulRef(a, b) || p !== gfMul(b, a)) assert.fail(`gfMul(${a}, ${b}) = ${p}, want ${mulRef(a, b)}`);
      }
    }
    assert.equal(gfMul(2, 0x80), 0x1d); // x·x^7 = x^8 = x^4+x^3+x^2+1
  });

  it('is associative and distributes over xor (property)', () => {
    fc.assert(fc.property(byte, byte, byte, (a, b, c) => gfMul(gfMul(a, b), c) === gfMul(a, gfMul(b, c))), { numRuns: 20_000 });
    fc.assert(fc.property(byte, byte, byte, (a, b, c) => gfMul(a, b ^ c) === (gfMul(a, b) ^ gfMul(a, c))), { numRuns: 20_000 });
  });

  it('has 1 as identity, 0 as absorbing element, and an inverse for every nonzero a', () => {
    for (let a = 0; a < 256; a++) {
      assert.equal(gfMul(a, 1), a);
      assert.equal(gfMul(a, 0), 0);
      if (a === 0) continue;
      const inv = gfInv(a);
      assert.equal(gfMul(a, inv), 1, `inverse of ${a}`);
      assert.equal(gfDiv(1, a), inv);
      for (let b = 0; b < 256; b += 17) assert.equal(gfMul(gfDiv(b, a), a), b);
    }
    assert.throws(() => gfInv(0), RangeError);
    assert.throws(() => gfDiv(5, 0), RangeError);
  });

  it('rejects non-bytes', () => {
    for (const bad of [256, -1, 0.5, NaN]) {
      assert.throws(() => gfMul(bad, 1), (e: Error) => e instanceof RangeError && /\ba\b/.test(e.message));
      assert.throws(() => gfMul(1, bad), (e: Error) => e instanceof RangeError && /\bb\b/.test(e.message));
    }
  });

  it('gfPow matches repeated multiplication, handles negative exponents, and 2 generates the field', () => {
    for (let a = 0; a < 256; a++) {
      let p = 1;
      for (let n = 0; n <= 300; n++) {
        if (gfPow(a, n) !== p) assert.fail(`gfPow(${a}, ${n}) = ${gfPow(a, n)}, want ${p}`);
        if (a !== 0 && gfPow(a, -n) !== gfInv(p)) assert.fail(`gfPow(${a}, -${n})`);
        p = mulRef(p, a);
      }
    }
    assert.equal(new Set(Array.from({ length: 255 }, (_, i) => gfPow(2, i))).size, 255);
    assert.throws(() => gfPow(0, -1), RangeError);
    assert.throws(() => gfPow(3, 1.5), RangeError);
  });
});

describe('kernels: GF(2^8) matrices', () => {
  const identity = (k: number): Uint8Array[] => Array.from({ length: k }, (_, i) => { const r = new Uint8Array(k); r[i] = 1; return r; });

  it('inverts Vandermonde and Cauchy matrices of sizes 1..12', () => {
    for (let k = 1; k <= 12; k++) {
      const vander = Array.from({ length: k }, (_, i) => Uint8Array.from({ length: k }, (_, j) => gfPow(i + 1, j)));
      // Cauchy: 1/(x_i + y_j) with x and y distinct sets
      const cauchy = Array.from({ length: k }, (_, i) => Uint8Array.from({ length: k }, (_, j) => gfInv(i ^ (k + j))));
      for (const m of [vander, cauchy]) {
        const inv = gfMatrixInvert(m);
        assert.deepEqual(gfMatrixMul(m, inv), identity(k), `k=${k}`);
        assert.deepEqual(gfMatrixMul(inv, m), identity(k), `k=${k}`);
      }
    }
  });

  it('inverts random matrices or says they are singular (property)', () => {
    const mat = fc.integer({ min: 1, max: 6 }).chain((k) => fc.array(fc.uint8Array({ minLength: k, maxLength: k }), { minLength: k, maxLength: k }));
    fc.assert(fc.property(mat, (m) => {
      const copy = m.map((r) => Uint8Array.from(r));
      let inv: Uint8Array[];
      try {
        inv = gfMatrixInvert(m);
      } catch (e) {
        // Said singular: confirm by the determinant where it is easy (k <= 2).
        assert.ok(e instanceof RangeError && /singular/.test(e.message));
        if (m.length === 1) assert.equal(m[0][0], 0);
        if (m.length === 2) assert.equal(gfMul(m[0][0], m[1][1]) ^ gfMul(m[0][1], m[1][0]), 0);
        return;
      }
      assert.deepEqual(m, copy, 'input changed');
      assert.deepEqual(gfMatrixMul(m, inv), identity(m.length));
    }), { numRuns: 500 });
  });

  it('rejects singular and non-square matrices', () => {
    assert.throws(() => gfMatrixInvert([Uint8Array.of(1, 2), Uint8Array.of(1, 2)]), /singular/);
    assert.throws(() => gfMatrixInvert([Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5, 6)]), /square/);
    assert.throws(() => gfMatrixInvert([]), TypeError);
  });
});

// ---- files ----

describe('kernels: copyFileCrc and crcFile', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'scr-kernels-test-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, data: Uint8Array): string => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };

  const sizes: Array<[string, number, number | undefined]> = [
    ['empty', 0, undefined],
    ['small', 13, undefined],
    ['multi-buffer (4 KiB buffer)', 3 * 4096 + 123, 4096],
    ['exact buffer multiple', 4 * 1000, 1000],
    ['one-byte buffer', 777, 1],
    ['one-page', 4096, undefined],
    ['5 MiB, default 1 MiB buffer', 5 * 1024 * 1024 + 1, undefined],
    ['9 MiB, 8 MiB buffer (not kept between calls)', 9 * 1024 * 1024 + 3, 8 * 1024 * 1024],
  ];
  for (const [what, n, bufSize] of sizes) {
    it(`copies the ${what} file (${n} bytes): bytes, CRC and content match`, async () => {
      const data = randomBytes(n, rng(n + 1));
      const src = write(`src-${n}`, data);
      const dst = join(dir, `dst-${n}`);
      const r = await copyFileCrc(src, dst, { bufSize, fsync: n % 2 === 1 });
      assert.deepEqual(r, { bytes: n, crc: crc32(data) });
      assert.deepEqual(readFileSync(dst), Buffer.from(data));
      assert.equal(statSync(dst).mode & 0o777, 0o600);
      assert.deepEqual(await crcFile(src, { bufSize }), r);
    });
  }

  it('runs many copies concurrently, each with its own buffer', async () => {
    const files = Array.from({ length: 16 }, (_, i) => {
      const data = randomBytes(1000 + i * 70_001, rng(100 + i));
      return { data, src: write(`conc-${i}`, data), dst: join(dir, `conc-dst-${i}`) };
    });
    const rs = await Promise.all(files.map((f, i) => copyFileCrc(f.src, f.dst, { bufSize: 4096 << (i % 6) })));
    files.forEach((f, i) => {
      assert.deepEqual(rs[i], { bytes: f.data.length, crc: crc32(f.data) }, `file ${i}`);
      assert.deepEqual(readFileSync(f.dst), Buffer.from(f.data), `file ${i}`);
    });
  });

  it('truncates a longer existing dst', async () => {
    const data = randomBytes(100, rng(5));
    const src = write('short', data);
    const dst = write('long', randomBytes(10_000, rng(6)));
    assert.equal((await copyFileCrc(src, dst)).bytes, 100);
    assert.deepEqual(readFileSync(dst), Buffer.from(data));
  });

  it('rejects a missing src with ENOENT naming the path', async () => {
    const src = join(dir, 'no-such-file');
    for (const p of [copyFileCrc(src, join(dir, 'x')), crcFile(src)]) {
      await assert.rejects(p, (e: NodeJS.ErrnoException) =>
        e.code === 'ENOENT' && e.message.includes(src) && /no such file/.test(e.message) && e.syscall === 'open' && e.path === src);
    }
  });

  it('rejects a dst in a missing directory with ENOENT naming dst', async () => {
    const src = write('ok', Uint8Array.of(1, 2, 3));
    const dst = join(dir, 'missing-dir', 'f');
    await assert.rejects(copyFileCrc(src, dst), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && e.message.includes(dst));
  });

  it('refuses to copy a file onto itself and leaves it intact', async () => {
    const data = randomBytes(5000, rng(7));
    const src = write('self', data);
    await assert.rejects(copyFileCrc(src, src), (e: NodeJS.ErrnoException) => e.code === 'EINVAL' && e.message.includes(src));
    assert.deepEqual(readFileSync(src), Buffer.from(data));
  });

  it('rejects reading a directory with EISDIR', async () => {
    const sub = join(dir, 'a-dir');
    mkdirSync(sub);
    await assert.rejects(crcFile(sub), (e: NodeJS.ErrnoException) => e.code === 'EISDIR' && e.message.includes(sub));
  });

  it('checks its arguments (wrapper and native)', async () => {
    const src = write('args', Uint8Array.of(1));
    for (const bufSize of [0, 1.5, 2 ** 31, NaN]) {
      await assert.rejects(copyFileCrc(src, join(dir, 'y'), { bufSize }), (e: Error) => e instanceof RangeError && /bufSize/.test(e.message));
      await assert.rejects(crcFile(src, { bufSize }), RangeError);
    }
    await assert.rejects(copyFileCrc(42 as unknown as string, 'y'), (e: Error) => e instanceof TypeError && /\bsrc\b/.test(e.message));
    await assert.rejects(copyFileCrc(src, ''), (e: Error) => e instanceof TypeError && /\bdst\b/.test(e.message));
    await assert.rejects(copyFileCrc(src, 'y', { fsync: 'yes' as unknown as boolean }), (e: Error) => e instanceof TypeError && /fsync/.test(e.message));
    const k = kernelsAddon();
    assert.throws(() => k.copyFileCrc(src, 'a\0b', 4096, false), (e: Error) => e instanceof TypeError && /\bdst\b/.test(e.message));
    assert.throws(() => k.copyFileCrc(src, 'y', 0, false), (e: Error) => e instanceof RangeError && /bufSize/.test(e.message));
    assert.throws(() => k.copyFileCrc(src, 'y', 4096, 1 as unknown as boolean), (e: Error) => e instanceof TypeError && /fsync/.test(e.message));
    assert.throws(() => k.crcFile(7 as unknown as string, 4096), (e: Error) => e instanceof TypeError && /\bpath\b/.test(e.message));
  });
});

describe('gfMulAddMultiAsync', () => {
  it('adds coefs[p]·src into each slice p, exactly as gfMulAdd per slice would', async () => {
    const { gfMulAddMultiAsync, gfMul } = await import('../../src/kernels/index.js');
    for (const [k, n] of [[1, 1], [2, 16 * 1024 + 7], [3, 100_003], [4, 33]] as const) {
      const src = Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff));
      const coefs = Uint8Array.from({ length: k }, (_, p) => [0, 1, 29, 255][p]!);
      const dst = Buffer.from(Array.from({ length: k * n }, (_, i) => (i * 17) & 0xff));
      const expect = Buffer.from(dst);
      for (let p = 0; p < k; p++) for (let i = 0; i < n; i++) expect[p * n + i]! ^= gfMul(coefs[p]!, src[i]!);
      await gfMulAddMultiAsync(dst, coefs, src);
      assert.ok(dst.equals(expect), `k=${k} n=${n}`);
    }
  });

  it('refuses a dst of the wrong size and overlapping buffers', async () => {
    const { gfMulAddMultiAsync } = await import('../../src/kernels/index.js');
    await assert.rejects(gfMulAddMultiAsync(Buffer.alloc(10), Uint8Array.of(1, 2), Buffer.alloc(4)), /must be coefs.length \(2\) times src's length \(4\), got 10/);
    const b = Buffer.alloc(16);
    await assert.rejects(gfMulAddMultiAsync(b.subarray(0, 8), Uint8Array.of(1, 1), b.subarray(4, 8)), /must not overlap/);
  });
});
