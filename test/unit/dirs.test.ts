// Directory safety: created 0700, idempotent, symlinks / files / other users' directories refused,
// permissions of our own directories fixed.
import assert from 'node:assert/strict';
import { chmod, chown, lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirSafetyError, ensureSafeDir } from '../../src/common/dirs.js';

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
    if (!isRoot) this.skip(); // making another user's directory needs chown, so root; CI runs as root
    const target = join(dir, 'theirs');
    await mkdir(target, { mode: 0o700 });
    await chown(target, 65534, 65534);
    await assert.rejects(ensureSafeDir(target), refused('other-owner', target, /belongs to uid 65534, not to this user \(uid 0\)/));
    assert.equal((await lstat(target)).uid, 65534);
  });

  it('with base, checks existing components below it but follows those above it', async function () {
    if (!isRoot) this.skip(); // chowns directories to another user, so root; CI runs as root
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
