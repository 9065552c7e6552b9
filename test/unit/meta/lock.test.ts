// The NFS-safe lock: no lost update among many processes, timeouts that name the holder, stale
// locks broken (dead pid on this host, or not refreshed), a live holder's heartbeat respected.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LockError, readMetaFile, updateMetaFile, withLock, writeMetaFile } from '../../../src/meta/index.js';

const fixture = fileURLToPath(new URL('../../fixtures/lock-incrementer.js', import.meta.url));

function child(args: string[]): ChildProcess {
  return spawn(process.execPath, [fixture, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function finished(c: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  c.stderr?.on('data', (d) => { stderr += d; });
  return new Promise((res) => c.on('exit', (code, signal) => res({ code, signal, stderr })));
}

/** Starts a child holding the lock on `file`; resolves once it holds it. */
async function holder(file: string, host = '', staleMs = ''): Promise<{ c: ChildProcess; done: ReturnType<typeof finished> }> {
  const c = child(['hold', file, host, staleMs]);
  const done = finished(c);
  await new Promise<void>((res, rej) => {
    c.stdout?.on('data', (d) => { if (String(d).includes('locked')) res(); });
    done.then((r) => rej(new Error(`holder exited early: ${JSON.stringify(r)}`)));
  });
  return { c, done };
}

/** A pid that surely existed and is surely gone. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid as number;
}

describe('metadata lock', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'scr-meta-lock-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('runs fn holding <path>.lock with its holder recorded, then removes every lock file', async () => {
    const p = join(dir, 'halt.scr');
    const out = await withLock(p, async () => {
      const info = JSON.parse(await readFile(`${p}.lock`, 'utf8'));
      assert.equal(info.pid, process.pid);
      assert.equal(info.host, hostname());
      assert.ok(info.file.startsWith('halt.scr.lock.'), info.file);
      assert.ok(Math.abs(info.time - Date.now()) < 5000);
      return 42;
    });
    assert.equal(out, 42);
    assert.deepEqual(await readdir(dir), []);
  });

  it('releases the lock when fn throws and passes the error on', async () => {
    const p = join(dir, 'halt.scr');
    await assert.rejects(withLock(p, () => { throw new Error('boom'); }), /boom/);
    await assert.rejects(withLock(p, async () => { throw new Error('boom2'); }), /boom2/);
    assert.deepEqual(await readdir(dir), []);
    assert.equal(await withLock(p, () => 1, { timeoutMs: 200 }), 1);
  });

  it('loses no update among 12 processes doing 25 increments each', async function () {
    this.timeout(120_000);
    const p = join(dir, 'counter.scr');
    const results = await Promise.all(Array.from({ length: 12 }, () => finished(child(['increment', p, '25']))));
    for (const r of results) assert.deepEqual([r.code, r.stderr], [0, '']);
    assert.deepEqual(await readMetaFile(p, { expectKind: 'counter' }), { count: 300 });
    assert.deepEqual(await readdir(dir), ['counter.scr']);
  });

  it('loses no update when 8 processes race to break the same stale lock', async function () {
    this.timeout(120_000);
    const p = join(dir, 'counter.scr');
    await writeFile(`${p}.lock`, JSON.stringify({ host: hostname(), pid: deadPid(), time: Date.now() }));
    const results = await Promise.all(Array.from({ length: 8 }, () => finished(child(['increment', p, '10']))));
    for (const r of results) assert.deepEqual([r.code, r.stderr], [0, '']);
    assert.deepEqual(await readMetaFile(p), { count: 80 });
    assert.deepEqual(await readdir(dir), ['counter.scr']);
  });

  it('times out naming the lock and its holder', async () => {
    const p = join(dir, 'halt.scr');
    let release!: () => void;
    const held = withLock(p, () => new Promise<void>((res) => { release = res; }));
    await new Promise((res) => setTimeout(res, 50));
    const t0 = Date.now();
    await assert.rejects(withLock(p, () => 'never', { timeoutMs: 300 }), (err: unknown) => {
      assert.ok(err instanceof LockError);
      assert.equal(err.code, 'ERR_LOCK_TIMEOUT');
      assert.equal(err.lockPath, `${p}.lock`);
      assert.equal(err.holder?.pid, process.pid);
      assert.match(err.message, new RegExp(`timed out after 300 ms waiting for the lock ${p}\\.lock: held by pid ${process.pid} on ${hostname()}`));
      return true;
    });
    const waited = Date.now() - t0;
    assert.ok(waited >= 290 && waited < 3000, `waited ${waited} ms`);
    release();
    await held;
    assert.deepEqual(await readdir(dir), []);
  });

  it('breaks a lock whose holder on this host no longer exists', async () => {
    const p = join(dir, 'halt.scr');
    await writeFile(`${p}.lock`, JSON.stringify({ host: hostname(), pid: deadPid(), time: Date.now() }));
    const t0 = Date.now();
    assert.equal(await withLock(p, () => 'ok', { timeoutMs: 2000 }), 'ok');
    assert.ok(Date.now() - t0 < 1000);
    assert.deepEqual(await readdir(dir), []);
  });

  it('leaves a fresh lock from another host alone, and breaks it once not refreshed for staleMs', async () => {
    const p = join(dir, 'halt.scr');
    await writeFile(`${p}.lock`, JSON.stringify({ host: 'elsewhere', pid: deadPid(), time: Date.now() }));
    await assert.rejects(withLock(p, () => 'no', { timeoutMs: 300, staleMs: 5000 }), { code: 'ERR_LOCK_TIMEOUT' });
    const old = new Date(Date.now() - 10_000);
    await utimes(`${p}.lock`, old, old);
    assert.equal(await withLock(p, () => 'ok', { timeoutMs: 2000, staleMs: 5000 }), 'ok');
  });

  it('breaks an unreadable lock by age only', async () => {
    const p = join(dir, 'halt.scr');
    await writeFile(`${p}.lock`, 'garbage');
    await assert.rejects(withLock(p, () => 'no', { timeoutMs: 200 }), /held by an unknown process/);
    const old = new Date(Date.now() - 120_000);
    await utimes(`${p}.lock`, old, old);
    assert.equal(await withLock(p, () => 'ok', { timeoutMs: 2000 }), 'ok');
  });

  it('recovers the lock of a holder killed with SIGKILL (its pid is gone)', async function () {
    this.timeout(20_000);
    const p = join(dir, 'halt.scr');
    const h = await holder(p);
    await assert.rejects(withLock(p, () => 'no', { timeoutMs: 200 }), { code: 'ERR_LOCK_TIMEOUT' });
    h.c.kill('SIGKILL');
    assert.equal((await h.done).signal, 'SIGKILL');
    const t0 = Date.now();
    assert.equal(await withLock(p, () => 'ok', { timeoutMs: 5000 }), 'ok');
    assert.ok(Date.now() - t0 < 1000);
    assert.deepEqual(await readdir(dir), [], 'the dead holder\'s unique file is removed too');
  });

  it('keeps a live remote holder\'s lock by its heartbeat, and breaks it by age once the holder is killed', async function () {
    this.timeout(20_000);
    const p = join(dir, 'halt.scr');
    const h = await holder(p, 'elsewhere', '1000');
    await assert.rejects(withLock(p, () => 'no', { timeoutMs: 2500, staleMs: 1000 }), { code: 'ERR_LOCK_TIMEOUT' });
    h.c.kill('SIGKILL');
    await h.done;
    const t0 = Date.now();
    assert.equal(await withLock(p, () => 'ok', { timeoutMs: 5000, staleMs: 1000 }), 'ok');
    const waited = Date.now() - t0;
    assert.ok(waited < 4000, `waited ${waited} ms`);
    assert.deepEqual(await readdir(dir), []);
  });

  it('reports ERR_LOCK_LOST when its lock was broken while held, leaving the new lock alone', async () => {
    const p = join(dir, 'halt.scr');
    await assert.rejects(withLock(p, async () => {
      await rename(`${p}.lock`, join(dir, 'aside'));
      await writeFile(`${p}.lock`, 'someone else');
    }), (err: unknown) => err instanceof LockError && err.code === 'ERR_LOCK_LOST' && err.message.includes(`${p}.lock`));
    assert.equal(await readFile(`${p}.lock`, 'utf8'), 'someone else');
  });

  describe('updateMetaFile', () => {
    it('creates the file from undefined, then updates it', async () => {
      const p = join(dir, 'halt.scr');
      const seen: unknown[] = [];
      await updateMetaFile<{ n: number }>(p, 'halt', (old) => { seen.push(old); return { n: 1 }; });
      const now = await updateMetaFile<{ n: number }>(p, 'halt', async (old) => { seen.push(old); return { n: old!.n + 1 }; });
      assert.deepEqual(seen, [undefined, { n: 1 }]);
      assert.deepEqual(now, { n: 2 });
      assert.deepEqual(await readMetaFile(p, { expectKind: 'halt' }), { n: 2 });
      assert.deepEqual(await readdir(dir), ['halt.scr']);
    });

    it('leaves the file as it is when fn returns undefined', async () => {
      const p = join(dir, 'halt.scr');
      assert.equal(await updateMetaFile(p, 'halt', () => undefined), undefined);
      assert.deepEqual(await readdir(dir), []);
      await writeMetaFile(p, 'halt', { n: 5 });
      assert.deepEqual(await updateMetaFile(p, 'halt', () => undefined), { n: 5 });
    });

    it('refuses a file of another kind and releases the lock', async () => {
      const p = join(dir, 'halt.scr');
      await writeMetaFile(p, 'index', {});
      await assert.rejects(updateMetaFile(p, 'halt', () => ({})), { code: 'ERR_META_KIND' });
      assert.deepEqual(await readdir(dir), ['halt.scr']);
    });
  });
});
