// The halt file: path, missing = {}, round trip, checks on read and write, damaged files, clear,
// and no lost update among concurrent editors (async tasks in this process and child processes).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  afterCheckpoint, clearHalt, haltFilePath, readHalt, requestCheckpointNow, updateHalt, type HaltRecord,
} from '../../../src/halt/index.js';
import { MetaError, readMetaFileWithHeader, writeMetaFile } from '../../../src/meta/index.js';

const fileModule = new URL('../../../src/halt/file.js', import.meta.url).href;

/** Runs `n` requestCheckpointNow-style increments (with a pause inside the lock) in a child process. */
function childIncrements(prefix: string, n: number): Promise<void> {
  const code = `
    import { updateHalt } from ${JSON.stringify(fileModule)};
    import { setTimeout as sleep } from 'node:timers/promises';
    for (let i = 0; i < ${n}; i++) {
      await updateHalt(${JSON.stringify(prefix)}, async (h) => {
        const next = (h.checkpointNow ?? 0) + 1;
        await sleep(Math.random() * 3);
        return { ...h, checkpointNow: next };
      }, { timeoutMs: 60000 });
    }`;
  const c = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  c.stderr.on('data', (d) => { stderr += d; });
  return new Promise((res, rej) => c.on('exit', (status) => (status === 0 ? res() : rej(new Error(`child exited ${status}: ${stderr}`)))));
}

