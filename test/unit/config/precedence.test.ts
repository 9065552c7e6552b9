// Configuration sources and their precedence (SPEC §3): environment → user file (SCR_CONF_FILE,
// else <SCR_PREFIX>/.scrconf) → config() values (<prefix>/.scr/app.conf) → system file
// (SCR_SYSTEM_CONF, default /etc/scr.conf) → built-in defaults; how SCR_PREFIX, SCR_CONF_FILE and
// SCR_SYSTEM_CONF locate the others; the SPEC's defaults; warnings for unknown SCR_* variables.
import assert from 'node:assert/strict';
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyConfigString } from '../../../src/config/config-string.js';
import { describeSource, type Source } from '../../../src/config/errors.js';
import { Layer } from '../../../src/config/layers.js';
import { APP_CONF, loadConfig } from '../../../src/config/resolve.js';
import { defaultLocalBase, PARAMS } from '../../../src/config/schema.js';
import { assertConfigError, re, useSandbox } from './helpers.js';
import { skipBecause } from '../../harness/skip.js';

function assertSource(actual: Source, kind: Source['kind'], file?: string, line?: number): void {
  assert.equal(actual.kind, kind, `source kind: ${JSON.stringify(actual)}`);
  assert.equal(actual.file, file, `source file: ${JSON.stringify(actual)}`);
  assert.equal(actual.line, line, `source line: ${JSON.stringify(actual)}`);
}

