// Directory safety: created 0700, idempotent, symlinks / files / other users' directories refused,
// permissions of our own directories fixed; the prefix's .scr directory checked the same way (the
// prefix itself may be shared).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPrefixScrDirSync, DirSafetyError, ensurePrefixScrDir, ensureSafeDir } from '../../src/common/dirs.js';
import { skipBecause } from '../harness/skip.js';

const refused = (reason: string, path: string, re: RegExp) => (err: unknown) => {
  assert.ok(err instanceof DirSafetyError, `expected a DirSafetyError, got ${String(err)}`);
  assert.equal(err.code, 'ERR_UNSAFE_DIR');
  assert.equal(err.reason, reason);
  assert.equal(err.path, path);
  assert.match(err.message, re);
  return true;
};
const modeOf = async (p: string) => (await lstat(p)).mode & 0o7777;
const isRoot = process.getuid?.() === 0;

describe('ensureSafeDir', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'scr-dirs-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('creates missing directories 0700 whatever the umask, and is idempotent', async () => {
    const target = join(dir, 'user', 'scr.7', 'node.n0');
    const old = process.umask(0);
    try {
      const r = await ensureSafeDir(target);
      assert.deepEqual(r, { path: target, created: [join(dir, 'user'), join(dir, 'user', 'scr.7'), target], modeFixed: [] });
    } finally {
      process.umask(old);
    }
    for (const p of [join(dir, 'user'), join(dir, 'user', 'scr.7'), target]) assert.equal(await modeOf(p), 0o700, p);
    assert.deepEqual(await ensureSafeDir(target), { path: target, created: [], modeFixed: [] });
  });

  it('honours a requested mode', async () => {
    const target = join(dir, 'a');
    await ensureSafeDir(target, { mode: 0o750 });
    assert.equal(await modeOf(target), 0o750);
  });

  it('fixes the mode of an existing directory of ours to 0700 and says so', async () => {
    const target = join(dir, 'open');
    await mkdir(target);
    await chmod(target, 0o777);
    assert.deepEqual((await ensureSafeDir(target)).modeFixed, [target]);
    assert.equal(await modeOf(target), 0o700);
  });

  it('refuses a symlink, even to a directory of ours', async () => {
    const real = join(dir, 'real');
    const link = join(dir, 'link');
    await mkdir(real, { mode: 0o700 });
    await symlink(real, link);
    await assert.rejects(ensureSafeDir(link), refused('symlink', link, /refusing to use directory .*\/link: it is a symbolic link \(to .*\/real\)/));
  });

  it('refuses a file in the way', async () => {
    const f = join(dir, 'file');
    await writeFile(f, 'x');
    await assert.rejects(ensureSafeDir(f), refused('not-directory', f, /not a directory; move it out of the way/));
    await assert.rejects(ensureSafeDir(join(f, 'sub')), refused('not-directory', f, /on the way to .*\/file\/sub/));
  });

  it('refuses a directory owned by another user', async function () {
    if (!isRoot) skipBecause(this, 'making another user\'s directory needs chown, so root; CI runs as root');
    const target = join(dir, 'theirs');
    await mkdir(target, { mode: 0o700 });
    await chown(target, 65534, 65534);
    await assert.rejects(ensureSafeDir(target), refused('other-owner', target, /belongs to uid 65534, not to this user \(uid 0\)/));
    assert.equal((await lstat(target)).uid, 65534);
  });

  it('with base, checks existing components below it but follows those above it', async function () {
    if (!isRoot) skipBecause(this, 'chowns directories to another user, so root; CI runs as root');
    const above = join(dir, 'above');
    await mkdir(join(dir, 'real'), { mode: 0o700 });
    await symlink(join(dir, 'real'), above); // a symlinked base such as /scratch -> /lustre is fine
    const base = join(above, 'base');
    await mkdir(base);
    await chown(base, 65534, 65534); // the base itself (like /dev/shm) need not be ours
    const user = join(base, 'user');
    await mkdir(user, { mode: 0o700 });
    await chown(user, 65534, 65534); // planted by another user
    const target = join(user, 'scr.1');
    await assert.rejects(ensureSafeDir(target, { base }), refused('other-owner', user, /on the way to/));
    await assert.doesNotReject(ensureSafeDir(join(user, 'scr.2'))); // without base only new parts are checked
    await rm(user, { recursive: true });
    await symlink(join(dir, 'real'), user);
    await assert.rejects(ensureSafeDir(target, { base }), refused('symlink', user, /symbolic link/));
    await rm(user);
    const r = await ensureSafeDir(target, { base });
    assert.deepEqual(r.created, [user, target]);
  });

  it('rejects a base that is not an ancestor', async () => {
    await assert.rejects(ensureSafeDir(join(dir, 'a'), { base: join(dir, 'b') }), RangeError);
  });
});