describe('halt file', () => {
  let prefix: string;
  beforeEach(async () => { prefix = await mkdtemp(join(tmpdir(), 'scr-halt-')); });
  afterEach(async () => { await rm(prefix, { recursive: true, force: true }); });

  it('lives at <prefix>/.scr/halt.scr', () => {
    assert.equal(haltFilePath('/p/run'), '/p/run/.scr/halt.scr');
    assert.equal(haltFilePath('rel'), join('rel', '.scr', 'halt.scr'));
  });

  it('a missing file (or .scr directory, or prefix) reads as {}', async () => {
    assert.deepEqual(await readHalt(prefix), {});
    await mkdir(join(prefix, '.scr'));
    assert.deepEqual(await readHalt(prefix), {});
    assert.deepEqual(await readHalt(join(prefix, 'nope')), {});
  });

  it('round trip: every field written is read back, as a halt record with mode 0600 in a 0700 .scr', async () => {
    const rec: Required<HaltRecord> = {
      checkpointsLeft: 3, exitBefore: 1_795_000_000, exitAfter: 1_794_000_000.5, seconds: 600,
      reason: 'maintenance ✓', finalized: true, finalizedJob: '4711', checkpointNow: 2, immediate: true,
    };
    const out = await updateHalt(prefix, () => rec);
    assert.deepEqual(out, rec);
    assert.deepEqual(await readHalt(prefix), rec);
    const file = await readMetaFileWithHeader(haltFilePath(prefix));
    assert.equal(file.kind, 'halt');
    assert.deepEqual(file.value, rec);
    assert.equal((await stat(haltFilePath(prefix))).mode & 0o777, 0o600);
    assert.equal((await stat(join(prefix, '.scr'))).mode & 0o777, 0o700);
    assert.deepEqual((await readdir(join(prefix, '.scr'))).sort(), ['halt.scr'], 'no lock or temp files left');
  });

  it('fn sees the current record; undefined/null values remove keys; the result is what the file holds', async () => {
    await updateHalt(prefix, () => ({ checkpointsLeft: 5, reason: 'a' }));
    let seen: HaltRecord | undefined;
    const out = await updateHalt(prefix, (h) => {
      seen = { ...h };
      return { ...h, reason: undefined, exitAfter: null as unknown as number, seconds: 30 };
    });
    assert.deepEqual(seen, { checkpointsLeft: 5, reason: 'a' });
    assert.deepEqual(out, { checkpointsLeft: 5, seconds: 30 });
    assert.deepEqual(await readHalt(prefix), { checkpointsLeft: 5, seconds: 30 });
  });

  it('fn may mutate its argument without corrupting the comparison', async () => {
    await updateHalt(prefix, () => ({ checkpointsLeft: 5 }));
    await updateHalt(prefix, (h) => { h.checkpointsLeft = 4; return h; });
    assert.deepEqual(await readHalt(prefix), { checkpointsLeft: 4 });
  });

  it('writes nothing when fn returns undefined or the same record', async () => {
    assert.deepEqual(await updateHalt(prefix, () => undefined), {});
    assert.deepEqual(await updateHalt(prefix, () => ({})), {});
    await assert.rejects(stat(haltFilePath(prefix)), { code: 'ENOENT' });
    await updateHalt(prefix, () => ({ exitAfter: 5 }));
    const before = await stat(haltFilePath(prefix));
    assert.deepEqual(await updateHalt(prefix, () => undefined), { exitAfter: 5 });
    assert.deepEqual(await updateHalt(prefix, (h) => ({ ...h })), { exitAfter: 5 });
    assert.deepEqual(await updateHalt(prefix, afterCheckpoint), { exitAfter: 5 });
    assert.equal((await stat(haltFilePath(prefix))).ino, before.ino, 'the file was not replaced');
  });

  it('keeps keys it does not know on update', async () => {
    await writeMetaFile(haltFilePath(await mkdirScr(prefix)), 'halt', { futureKey: { a: 1 }, checkpointsLeft: 2 });
    assert.deepEqual(await readHalt(prefix), { futureKey: { a: 1 }, checkpointsLeft: 2 });
    await updateHalt(prefix, afterCheckpoint);
    assert.deepEqual(await readHalt(prefix), { futureKey: { a: 1 }, checkpointsLeft: 1 });
  });

  it('clearHalt removes every condition and the finalized marker but keeps checkpointNow', async () => {
    await writeMetaFile(haltFilePath(await mkdirScr(prefix)), 'halt',
      { reason: 'r', checkpointsLeft: 0, exitBefore: 1, exitAfter: 2, seconds: 3, finalized: true, checkpointNow: 4, futureKey: 1 });
    assert.deepEqual(await clearHalt(prefix), { checkpointNow: 4 });
    assert.deepEqual(await readHalt(prefix), { checkpointNow: 4 });
    await updateHalt(prefix, () => ({ reason: 'x' }));
    assert.deepEqual(await clearHalt(prefix), {});
    assert.deepEqual(await readHalt(prefix), {});
  });

  it('requestCheckpointNow counts up from 0', async () => {
    assert.equal(await requestCheckpointNow(prefix), 1);
    assert.equal(await requestCheckpointNow(prefix), 2);
    assert.deepEqual(await readHalt(prefix), { checkpointNow: 2 });
  });

  it('afterCheckpoint through updateHalt decrements to 0 and no further', async () => {
    await updateHalt(prefix, () => ({ checkpointsLeft: 2, reason: '' }));
    const seen: (number | undefined)[] = [];
    for (let i = 0; i < 4; i++) seen.push((await updateHalt(prefix, afterCheckpoint)).checkpointsLeft);
    assert.deepEqual(seen, [1, 0, 0, 0]);
    assert.deepEqual(await readHalt(prefix), { checkpointsLeft: 0, reason: '' });
  });

  it('refuses to write a record with a field of the wrong type, leaving the file as it was', async () => {
    await updateHalt(prefix, () => ({ checkpointsLeft: 1 }));
    const bad: [string, unknown, RegExp][] = [
      ['checkpointsLeft', -1, /checkpointsLeft is -1, not a non-negative integer/],
      ['checkpointsLeft', 1.5, /not a non-negative integer/],
      ['checkpointNow', '3', /checkpointNow is "3", not a non-negative integer/],
      ['exitBefore', Number.POSITIVE_INFINITY, /exitBefore is Infinity, not a time in epoch seconds/],
      ['exitAfter', new Date(0), /exitAfter is a date \(1970-01-01T00:00:00.000Z\), not a time/],
      ['seconds', -3, /seconds is -3, not a non-negative number of seconds/],
      ['reason', 42, /reason is 42, not a string/],
      ['finalized', 1, /finalized is 1, not true or false/],
    ];
    for (const [key, value, msg] of bad) {
      await assert.rejects(updateHalt(prefix, (h) => ({ ...h, [key]: value })), (err: Error) => {
        assert.ok(err instanceof TypeError, `${key}: ${err}`);
        assert.match(err.message, msg);
        assert.ok(err.message.includes(prefix));
        return true;
      });
    }
    await assert.rejects(updateHalt(prefix, () => [1] as unknown as HaltRecord), /the record is an array, not a map/);
    assert.deepEqual(await readHalt(prefix), { checkpointsLeft: 1 });
  });

  it('a corrupted file is the meta layer\'s error, on read and on update, and is not overwritten', async () => {
    await updateHalt(prefix, () => ({ checkpointsLeft: 7 }));
    const path = haltFilePath(prefix);
    const bytes = await readFile(path);
    bytes[bytes.length - 1]! ^= 0xff;
    await writeFile(path, bytes);
    await assert.rejects(readHalt(prefix), (err) => err instanceof MetaError && err.code === 'ERR_META_CRC' && err.path === path);
    await assert.rejects(updateHalt(prefix, () => ({})), { name: 'MetaError', code: 'ERR_META_CRC' });
    await assert.rejects(clearHalt(prefix), { name: 'MetaError', code: 'ERR_META_CRC' });
    assert.deepEqual(await readFile(path), bytes);
    await writeFile(path, bytes.subarray(0, 10));
    await assert.rejects(readHalt(prefix), { name: 'MetaError', code: 'ERR_META_TRUNCATED' });
    await writeFile(path, 'checkpointsLeft=3\n');
    await assert.rejects(readHalt(prefix), { name: 'MetaError', code: 'ERR_META_FOREIGN' });
  });

  it('another kind of metadata file at the halt path is ERR_META_KIND', async () => {
    await writeMetaFile(haltFilePath(await mkdirScr(prefix)), 'index', { checkpointsLeft: 1 });
    await assert.rejects(readHalt(prefix), { name: 'MetaError', code: 'ERR_META_KIND' });
    await assert.rejects(updateHalt(prefix, () => ({})), { name: 'MetaError', code: 'ERR_META_KIND' });
  });

  it('a halt file whose body is not a valid record is ERR_META_BODY naming the field', async () => {
    const path = haltFilePath(await mkdirScr(prefix));
    await writeMetaFile(path, 'halt', [1, 2]);
    await assert.rejects(readHalt(prefix), (err) => err instanceof MetaError && err.code === 'ERR_META_BODY'
      && err.message.includes(path) && /the record is an array/.test(err.message));
    await writeMetaFile(path, 'halt', 'stop');
    await assert.rejects(readHalt(prefix), { code: 'ERR_META_BODY' });
    await writeMetaFile(path, 'halt', { checkpointsLeft: 'three' });
    await assert.rejects(readHalt(prefix), { code: 'ERR_META_BODY', message: /checkpointsLeft is "three", not a non-negative integer/ });
    await assert.rejects(updateHalt(prefix, () => ({})), { code: 'ERR_META_BODY' });
    await writeMetaFile(path, 'halt', { checkpointsLeft: null, reason: 'ok' });
    assert.deepEqual(await readHalt(prefix), { reason: 'ok' });
  });

  it('updateHalt creates .scr but not a missing prefix', async () => {
    await assert.rejects(updateHalt(join(prefix, 'missing'), () => ({ reason: 'x' })), { code: 'ENOENT' });
    await updateHalt(prefix, () => ({ reason: 'x' }));
    assert.ok((await stat(join(prefix, '.scr'))).isDirectory());
  });

  it('20 concurrent async increments through separate lock acquisitions lose nothing', async () => {
    await Promise.all(Array.from({ length: 20 }, async () => {
      await updateHalt(prefix, async (h) => {
        const next = (h.checkpointNow ?? 0) + 1;
        await sleep(Math.random() * 3); // invite a lost update
        return { ...h, checkpointNow: next };
      });
    }));
    assert.deepEqual(await readHalt(prefix), { checkpointNow: 20 });
  });

  it('concurrent edits of different fields are all kept', async () => {
    await updateHalt(prefix, () => ({ checkpointsLeft: 10 }));
    await Promise.all([
      ...Array.from({ length: 10 }, () => requestCheckpointNow(prefix)),
      ...Array.from({ length: 12 }, () => updateHalt(prefix, afterCheckpoint)),
      updateHalt(prefix, (h) => ({ ...h, reason: 'stop' })),
    ]);
    assert.deepEqual(await readHalt(prefix), { checkpointNow: 10, checkpointsLeft: 0, reason: 'stop' });
  });

  it('4 child processes × 5 increments: exactly 20', async function () {
    this.timeout(60_000);
    await Promise.all([0, 1, 2, 3].map(() => childIncrements(prefix, 5)));
    assert.deepEqual(await readHalt(prefix), { checkpointNow: 20 });
    assert.deepEqual(await readdir(join(prefix, '.scr')), ['halt.scr']);
  });
});

async function mkdirScr(prefix: string): Promise<string> {
  await mkdir(join(prefix, '.scr'), { recursive: true });
  return prefix;
}