describe('config sources: precedence', () => {
  const sb = useSandbox();

  type Src = 'environment' | 'user file' | 'config()' | 'system file';
  const ORDER: Src[] = ['environment', 'user file', 'config()', 'system file'];
  // SCR_FLUSH is 1/2/3/4 in the four sources, at different line numbers in each file.
  const VALUE: Record<Src, number> = { 'environment': 1, 'user file': 2, 'config()': 3, 'system file': 4 };
  const LINE: Record<Src, number | undefined> = { 'environment': undefined, 'user file': 3, 'config()': 2, 'system file': 4 };

  function setUp(sources: Src[]): { env: Record<string, string>; files: Partial<Record<Src, string>> } {
    const s = sb();
    const env: Record<string, string> = {};
    const files: Partial<Record<Src, string>> = {};
    // Every file exists (so an absent source is really "not set there", not "no file").
    const user = ['# user file', '', sources.includes('user file') ? 'SCR_FLUSH=2' : '# SCR_FLUSH not here', 'SCR_DEBUG=1'];
    const app = ['# app.conf', sources.includes('config()') ? 'SCR_FLUSH=3' : '', 'SCR_JOB_NAME=app'];
    const sys = ['# system', '# file', '', sources.includes('system file') ? 'SCR_FLUSH=4' : '', 'SCR_RUNS=3'];
    files['user file'] = s.writeUser(user.join('\n') + '\n');
    files['config()'] = s.writeApp(app.join('\n') + '\n');
    files['system file'] = s.writeSystem(sys.join('\n') + '\n');
    if (sources.includes('environment')) env.SCR_FLUSH = '1';
    return { env, files };
  }

  const subsets: Src[][] = [];
  for (let i = 0; i < ORDER.length; i++) {
    subsets.push([ORDER[i]!]); // X beats the default
    for (let j = i + 1; j < ORDER.length; j++) subsets.push([ORDER[i]!, ORDER[j]!]);
  }

  for (const subset of subsets) {
    const winner = subset[0]!;
    const loser = subset[1] ?? 'default';
    it(`${winner} beats ${loser}`, () => {
      const { env, files } = setUp(subset);
      const cfg = sb().load(env);
      assert.equal(cfg.int('SCR_FLUSH'), VALUE[winner]);
      assertSource(cfg.sourceOf('SCR_FLUSH'), winner, winner === 'environment' ? undefined : files[winner], LINE[winner]);
      // The other parameters of every file are still read (the files are merged per parameter).
      assert.equal(cfg.int('SCR_DEBUG'), 1);
      assertSource(cfg.sourceOf('SCR_DEBUG'), 'user file', files['user file'], 4);
      assert.equal(cfg.str('SCR_JOB_NAME'), 'app');
      assertSource(cfg.sourceOf('SCR_JOB_NAME'), 'config()', files['config()'], 3);
      assert.equal(cfg.int('SCR_RUNS'), 3);
      assertSource(cfg.sourceOf('SCR_RUNS'), 'system file', files['system file'], 5);
    });
  }

  it('with nothing set, the default wins and is reported as the source', () => {
    const { env } = setUp([]);
    const cfg = sb().load(env);
    assert.equal(cfg.int('SCR_FLUSH'), 10);
    assertSource(cfg.sourceOf('SCR_FLUSH'), 'default');
  });

  it('all four sources set: each one removed in turn hands over to the next', () => {
    const all = [...ORDER];
    for (let k = 0; k < ORDER.length; k++) {
      const { env, files } = setUp(all.slice(k));
      const cfg = sb().load(env);
      const winner = ORDER[k]!;
      assert.equal(cfg.int('SCR_FLUSH'), VALUE[winner]);
      assertSource(cfg.sourceOf('SCR_FLUSH'), winner, winner === 'environment' ? undefined : files[winner], LINE[winner]);
    }
  });

  it('an appLayer (config() values not yet saved) takes the place of app.conf, between user and system file', () => {
    const s = sb();
    s.writeApp('SCR_FLUSH=3\nSCR_RUNS=7\n');
    s.writeSystem('SCR_FLUSH=4\nSCR_DEBUG=4\nSCR_CACHE_SIZE=4\n');
    s.writeUser('SCR_DEBUG=2\n');
    const layer = new Layer('config()');
    applyConfigString(layer, 'SCR_FLUSH=5', {});
    applyConfigString(layer, 'SCR_DEBUG=3', {});
    const cfg = s.load({}, { appLayer: layer });
    assert.equal(cfg.int('SCR_FLUSH'), 5); // beats the system file
    assertSource(cfg.sourceOf('SCR_FLUSH'), 'config()');
    assert.equal(cfg.int('SCR_DEBUG'), 2); // loses to the user file
    assert.equal(cfg.int('SCR_CACHE_SIZE'), 4);
    assert.equal(cfg.int('SCR_RUNS'), 1, 'app.conf is not read when an appLayer is given');
  });

  it('an empty environment variable is "not set here": the next source applies', () => {
    const s = sb();
    s.writeUser('SCR_FLUSH=3\n');
    s.writeSystem('SCR_MIN_NODES=4\n');
    const cfg = s.load({ SCR_FLUSH: '', SCR_MIN_NODES: ' ', SCR_DEBUG: '' });
    assert.equal(cfg.int('SCR_FLUSH'), 3);
    assert.equal(cfg.sourceOf('SCR_FLUSH').kind, 'user file');
    assert.equal(cfg.optInt('SCR_MIN_NODES'), 4);
    assert.equal(cfg.sourceOf('SCR_MIN_NODES').kind, 'system file');
    assert.equal(cfg.int('SCR_DEBUG'), 0);
    assert.equal(cfg.sourceOf('SCR_DEBUG').kind, 'default');
  });

  it('a text parameter may be set to the empty string', () => {
    const s = sb();
    s.writeSystem('SCR_JOB_NAME=sys\n');
    const cfg = s.load({ SCR_JOB_NAME: '' });
    assert.equal(cfg.str('SCR_JOB_NAME'), '');
    assert.equal(cfg.sourceOf('SCR_JOB_NAME').kind, 'environment');
  });

  it('a bad value in a lower source is an error even when a higher one overrides it', () => {
    // Every source is checked, not only the winning one, so a broken file is found at once.
    const s = sb();
    s.writeSystem('SCR_FLUSH=ten\nSCR_DEBUG=1\n');
    const u = s.writeUser('SCR_DEBUG=7\n');
    const err = assertConfigError(() => s.load({ SCR_FLUSH: '3', SCR_DEBUG: '2' }),
      re(`${s.system}:1: SCR_FLUSH must be a whole number, got "ten"`), re(`${u}:1: SCR_DEBUG must be at most 5`));
    assert.equal(err.problems.length, 2, err.message);
    // An empty (unset) value in a lower source is not a bad value.
    s.writeSystem('SCR_FLUSH=\n');
    s.writeUser('');
    assert.equal(s.load({ SCR_FLUSH: '3' }).int('SCR_FLUSH'), 3);
  });
});

