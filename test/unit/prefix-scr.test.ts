// The prefix's .scr directory (index, halt file, log, app.conf) must be the user's own real
// directory: every command refuses one that is a symlink or another user's before reading or
// writing anything in it, with a message that says what to do, and loadConfig (so the library
// and the commands that load the configuration) refuses it and does not read its app.conf.
import assert from 'node:assert/strict';
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/resolve.js';
import { ScrConfigError } from '../../src/config/errors.js';
import { haltFilePath, readHalt, updateHalt } from '../../src/halt/index.js';
import { indexPath, updateIndex } from '../../src/pfs/index.js';
import { cleanEnv, scr, tempDir } from '../harness/cli.js';
import { skipBecause } from '../harness/skip.js';

const isRoot = process.getuid?.() === 0;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the prefix\'s .scr directory: refused when it is not the user\'s own', function () {
  this.timeout(120_000);
  let dir: string;
  let prefix: string;
  let scrDir: string;
  const env = (extra: Record<string, string> = {}) => cleanEnv({ SCR_SYSTEM_CONF: join(dir, 'system.conf'), ...extra });
  const run = (args: string[]) => scr([...args, '--prefix', prefix], { cwd: dir, env: env() });
  /** A .scr with a halt file, an index with one dataset and an app.conf, as a job leaves it. */
  const fill = async (where: string) => {
    mkdirSync(where, { recursive: true, mode: 0o700 });
    await updateHalt(prefix, () => ({ checkpointsLeft: 3 }));
    await updateIndex(prefix, (idx) => {
      idx.datasets['1'] = { id: 1, name: 'ckpt.1', flags: { checkpoint: true, output: false }, created: Date.now(), ranks: 1,
        complete: true, flushed: true, failed: false, bytes: 10, files: 1, flushedAt: Date.now() };
      idx.current = 'ckpt.1';
    });
    writeFileSync(join(where, 'app.conf'), 'SCR_FLUSH=bogus\n'); // would be a second error if it were read
  };
  /** Every file under `d` with its bytes, to show nothing changed. */
  const snapshot = (d: string) => Object.fromEntries(readdirSync(d).sort().map((f) => [f, readFileSync(join(d, f)).toString('base64')]));

  beforeEach(() => {
    dir = tempDir('prefix-scr');
    prefix = join(dir, 'prefix');
    scrDir = join(prefix, '.scr');
    mkdirSync(prefix);
    writeFileSync(join(dir, 'system.conf'), '');
  });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  describe('owned by another user (uid 65534)', () => {
    beforeEach(async function () {
      if (!isRoot) skipBecause(this, 'giving a directory to another user needs chown, so root; CI runs as root');
      await fill(scrDir);
      for (const f of readdirSync(scrDir)) chownSync(join(scrDir, f), 65534, 65534);
      chownSync(scrDir, 65534, 65534);
    });

    const OWNER = () => new RegExp(`refusing to use ${esc(scrDir)} \\(the prefix's \\.scr directory, where scr keeps the index, the halt file and the log\\): ` +
      'it belongs to uid 65534, not to this user \\(uid 0\\), who could change or replace what scr reads and writes there\\. ' +
      `Either use a prefix directory of your own \\(--prefix DIR or SCR_PREFIX\\), or have its owner remove ${esc(scrDir)} or give it to you`);

    it('scr halt --list and scr index exit 1 with the message and print nothing of it', () => {
      for (const args of [['halt', '--list'], ['halt', '--list', '--json'], ['index'], ['index', '--json']]) {
        const r = run(args);
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, new RegExp(`^scr ${args[0]}: ${OWNER().source}\\n$`), args.join(' '));
        assert.equal(r.stdout, '', args.join(' '));
      }
    });

    it('the commands that write (scr halt, scr index --drop/--current, scr prerun) change nothing', () => {
      const before = snapshot(scrDir);
      for (const args of [['halt'], ['halt', '--checkpoints', '0'], ['halt', '--remove'], ['index', '--drop', 'ckpt.1'], ['index', '--current', 'ckpt.1'], ['prerun']]) {
        const r = run(args);
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, OWNER(), args.join(' '));
      }
      assert.deepEqual(snapshot(scrDir), before);
      assert.equal(lstatSync(scrDir).uid, 65534);
    });

    it('scr should-exit has no answer (exit 2)', () => {
      const r = run(['should-exit']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^scr should-exit: ${OWNER().source}\\n$`));
    });

    it('the commands that load the configuration report it as a configuration error (exit 2), without reading app.conf', () => {
      for (const args of [['config'], ['env'], ['postrun', '--nodes', 'n1']]) {
        const r = run(args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, OWNER(), args.join(' '));
        assert.doesNotMatch(r.stderr, /SCR_FLUSH/, `${args.join(' ')}: app.conf was read`);
      }
    });

    it('loadConfig refuses it (for the library too) and does not read its app.conf', () => {
      let err: unknown;
      try { loadConfig({ env: env(), cwd: dir, prefix }); } catch (e) { err = e; }
      assert.ok(err instanceof ScrConfigError, String(err));
      assert.equal(err.problems.length, 1, err.message);
      assert.match(err.message, OWNER());
    });

    it('a prefix of one\'s own works again', async () => {
      const mine = join(dir, 'mine');
      mkdirSync(mine);
      const r = scr(['halt', '--checkpoints', '2', '--prefix', mine], { cwd: dir, env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await readHalt(mine)).checkpointsLeft, 2);
      assert.equal(lstatSync(join(mine, '.scr')).mode & 0o7777, 0o700);
    });
  });

  describe('a symbolic link', () => {
    let real: string;
    beforeEach(async () => {
      real = join(dir, 'real-scr');
      await fill(scrDir); // written in place, then moved behind a link
      mkdirSync(real);
      for (const f of readdirSync(scrDir)) writeFileSync(join(real, f), readFileSync(join(scrDir, f)));
      await rm(scrDir, { recursive: true });
      symlinkSync(real, scrDir);
    });

    const LINK = () => new RegExp(`refusing to use ${esc(scrDir)} \\(the prefix's \\.scr directory, where scr keeps the index, the halt file and the log\\): ` +
      `it is a symbolic link \\(to ${esc(real)}\\), through which another user could redirect or read what scr keeps there\\. ` +
      'Replace the link with a real directory, or use a prefix directory of your own \\(--prefix DIR or SCR_PREFIX\\)');

    it('every command refuses it, and nothing behind it is read or changed', () => {
      const before = snapshot(real);
      const cases: [string[], number][] = [
        [['halt', '--list'], 1], [['halt', '--reason', 'x'], 1], [['index'], 1], [['index', '--drop', 'ckpt.1'], 1],
        [['should-exit'], 2], [['prerun'], 1], [['config'], 2], [['env'], 2],
      ];
      for (const [args, code] of cases) {
        const r = run(args);
        assert.equal(r.code, code, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, LINK(), args.join(' '));
        assert.doesNotMatch(r.stderr, /SCR_FLUSH|internal error/, args.join(' '));
      }
      assert.deepEqual(snapshot(real), before);
      assert.ok(lstatSync(scrDir).isSymbolicLink());
    });

    it('loadConfig refuses it with one problem', () => {
      assert.throws(() => loadConfig({ env: env(), cwd: dir, prefix }), (e: unknown) => {
        assert.ok(e instanceof ScrConfigError);
        assert.equal(e.problems.length, 1, e.message);
        assert.match(e.message, LINK());
        return true;
      });
    });
  });

  describe('the user\'s own .scr', () => {
    it('is used as before: scr halt creates it 0700 when it is missing; listings create nothing', async () => {
      let r = run(['halt', '--list']);
      assert.equal(r.code, 0, r.stderr);
      r = run(['index']);
      assert.equal(r.code, 0, r.stderr);
      r = run(['should-exit']);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(existsSync(scrDir), false, 'reading creates nothing');
      r = run(['halt', '--reason', 'test']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(lstatSync(scrDir).mode & 0o7777, 0o700);
      assert.equal((await readHalt(prefix)).reason, 'test');
      assert.ok(existsSync(haltFilePath(prefix)));
      r = run(['halt', '--list']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(existsSync(indexPath(prefix)), false);
    });
  });
});
