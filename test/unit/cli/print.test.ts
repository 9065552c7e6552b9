import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeMetaFile } from '../../../src/meta/index.js';
import { scr, tempDir } from '../../harness/cli.js';

describe('scr print', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => { dir = tempDir('print'); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the kind, version and body of a metadata file', async () => {
    const f = join(dir, 'index.scr');
    await writeMetaFile(f, 'index', { datasets: [{ id: 3, name: 'ckpt.3', bytes: 1024n, crc: Buffer.from([1, 2, 255]) }] });
    const r = scr(['print', f]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kind "index", format version 1/);
    assert.match(r.stdout, /"name": "ckpt\.3"/);
    const j = JSON.parse(scr(['print', '--json', f]).stdout) as { kind: string; version: number; value: { datasets: Array<{ bytes: string; crc: { bytes: number; hex: string } }> } };
    assert.equal(j.kind, 'index');
    assert.equal(j.version, 1);
    assert.equal(j.value.datasets[0]!.bytes, '1024');
    assert.deepEqual(j.value.datasets[0]!.crc, { bytes: 3, hex: '0102ff' });
  });

  it('refuses a foreign, a truncated and a corrupted file with exit 1 and says which', async () => {
    const foreign = join(dir, 'notes.txt');
    writeFileSync(foreign, 'hello, this is not metadata\n');
    let r = scr(['print', foreign]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not an scr metadata file/);

    const f = join(dir, 'halt.scr');
    await writeMetaFile(f, 'halt', { reason: 'testing', checkpointsLeft: 3 });
    const whole = readFileSync(f);
    writeFileSync(join(dir, 'torn.scr'), whole.subarray(0, whole.length - 3));
    r = scr(['print', join(dir, 'torn.scr')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /trunc|cut off/i);

    const bad = Buffer.from(whole);
    bad[bad.length - 2] ^= 0xff;
    writeFileSync(join(dir, 'bad.scr'), bad);
    r = scr(['print', join(dir, 'bad.scr')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /CRC/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('a missing file exits 1 naming it', () => {
    const r = scr(['print', join(dir, 'nope.scr')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nope\.scr/);
  });
});
