// The metadata container: exact byte layout, round trips, and one distinct error per kind of damage.
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { pack } from 'msgpackr';
import { decodeMeta, encodeMeta, frameMeta, META_FORMAT_VERSION, MetaError } from '../../../src/meta/index.js';

const isMeta = (code: string, re?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof MetaError, `expected a MetaError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (re) assert.match(err.message, re);
  return true;
};

describe('metadata container format', () => {
  it('lays out magic, version, kind, length, CRC32 and the msgpack body exactly', () => {
    const value = { halt: 'walltime', left: 3 };
    const body = pack(value);
    const buf = encodeMeta('halt', value);
    assert.equal(buf.toString('ascii', 0, 4), 'SCRM');
    assert.equal(buf.readUInt16LE(4), 1);
    assert.equal(META_FORMAT_VERSION, 1);
    assert.equal(buf[6], 4);
    assert.equal(buf.toString('ascii', 7, 11), 'halt');
    assert.equal(buf.readUInt32LE(11), body.length);
    assert.equal(buf.readUInt32LE(15), crc32(body));
    assert.deepEqual(buf.subarray(19), Buffer.from(body));
    assert.equal(buf.length, 19 + body.length);
  });

  it('round-trips values with their kind and version', () => {
    const values = [null, 0, -1.5, 'x', [], {}, { a: [1, { b: 'c' }], n: 2 ** 40 }, Buffer.from([0, 255, 7]), new Date(1_700_000_000_000)];
    for (const v of values) {
      const rec = decodeMeta(encodeMeta('index', v));
      assert.deepEqual(rec, { kind: 'index', version: 1, value: v });
    }
    assert.deepEqual(decodeMeta(new Uint8Array(encodeMeta('a.b_c-9', 1)), { expectKind: 'a.b_c-9' }).value, 1);
  });

  it('round-trips arbitrary JSON values (property)', () => {
    // msgpackr renames a "__proto__" key (its guard against prototype pollution), so leave those out.
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      fc.pre(!JSON.stringify(v).includes('"__proto__"'));
      assert.equal(JSON.stringify(decodeMeta(encodeMeta('summary', v)).value), JSON.stringify(v));
    }));
  });

  it('rejects a foreign file, naming the path', () => {
    for (const bytes of [Buffer.from('{"datasets": []}'), Buffer.from('ab'), Buffer.from('SCRX\x01\x00')]) {
      assert.throws(() => decodeMeta(bytes, { path: '/p/.scr/index.scr' }),
        isMeta('ERR_META_FOREIGN', /^\/p\/\.scr\/index\.scr: not an scr metadata file/));
    }
  });

  it('rejects every truncation as torn, suggesting a crash', () => {
    const buf = encodeMeta('flush', { datasets: [1, 2, 3] });
    for (let n = 0; n < buf.length; n++) {
      assert.throws(() => decodeMeta(buf.subarray(0, n), { path: '/f' }), isMeta('ERR_META_TRUNCATED', /^\/f: truncated.*cut off by a crash/));
    }
  });

  it('rejects bytes after the record', () => {
    assert.throws(() => decodeMeta(Buffer.concat([encodeMeta('nodes', [1]), Buffer.from([0])])), isMeta('ERR_META_TRAILING', /1 unexpected bytes/));
  });

  it('rejects a corrupted body by its CRC', () => {
    const buf = encodeMeta('filemap', { files: ['a', 'b'] });
    buf[buf.length - 1] ^= 0x01;
    assert.throws(() => decodeMeta(buf, { path: '/m' }), isMeta('ERR_META_CRC', /^\/m: corrupted: CRC32/));
  });

  it('rejects a newer format version, saying to upgrade, and version 0', () => {
    const buf = encodeMeta('index', {});
    buf.writeUInt16LE(2, 4);
    assert.throws(() => decodeMeta(buf, { path: '/i' }), isMeta('ERR_META_VERSION', /version 2.*reads versions up to 1; upgrade scr/));
    buf.writeUInt16LE(0, 4);
    assert.throws(() => decodeMeta(buf), isMeta('ERR_META_VERSION', /version 0, which no scr writes/));
  });

  it('rejects the wrong kind when one is expected, naming both', () => {
    assert.throws(() => decodeMeta(encodeMeta('halt', {}), { expectKind: 'index', path: '/x' }),
      isMeta('ERR_META_KIND', /^\/x: holds a 'halt' record, but a 'index' record was expected/));
  });

  it('rejects a damaged header kind', () => {
    const buf = encodeMeta('halt', {});
    buf[6] = 0;
    assert.throws(() => decodeMeta(buf), isMeta('ERR_META_HEADER', /kind length 0/));
    buf[6] = 33;
    assert.throws(() => decodeMeta(buf), isMeta('ERR_META_HEADER', /kind length 33/));
    const bad = encodeMeta('halt', {});
    bad[8] = 0x20;
    assert.throws(() => decodeMeta(bad), isMeta('ERR_META_HEADER', /kind "h lt"/));
  });

  it('rejects a body that passes its CRC but is not msgpack', () => {
    assert.throws(() => decodeMeta(frameMeta('x', Buffer.from([0x92, 0x01]))), isMeta('ERR_META_BODY', /not valid msgpack/));
  });

  it('detects every single-bit flip anywhere when the kind is expected', () => {
    const good = encodeMeta('halt', { left: 2, reason: 'test' });
    for (let bit = 0; bit < good.length * 8; bit++) {
      const buf = Buffer.from(good);
      buf[bit >> 3] ^= 1 << (bit & 7);
      assert.throws(() => decodeMeta(buf, { expectKind: 'halt' }), (err) => err instanceof MetaError, `bit ${bit} flipped went unnoticed`);
    }
  });

  it('refuses bad kinds and bodies over 4 GiB - 1 when encoding', () => {
    for (const kind of ['', 'x'.repeat(33), 'a b', 'é']) assert.throws(() => encodeMeta(kind, 1), RangeError);
    assert.doesNotThrow(() => encodeMeta('x'.repeat(32), 1));
    const huge = { length: 2 ** 32 } as unknown as Uint8Array;
    assert.throws(() => frameMeta('index', huge), isMeta('ERR_META_TOO_LARGE', /4 GiB - 1/));
  });
});
