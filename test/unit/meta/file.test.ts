// Metadata files on disk: atomic replacement, exact modes, missing files, and a writer killed at
// random moments never leaving a torn target.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtemp, readdir, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MetaError, readMetaFile, readMetaFileIfExists, readMetaFileIfExistsSync, readMetaFileSync, readMetaFileWithHeader,
  readMetaFileWithHeaderSync, writeMetaFile, writeMetaFileSync,
} from '../../../src/meta/index.js';

const writer = fileURLToPath(new URL('../../fixtures/meta-writer.js', import.meta.url));

describe('metadata files', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'scr-meta-file-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('writes and reads back, async and sync, leaving no temp files', async () => {
    const p = join(dir, 'index.scr');
    await writeMetaFile(p, 'index', { datasets: [1] });
    assert.deepEqual(await readMetaFile(p, { expectKind: 'index' }), { datasets: [1] });
    assert.deepEqual(await readMetaFileWithHeader(p), { kind: 'index', version: 1, value: { datasets: [1] } });
    writeMetaFileSync(p, 'index', { datasets: [1, 2] });
    assert.deepEqual(readMetaFileSync(p, { expectKind: 'index' }), { datasets: [1, 2] });
    assert.deepEqual(readMetaFileWithHeaderSync(p).kind, 'index');
    await writeMetaFile(p, 'index', { datasets: [] });
    assert.deepEqual(await readMetaFile(p), { datasets: [] });
    assert.deepEqual(await readdir(dir), ['index.scr']);
  });

  it('sets the mode exactly (0600 by default), whatever the umask', async () => {
    const old = process.umask(0o077);
    try {
      await writeMetaFile(join(dir, 'a'), 'x', 1);
      writeMetaFileSync(join(dir, 'b'), 'x', 1);
      await writeMetaFile(join(dir, 'c'), 'x', 1, { mode: 0o644 });
      writeMetaFileSync(join(dir, 'd'), 'x', 1, { mode: 0o640 });
    } finally {
      process.umask(old);
    }
    const modes = await Promise.all(['a', 'b', 'c', 'd'].map(async (f) => (await stat(join(dir, f))).mode & 0o777));
    assert.deepEqual(modes, [0o600, 0o600, 0o644, 0o640]);
  });

  it('keeps ENOENT for a missing file, and the IfExists variants return undefined', async () => {
    const p = join(dir, 'missing');
    await assert.rejects(readMetaFile(p), { code: 'ENOENT' });
    assert.throws(() => readMetaFileSync(p), { code: 'ENOENT' });
    assert.equal(await readMetaFileIfExists(p), undefined);
    assert.equal(readMetaFileIfExistsSync(p), undefined);
    await writeMetaFile(p, 'halt', { a: 1 });
    assert.deepEqual(await readMetaFileIfExists(p), { a: 1 });
    assert.deepEqual(readMetaFileIfExistsSync(p), { a: 1 });
  });

  it('names the file when it holds the wrong kind or is not ours', async () => {
    const p = join(dir, 'halt.scr');
    await writeMetaFile(p, 'halt', {});
    await assert.rejects(readMetaFile(p, { expectKind: 'index' }), (e: unknown) => e instanceof MetaError && e.code === 'ERR_META_KIND' && e.path === p && e.message.startsWith(p));
    assert.throws(() => readMetaFileIfExistsSync(p, { expectKind: 'index' }), { code: 'ERR_META_KIND' });
    await writeFile(p, '{"json": true}');
    await assert.rejects(readMetaFileIfExists(p), { code: 'ERR_META_FOREIGN' });
  });

  it('leaves the target and no temp file behind when the rename fails', async () => {
    const p = join(dir, 'target');
    await mkdir(p);
    await writeFile(join(p, 'keep'), 'x');
    await assert.rejects(writeMetaFile(p, 'x', 1));
    assert.throws(() => writeMetaFileSync(p, 'x', 1));
    assert.deepEqual((await readdir(dir)).sort(), ['target']);
    await assert.rejects(writeMetaFile(join(dir, 'no', 'such'), 'x', 1), { code: 'ENOENT' });
  });

  it('never leaves a torn target when the writer is killed at a random moment', async function () {
    this.timeout(60_000);
    const p = join(dir, 'big.scr');
    const pad = 1 << 21;
    writeMetaFileSync(p, 'test', { gen: 0, pad: 'x'.repeat(pad) });
    for (let round = 0; round < 6; round++) {
      const child = spawn(process.execPath, [writer, p, String(pad)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((res) => child.on('exit', res));
      await new Promise<void>((res) => child.stdout.once('data', () => res()));
      await new Promise((res) => setTimeout(res, Math.random() * 40));
      child.kill('SIGKILL');
      await exited;
      const v = await readMetaFile<{ gen: number; pad: string }>(p, { expectKind: 'test' });
      assert.equal(v.pad.length, pad, `round ${round}`);
      assert.ok(v.gen >= 1, `round ${round}: generation ${v.gen}`);
    }
    // Killed writers may leave their hidden temp files, never anything under the target's name.
    for (const f of fs.readdirSync(dir)) assert.ok(f === 'big.scr' || f.startsWith('.big.scr.tmp.'), f);
  });
});