describe('config sources: the user file', () => {
  const sb = useSandbox();

  it('without SCR_CONF_FILE, <prefix>/.scrconf is the user file', () => {
    const s = sb();
    const file = s.writeUser('SCR_FLUSH=7\n');
    const cfg = s.load();
    assert.equal(cfg.int('SCR_FLUSH'), 7);
    assert.equal(cfg.files.user, file);
    assert.equal(cfg.get('SCR_CONF_FILE'), file);
    assert.equal(cfg.sourceOf('SCR_CONF_FILE').kind, 'default');
  });

  it('no user file at all: files.user and SCR_CONF_FILE are null', () => {
    const cfg = sb().load();
    assert.equal(cfg.files.user, null);
    assert.equal(cfg.get('SCR_CONF_FILE'), null);
    assert.equal(cfg.files.app, join(sb().prefix, APP_CONF));
    assert.equal(cfg.files.system, sb().system);
  });

  it('SCR_CONF_FILE replaces <prefix>/.scrconf, which is then not read at all', () => {
    const s = sb();
    s.writeUser('SCR_FLUSH=7\nNOT_A_KEY=1\n'); // would be an error if it were read
    const conf = s.write('my.conf', '\nSCR_FLUSH=8\n');
    const cfg = s.load({ SCR_CONF_FILE: conf });
    assert.equal(cfg.int('SCR_FLUSH'), 8);
    assertSource(cfg.sourceOf('SCR_FLUSH'), 'user file', conf, 2);
    assert.equal(cfg.files.user, conf);
    assert.equal(cfg.get('SCR_CONF_FILE'), conf);
    assert.equal(cfg.sourceOf('SCR_CONF_FILE').kind, 'environment');
  });

  it('a relative SCR_CONF_FILE is relative to cwd', () => {
    const s = sb();
    const conf = s.write('sub/rel.conf', 'SCR_FLUSH=8\n');
    const cfg = loadConfig({ env: s.env({ SCR_CONF_FILE: 'sub/rel.conf', SCR_PREFIX: s.prefix }), cwd: s.root });
    assert.equal(cfg.int('SCR_FLUSH'), 8);
    assert.equal(cfg.files.user, conf);
  });

  it('an SCR_CONF_FILE that does not exist is an error naming it', () => {
    const s = sb();
    const missing = join(s.root, 'nope.conf');
    const err = assertConfigError(() => s.load({ SCR_CONF_FILE: missing }), re(missing), /does not exist/);
    assert.equal(err.problems[0]!.source?.kind, 'user file');
  });

  it('a missing <prefix>/.scrconf is fine', () => {
    assert.doesNotThrow(() => sb().load());
  });
});