describe('ensurePrefixScrDir and checkPrefixScrDirSync', () => {
  let dir: string;
  let prefix: string;
  let scrDir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scr-prefixdir-'));
    prefix = join(dir, 'prefix');
    scrDir = join(prefix, '.scr');
    await mkdir(prefix);
  });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  /** Both checks refuse the same way; neither creates anything when refusing. */
  const bothRefuse = async (reason: string, path: string, re: RegExp) => {
    await assert.rejects(ensurePrefixScrDir(prefix), refused(reason, path, re));
    await assert.rejects(ensurePrefixScrDir(prefix, { create: false }), refused(reason, path, re));
    assert.throws(() => checkPrefixScrDirSync(prefix), refused(reason, path, re));
  };

  it('creates <prefix>/.scr 0700 whatever the umask, and is idempotent', async () => {
    const old = process.umask(0);
    try {
      assert.deepEqual(await ensurePrefixScrDir(prefix), { path: scrDir, exists: true, created: true });
    } finally {
      process.umask(old);
    }
    assert.equal(await modeOf(scrDir), 0o700);
    assert.deepEqual(await ensurePrefixScrDir(prefix), { path: scrDir, exists: true, created: false });
    assert.deepEqual(checkPrefixScrDirSync(prefix), { path: scrDir, exists: true, created: false });
  });

  it('creates a missing prefix with its parents; the path is normalised', async () => {
    const deep = join(dir, 'a', 'b', 'run1');
    assert.deepEqual(await ensurePrefixScrDir(deep), { path: join(deep, '.scr'), exists: true, created: true });
    assert.ok((await lstat(deep)).isDirectory());
    const r = await ensurePrefixScrDir(join(dir, 'a', 'b', '..', 'b', 'run1'));
    assert.equal(r.path, join(deep, '.scr'));
  });

  it('with create: false, a missing prefix or .scr is reported and nothing is created', async () => {
    assert.deepEqual(await ensurePrefixScrDir(prefix, { create: false }), { path: scrDir, exists: false, created: false });
    assert.deepEqual(checkPrefixScrDirSync(prefix), { path: scrDir, exists: false, created: false });
    const none = join(dir, 'none');
    assert.deepEqual(await ensurePrefixScrDir(none, { create: false }), { path: join(none, '.scr'), exists: false, created: false });
    assert.deepEqual(await readdir(prefix), []);
    assert.equal(existsSync(none), false);
  });

  it('keeps the permission bits of an existing .scr of ours', async () => {
    await mkdir(scrDir);
    await chmod(scrDir, 0o750);
    assert.deepEqual(await ensurePrefixScrDir(prefix), { path: scrDir, exists: true, created: false });
    assert.equal(await modeOf(scrDir), 0o750);
  });

  it('refuses a symlinked .scr, even to a directory of ours, naming the link and what to do', async () => {
    const real = join(dir, 'elsewhere');
    await mkdir(real, { mode: 0o700 });
    await symlink(real, scrDir);
    await bothRefuse('symlink', scrDir, /^refusing to use .*\/prefix\/\.scr \(the prefix's \.scr directory, where scr keeps the index, the halt file and the log\): it is a symbolic link \(to .*elsewhere\).*Replace the link with a real directory, or use a prefix directory of your own \(--prefix DIR or SCR_PREFIX\)/);
    await rm(scrDir);
    await symlink(join(dir, 'dangling'), scrDir); // a dangling link is not followed and created through
    await bothRefuse('symlink', scrDir, /symbolic link \(to .*dangling\)/);
    assert.equal(existsSync(join(dir, 'dangling')), false);
  });

  it('refuses a .scr that is not a directory', async () => {
    await writeFile(scrDir, 'x');
    await bothRefuse('not-directory', scrDir, /it exists but is not a directory\. Move it out of the way, or use a prefix directory of your own/);
  });

  it('refuses a prefix that is a file (ensurePrefixScrDir); the sync check leaves that to the caller', async () => {
    const f = join(dir, 'file');
    await writeFile(f, 'x');
    await assert.rejects(ensurePrefixScrDir(f), refused('not-directory', f, /the prefix .*file exists but is not a directory; give a directory with --prefix DIR or SCR_PREFIX/));
    assert.deepEqual(checkPrefixScrDirSync(f), { path: join(f, '.scr'), exists: false, created: false });
  });

  it('refuses a .scr owned by another user', async function () {
    if (!isRoot) skipBecause(this, 'making another user\'s directory needs chown, so root; CI runs as root');
    await mkdir(scrDir, { mode: 0o700 });
    await chown(scrDir, 65534, 65534);
    await bothRefuse('other-owner', scrDir, /it belongs to uid 65534, not to this user \(uid 0\).*use a prefix directory of your own \(--prefix DIR or SCR_PREFIX\), or have its owner remove .*\.scr or give it to you/);
    assert.equal((await lstat(scrDir)).uid, 65534, 'left as it was');
  });

  it('accepts a prefix owned by another user (shared), and a symlinked prefix, when .scr is ours', async function () {
    if (!isRoot) skipBecause(this, 'chowns the prefix to another user, so root; CI runs as root');
    await chown(prefix, 65534, 65534);
    assert.equal((await ensurePrefixScrDir(prefix)).created, true);
    assert.equal((await lstat(scrDir)).uid, 0);
    const link = join(dir, 'link');
    await symlink(prefix, link);
    assert.deepEqual(await ensurePrefixScrDir(link), { path: join(link, '.scr'), exists: true, created: false });
    assert.equal(checkPrefixScrDirSync(link).exists, true);
  });
});
