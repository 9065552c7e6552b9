// scr should-exit: exit 0 (and the reason) when the job should stop, 1 when it may go on, 2 when
// there is no answer; the halt file's conditions with SCR_END_TIME and SCR_HALT_SECONDS from the
// configuration, as runShouldStop decides.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { haltFilePath, type HaltRecord, updateHalt } from '../../../src/halt/index.js';
import { cleanEnv, SCR_BIN, scr, tempDir } from '../../harness/cli.js';

describe('scr should-exit', function () {
  this.timeout(60_000);
  let dir: string;
  let prefix: string;
  const env = (extra: Record<string, string> = {}) => cleanEnv({ SCR_SYSTEM_CONF: join(dir, 'system.conf'), ...extra });
  const run = (args: string[], extra: Record<string, string> = {}) => scr(['should-exit', '--prefix', prefix, ...args], { cwd: dir, env: env(extra) });
  const setHalt = (rec: HaltRecord) => updateHalt(prefix, () => rec);
  const now = () => Math.floor(Date.now() / 1000);

  /** Exit 0 with exactly the reason on stdout. */
  const stop = (reason: RegExp, extra: Record<string, string> = {}) => {
    const r = run([], extra);
    assert.equal(r.code, 0, `expected stop: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^${reason.source}\\n$`));
    assert.equal(r.stderr, '');
  };
  /** Exit 1, silently. */
  const goOn = (extra: Record<string, string> = {}) => {
    const r = run([], extra);
    assert.equal(r.code, 1, `expected go on: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, '');
  };

  beforeEach(() => {
    dir = tempDir('should-exit');
    prefix = join(dir, 'run1');
    mkdirSync(prefix);
    writeFileSync(join(dir, 'system.conf'), '');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('no halt file and no allocation end: exit 1, silent; --verbose says why', () => {
    goOn();
    const v = run(['--verbose']);
    assert.equal(v.code, 1);
    assert.match(v.stdout, /^go on: no halt condition holds\n\(halt file .*halt\.scr, absent or empty; .*SCR_END_TIME=unset; SCR_HALT_SECONDS=0\)\n$/);
  });

  it('each halt condition makes it exit 0 with the reason', async () => {
    await setHalt({ reason: 'maintenance' });
    stop(/halt requested: maintenance/);
    await setHalt({ checkpointsLeft: 0 });
    stop(/checkpoints left reached 0/);
    await setHalt({ checkpointsLeft: 1 });
    goOn();
    await setHalt({ exitAfter: now() - 10 });
    stop(/exit-after time \S+ passed/);
    await setHalt({ exitAfter: now() + 3600 });
    goOn();
    await setHalt({ exitBefore: now() + 100, seconds: 600 });
    stop(/exit-before time \S+ is within 600 s/);
    await setHalt({ exitBefore: now() + 3600, seconds: 600 });
    goOn();
    await setHalt({ finalized: true });
    stop(/finalize was called: the job finished/);
    await setHalt({ checkpointNow: 5 });
    goOn();
  });

  it('SCR_END_TIME and SCR_HALT_SECONDS from the environment', async () => {
    const soon = String(now() + 120);
    const later = String(now() + 7200);
    stop(/allocation ends in \d+ s \(< 600 s\)/, { SCR_END_TIME: soon, SCR_HALT_SECONDS: '600' });
    stop(/allocation end time \S+ passed/, { SCR_END_TIME: String(now() - 5), SCR_HALT_SECONDS: '600' });
    goOn({ SCR_END_TIME: later, SCR_HALT_SECONDS: '600' });
    goOn({ SCR_END_TIME: soon }); // no margin: SCR_HALT_SECONDS is 0 by default
    goOn({ SCR_HALT_SECONDS: '600' }); // no end time known
    // SCR_HALT_SECONDS is also the margin before an exit-before time.
    await setHalt({ exitBefore: now() + 300 });
    goOn();
    stop(/exit-before time \S+ is within 600 s/, { SCR_HALT_SECONDS: '600' });
    // The halt file's seconds overrides SCR_HALT_SECONDS, and 0 turns it off.
    await setHalt({ seconds: 0 });
    goOn({ SCR_END_TIME: soon, SCR_HALT_SECONDS: '600' });
    await setHalt({ seconds: 3600 });
    stop(/allocation ends in \d+ s \(< 3600 s\)/, { SCR_END_TIME: String(now() + 1800) });
  });

  it('reads the configuration files too: SCR_HALT_SECONDS in the prefix\'s .scrconf', () => {
    writeFileSync(join(prefix, '.scrconf'), 'SCR_HALT_SECONDS=900\n');
    stop(/allocation ends in \d+ s \(< 900 s\)/, { SCR_END_TIME: String(now() + 600) });
  });

  it('--json prints {exit, reason} with the same exit code', async () => {
    let r = run(['--json']);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout), { exit: false, reason: null });
    await setHalt({ reason: 'scr halt' });
    r = run(['--json']);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), { exit: true, reason: 'halt requested: scr halt' });
  });

  it('follows scr halt: halt, then --remove', () => {
    const halt = (args: string[]) => assert.equal(scr(['halt', '--prefix', prefix, ...args], { cwd: dir, env: env() }).code, 0);
    goOn();
    halt([]);
    stop(/halt requested: scr halt/);
    halt(['--remove']);
    goOn();
    halt(['--checkpoints', '0']);
    stop(/checkpoints left reached 0/);
  });

  it('the prefix: SCR_PREFIX, else the current directory', async () => {
    await setHalt({ reason: 'here' });
    let r = scr(['should-exit'], { cwd: dir, env: env({ SCR_PREFIX: prefix }) });
    assert.equal(r.code, 0, r.stderr);
    r = scr(['should-exit'], { cwd: prefix, env: env() });
    assert.equal(r.code, 0, r.stderr);
    r = scr(['should-exit'], { cwd: dir, env: env() });
    assert.equal(r.code, 1, r.stderr);
  });

  it('no answer is exit 2: a configuration error, a missing prefix, a damaged halt file', () => {
    let r = run([], { SCR_HALT_SECONDS: 'ten' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^scr should-exit: the configuration has errors.*\n.*SCR_HALT_SECONDS.*"ten"/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    r = run([], { SCR_END_TIME: 'friday' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /SCR_END_TIME/);
    r = scr(['should-exit', '--prefix', join(dir, 'nowhere')], { cwd: dir, env: env() });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^scr should-exit: the prefix directory .*nowhere does not exist/);
    mkdirSync(join(prefix, '.scr'));
    writeFileSync(haltFilePath(prefix), 'garbage');
    r = run([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^scr should-exit: cannot read the halt file/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('a link named scr_should_exit is scr should-exit', async () => {
    const link = join(dir, 'scr_should_exit');
    symlinkSync(SCR_BIN, link);
    let r = scr(['--prefix', prefix], { bin: link, cwd: dir, env: env() });
    assert.equal(r.code, 1, r.stderr);
    await setHalt({ reason: 'x' });
    r = scr(['--prefix', prefix], { bin: link, cwd: dir, env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'halt requested: x\n');
  });
});