describe('config sources: SCR_PREFIX', () => {
  const sb = useSandbox();

  it('defaults to cwd', () => {
    const s = sb();
    const cfg = s.load();
    assert.equal(cfg.str('SCR_PREFIX'), s.prefix);
    assert.equal(cfg.sourceOf('SCR_PREFIX').kind, 'default');
  });

  it('from the environment: locates .scrconf and app.conf there', () => {
    const s = sb();
    const other = join(s.root, 'other');
    mkdirSync(other);
    s.writeUser('SCR_FLUSH=1\n'); // in the cwd prefix: not read
    const u = s.writeUser('SCR_FLUSH=2\n', other);
    const a = s.writeApp('SCR_DEBUG=3\n', other);
    const cfg = s.load({ SCR_PREFIX: other });
    assert.equal(cfg.str('SCR_PREFIX'), other);
    assert.equal(cfg.sourceOf('SCR_PREFIX').kind, 'environment');
    assert.equal(cfg.int('SCR_FLUSH'), 2);
    assert.equal(cfg.files.user, u);
    assert.equal(cfg.int('SCR_DEBUG'), 3);
    assert.equal(cfg.files.app, a);
  });

  it('a relative SCR_PREFIX is resolved against cwd', () => {
    const s = sb();
    const cfg = loadConfig({ env: s.env({ SCR_PREFIX: 'prefix' }), cwd: s.root });
    assert.equal(cfg.str('SCR_PREFIX'), s.prefix);
  });

  it('from SCR_CONF_FILE, with file and line', () => {
    const s = sb();
    const other = join(s.root, 'other');
    const a = s.writeApp('SCR_DEBUG=3\n', other);
    const conf = s.write('u.conf', `# user\nSCR_PREFIX=${other}\n`);
    const cfg = s.load({ SCR_CONF_FILE: conf });
    assert.equal(cfg.str('SCR_PREFIX'), other);
    assertSource(cfg.sourceOf('SCR_PREFIX'), 'user file', conf, 2);
    assert.equal(cfg.int('SCR_DEBUG'), 3);
    assert.equal(cfg.files.app, a);
  });

  it('from the system file: its .scrconf is then the user file', () => {
    const s = sb();
    const other = join(s.root, 'other');
    const u = s.writeUser('SCR_FLUSH=2\n', other);
    s.writeSystem(`SCR_PREFIX=${other}\n`);
    const cfg = s.load();
    assert.equal(cfg.str('SCR_PREFIX'), other);
    assertSource(cfg.sourceOf('SCR_PREFIX'), 'system file', s.system, 1);
    assert.equal(cfg.files.user, u);
    assert.equal(cfg.int('SCR_FLUSH'), 2);
  });

  it('environment beats SCR_CONF_FILE beats system file; an explicit prefix option beats all', () => {
    const s = sb();
    const [p1, p2, p3, p4] = ['p1', 'p2', 'p3', 'p4'].map((d) => join(s.root, d));
    const conf = s.write('u.conf', `SCR_PREFIX=${p2}\n`);
    s.writeSystem(`SCR_PREFIX=${p3}\n`);
    assert.equal(s.load({ SCR_PREFIX: p1, SCR_CONF_FILE: conf }).str('SCR_PREFIX'), p1);
    assert.equal(s.load({ SCR_CONF_FILE: conf }).str('SCR_PREFIX'), p2);
    assert.equal(s.load().str('SCR_PREFIX'), p3);
    const cmd = s.load({ SCR_PREFIX: p1, SCR_CONF_FILE: conf }, { prefix: p4 });
    assert.equal(cmd.str('SCR_PREFIX'), p4);
    assert.equal(cmd.sourceOf('SCR_PREFIX').kind, 'command line');
  });

  it('SCR_PREFIX in <prefix>/.scrconf is an error naming the file and line', () => {
    const s = sb();
    const u = s.writeUser('SCR_FLUSH=2\nSCR_PREFIX=/elsewhere\n');
    const err = assertConfigError(() => s.load(), re(`${u}:2`), /SCR_PREFIX cannot be set in the prefix's \.scrconf/);
    assert.equal(err.problems.length, 1);
  });

  it('SCR_PREFIX in app.conf is an error; config() refuses it', () => {
    const s = sb();
    const a = s.writeApp('SCR_PREFIX=/elsewhere\n');
    assertConfigError(() => s.load(), re(`${a}:1`), /SCR_PREFIX cannot be set in config\(\)/);
    assertConfigError(() => applyConfigString(new Layer('config()'), 'SCR_PREFIX=/x', {}), /SCR_PREFIX cannot be set with config\(\)/);
    // An appLayer built by hand is checked as well.
    const layer = new Layer('config()');
    layer.params.set('SCR_PREFIX', { raw: '/x', source: { kind: 'config()' } });
    s.writeApp('');
    assertConfigError(() => s.load({}, { appLayer: layer }), /SCR_PREFIX cannot be set in config\(\)/);
  });

  it('SCR_CONF_FILE and SCR_SYSTEM_CONF can only be set in the environment', () => {
    const s = sb();
    const u = s.writeUser('SCR_CONF_FILE=/x\n');
    assertConfigError(() => s.load(), re(`${u}:1`), /SCR_CONF_FILE cannot be set/);
    s.writeUser('');
    s.writeSystem('SCR_SYSTEM_CONF=/x\n');
    assertConfigError(() => s.load(), re(`${s.system}:1`), /SCR_SYSTEM_CONF can only be set in the environment/);
    s.writeSystem('SCR_CONF_FILE=/x\n');
    assertConfigError(() => s.load(), re(`${s.system}:1`), /SCR_CONF_FILE can only be set in the environment/);
    s.writeSystem('');
    const conf = s.write('u.conf', 'SCR_SYSTEM_CONF=/x\n');
    const err = assertConfigError(() => s.load({ SCR_CONF_FILE: conf }), re(`${conf}:1`), /SCR_SYSTEM_CONF can only be set in the environment/);
    assert.equal(err.problems.length, 1, 'reported once');
  });
});

describe('config sources: the system file', () => {
  const sb = useSandbox();

  it('SCR_SYSTEM_CONF names the system file, with file and line in sourceOf', () => {
    const s = sb();
    s.writeSystem('\n\nSCR_CACHE_SIZE=5\n');
    const cfg = s.load();
    assert.equal(cfg.int('SCR_CACHE_SIZE'), 5);
    assertSource(cfg.sourceOf('SCR_CACHE_SIZE'), 'system file', s.system, 3);
    assert.equal(cfg.files.system, s.system);
    assert.equal(cfg.str('SCR_SYSTEM_CONF'), s.system);
    assert.equal(cfg.sourceOf('SCR_SYSTEM_CONF').kind, 'environment');
  });

  it('an explicitly set SCR_SYSTEM_CONF that does not exist is an error', () => {
    const s = sb();
    const missing = join(s.root, 'missing.conf');
    const err = assertConfigError(() => s.load({ SCR_SYSTEM_CONF: missing }), re(missing), /does not exist/);
    assert.equal(err.problems[0]!.source?.kind, 'system file');
  });

  it('an empty system file (the way to say "no system file" in a test) is fine', () => {
    const cfg = sb().load();
    assert.equal(cfg.int('SCR_FLUSH'), 10);
  });

  it('a relative SCR_SYSTEM_CONF is relative to cwd', () => {
    const s = sb();
    s.write('etc/sys.conf', 'SCR_FLUSH=6\n');
    const cfg = loadConfig({ env: { SCR_SYSTEM_CONF: 'etc/sys.conf', SCR_PREFIX: s.prefix }, cwd: s.root });
    assert.equal(cfg.int('SCR_FLUSH'), 6);
    assert.equal(cfg.files.system, join(s.root, 'etc/sys.conf'));
  });

  it('unset or empty SCR_SYSTEM_CONF means /etc/scr.conf, which may be missing', function () {
    if (existsSync('/etc/scr.conf')) skipBecause(this, 'this machine has one: its content is unknown');
    const s = sb();
    for (const env of [{}, { SCR_SYSTEM_CONF: '' }]) {
      const cfg = loadConfig({ env, cwd: s.prefix });
      assert.equal(cfg.files.system, '/etc/scr.conf');
      assert.equal(cfg.str('SCR_SYSTEM_CONF'), '/etc/scr.conf');
      assert.equal(cfg.sourceOf('SCR_SYSTEM_CONF').kind, 'default');
      assert.equal(cfg.int('SCR_FLUSH'), 10);
    }
  });
});

describe('config sources: the environment', () => {
  const sb = useSandbox();

  it('unknown SCR_* variables are warnings with a suggestion, not errors', () => {
    const cfg = sb().load({ SCR_CHACHE_SIZE: '4', SCR_FLUSH: '3' });
    assert.equal(cfg.int('SCR_FLUSH'), 3);
    assert.equal(cfg.int('SCR_CACHE_SIZE'), 2);
    assert.equal(cfg.warnings.length, 1);
    assert.match(cfg.warnings[0]!, /SCR_CHACHE_SIZE/);
    assert.match(cfg.warnings[0]!, /did you mean SCR_CACHE_SIZE\?/);
  });

  it('an unknown SCR_* variable far from every name warns without a suggestion', () => {
    const cfg = sb().load({ SCR_SOMETHING_ELSE_ENTIRELY: '1' });
    assert.equal(cfg.warnings.length, 1);
    assert.doesNotMatch(cfg.warnings[0]!, /did you mean/);
  });

  it('variables without the SCR_ prefix are ignored silently', () => {
    const cfg = sb().load({ HOME: '/home/x', PATH: '/bin', scr_flush: '3', SCRFLUSH: '4' });
    assert.deepEqual(cfg.warnings, []);
    assert.equal(cfg.int('SCR_FLUSH'), 10);
  });

  it('a bad value in the environment names the key and the environment', () => {
    const err = assertConfigError(() => sb().load({ SCR_FLUSH: 'often' }), /^the environment: SCR_FLUSH must be a whole number, got "often"$/m);
    assert.deepEqual(err.problems[0]!.source, { kind: 'environment' });
    assert.equal(describeSource(err.problems[0]!.source!), 'the environment');
  });

  it('problems from several sources come together in one error', () => {
    const s = sb();
    const u = s.writeUser('SCR_CACHE_SZE=3\n');
    s.writeSystem('SCR_DEBUG=9\n');
    const err = assertConfigError(() => s.load({ SCR_FLUSH: 'x', SCR_SET_SIZE: '0' }),
      re(`${u}:1: unknown parameter SCR_CACHE_SZE`), /the environment: SCR_FLUSH/, /the environment: SCR_SET_SIZE must be at least 1/,
      re(`${s.system}:1: SCR_DEBUG must be at most 5`));
    assert.equal(err.problems.length, 4);
  });

  it('job id, user and node name defaults come from the given environment', () => {
    const s = sb();
    const cfg = s.load({ SLURM_JOB_ID: '1234', USER: 'alice', SLURMD_NODENAME: 'n17' });
    assert.equal(cfg.str('SCR_JOB_ID'), '1234');
    assert.equal(cfg.str('SCR_USER_NAME'), 'alice');
    assert.equal(cfg.str('SCR_NODE_NAME'), 'n17');
    assert.equal(s.load({ LSB_JOBID: '55' }).str('SCR_JOB_ID'), '55');
    // Outside a resource manager: derived from the user and the prefix (test/unit/config/jobid.test.ts).
    assert.match(s.load({}).str('SCR_JOB_ID'), /^nojob-[0-9a-f]{10}$/);
    assert.equal(s.load({ SLURM_JOB_ID: '1', SCR_JOB_ID: 'mine' }).str('SCR_JOB_ID'), 'mine');
  });
});

describe('config defaults (SPEC §3)', () => {
  const sb = useSandbox();

  it('every parameter has its SPEC default when nothing is set', () => {
    const s = sb();
    const cfg = s.load();
    const expected: Record<string, boolean | number | string | null> = {
      SCR_ENABLE: true, SCR_DEBUG: 0, SCR_CACHE_BYPASS: false, SCR_CACHE_SIZE: 2, SCR_COPY_TYPE: 'XOR', SCR_GROUP: 'NODE',
      SCR_SET_SIZE: 8, SCR_SET_FAILURES: 2, SCR_FLUSH: 10, SCR_FLUSH_ASYNC: false, SCR_FETCH: true, SCR_FETCH_BYPASS: false,
      SCR_RUNS: 1, SCR_CRC_ON_COPY: true, SCR_CRC_ON_FLUSH: true, SCR_HALT_EXIT: false, SCR_HALT_SECONDS: 0,
      SCR_PREFIX_SIZE: 0, SCR_CHECKPOINT_INTERVAL: 0, SCR_CHECKPOINT_SECONDS: 0, SCR_CHECKPOINT_OVERHEAD: 0,
      SCR_MPI_BUF_SIZE: 1 << 20, SCR_FILE_BUF_SIZE: 1 << 20, SCR_LOG_ENABLE: true, SCR_PREFIX: s.prefix,
      SCR_JOB_NAME: null, SCR_CURRENT: null, SCR_MIN_NODES: null, SCR_EXCLUDE_NODES: null, SCR_END_TIME: null,
    };
    for (const [name, v] of Object.entries(expected)) {
      assert.equal(cfg.get(name), v, name);
      assert.equal(cfg.sourceOf(name).kind, 'default', name);
    }
    // Every parameter of the schema has a resolved entry (possibly null).
    for (const p of PARAMS) assert.ok(cfg.values.has(p.name), p.name);
    assert.deepEqual(cfg.warnings, []);
  });

  it('cache and control base are /dev/shm when it is a writable directory, else the OS temp dir', () => {
    let shm = false;
    try { shm = statSync('/dev/shm').isDirectory(); accessSync('/dev/shm', constants.W_OK); } catch { shm = false; }
    const want = shm ? '/dev/shm' : tmpdir();
    assert.equal(defaultLocalBase(), want);
    const cfg = sb().load();
    assert.equal(cfg.str('SCR_CACHE_BASE'), want);
    assert.equal(cfg.str('SCR_CNTL_BASE'), want);
  });

  it('cfg.get of a name outside the schema is a bug, not null', () => {
    assert.throws(() => sb().load().get('SCR_NOPE'), /not a configuration parameter/);
  });
});
