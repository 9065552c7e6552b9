// scr crc32: the CRC-32 and size of files (compared with node's zlib.crc32), --json, --check, and
// files that cannot be read.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { scr, tempDir } from '../../harness/cli.js';

const hex8 = (c: number) => c.toString(16).padStart(8, '0');

describe('scr crc32', function () {
  this.timeout(60_000);
  let dir: string;
  const files: Array<{ name: string; data: Buffer }> = [];
  const run = (args: string[]) => scr(['crc32', ...args], { cwd: dir });

  before(() => {
    dir = tempDir('crc32');
    mkdirSync(join(dir, 'sub'));
    const contents: Array<[string, Buffer]> = [
      ['empty', Buffer.alloc(0)],
      ['one', Buffer.from('a')],
      ['text.txt', Buffer.from('The quick brown fox jumps over the lazy dog\n')],
      ['sub/big.dat', randomBytes(3 * 1024 * 1024 + 17)], // larger than the kernel's 1 MiB buffer
      ['sub/mid.dat', randomBytes(65_539)],
    ];
    for (const [name, data] of contents) {
      writeFileSync(join(dir, name), data);
      files.push({ name, data });
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints "<crc32>  <bytes>  <file>" per file, in order, equal to zlib.crc32', () => {
    const r = run(files.map((f) => f.name));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, files.map((f) => `${hex8(crc32(f.data))}  ${f.data.length}  ${f.name}\n`).join(''));
    assert.equal(r.stderr, '');
    // A known value, independent of zlib: CRC-32("a") is e8b7be43.
    assert.equal(run(['one']).stdout, 'e8b7be43  1  one\n');
    assert.equal(run(['empty']).stdout, '00000000  0  empty\n');
  });

  it('--json', () => {
    const r = run(['--json', 'sub/big.dat', 'text.txt']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      files: [files[3]!, files[2]!].map((f) => ({ file: f.name, crc32: hex8(crc32(f.data)), bytes: f.data.length })),
    });
  });

  it('--check: exit 0 when it matches (any case, 0x allowed), 1 when not, saying both', () => {
    const big = files[3]!;
    const want = hex8(crc32(big.data));
    for (const given of [want, want.toUpperCase(), `0x${want}`]) {
      const r = run(['--check', given, big.name]);
      assert.equal(r.code, 0, `${given}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, `${big.name}: CRC-32 ${want} matches\n`);
    }
    const wrong = hex8((crc32(big.data) ^ 1) >>> 0);
    const r = run(['--check', wrong, big.name]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `${big.name}: CRC-32 is ${want}, not the expected ${wrong}\n`);
    // Leading zeros may be left out.
    const empty = run(['--check', '0', 'empty']);
    assert.equal(empty.code, 0, empty.stderr);
    const j = run(['--check', wrong, '--json', big.name]);
    assert.equal(j.code, 1);
    assert.deepEqual(JSON.parse(j.stdout).check, { expected: wrong, match: false });
  });

  it('a missing file is exit 1 naming it; the other files are still printed', () => {
    const r = run(['one', 'no-such-file', 'empty']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'e8b7be43  1  one\n00000000  0  empty\n');
    assert.equal(r.stderr, 'scr crc32: no-such-file: no such file\n');
    const c = run(['--check', '0', 'gone']);
    assert.equal(c.code, 1);
    assert.equal(c.stderr, 'scr crc32: gone: no such file\n');
    const d = run(['sub']);
    assert.equal(d.code, 1);
    assert.equal(d.stderr, 'scr crc32: sub: is a directory\n');
  });

  it('usage errors are exit 2', () => {
    for (const [args, msg] of [
      [['--check', 'xyz', 'one'], /--check: "xyz" is not a CRC-32/],
      [['--check', '123456789', 'one'], /is not a CRC-32/],
      [['--check', '0', 'one', 'empty'], /--check takes exactly one file, not 2/],
      [[], /missing required argument/],
    ] as Array<[string[], RegExp]>) {
      const r = run(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, msg);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });
});
