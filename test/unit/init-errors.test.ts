// Errors at scr.init() as the job's user sees them (issue 11, item 8), under mpirun at 2 ranks
// (Open MPI and MPICH): a configuration typo, in a file or the environment, is one line for the
// whole job (key, file:line, the close match) and exit code 2 on every rank — no stack trace, no
// MPI_Abort; a read-only prefix, cache or control directory (a real read-only tmpfs) names the
// setting and the path; a prefix that did not exist is created with a one-line note. The app is
// examples/heat.js, which does not catch init()'s error.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MpiFlavour } from '../../src/native/paths.js';
import { cleanEnv } from '../harness/cli.js';
import { flavoursBuilt, runMpi, type RunResult } from '../harness/launch.js';
import { skipBecause } from '../harness/skip.js';

const HEAT = join(fileURLToPath(import.meta.url), '..', '..', '..', 'examples', 'heat.js');
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** No stack trace, no abort, no message from a rank other than 0. */
function assertClean(r: RunResult): void {
  assert.doesNotMatch(r.stderr, /unhandledRejection|uncaughtException|^\s+at /m, r.stderr);
  assert.doesNotMatch(r.stderr, /MPI_ABORT|MPI_Abort|aborting the MPI job/i, r.stderr);
}
const scrLines = (r: RunResult) => r.stderr.split('\n').filter((l) => l.startsWith('scr: '));

describe('init(): configuration and directory errors are one line for the job', function () {
  this.timeout(120_000);
  let dir: string;
  let ro: string;
  let n = 0;
  const env = (extra: Record<string, string> = {}) => cleanEnv({
    SCR_PREFIX: join(dir, 'p'), SCR_CACHE_BASE: join(dir, 'c'), SCR_CNTL_BASE: join(dir, 'k'), SCR_SYSTEM_CONF: '/dev/null',
    SCR_JOB_ID: `initerr${process.pid}x${n++}`, SCR_USER_NAME: 'u', ...extra,
  });
  const heat = (flavour: MpiFlavour, e: Record<string, string>) => runMpi(flavour, 2, [process.execPath, HEAT, '--steps', '3', '--cells', '1000'], { env: { ...e }, timeoutMs: 60_000 });

  before(function () {
    dir = mkdtempSync('/dev/shm/scr-initerr-');
    mkdirSync(join(dir, 'p'));
    ro = join(dir, 'ro');
    mkdirSync(ro);
    // A real read-only file system (root ignores permission bits, not a read-only mount).
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro], { encoding: 'utf8' });
    if (m.status !== 0) ro = '';
  });
  after(() => {
    if (ro) spawnSync('umount', [ro]);
    rmSync(dir, { recursive: true, force: true });
  });

  for (const flavour of ['openmpi', 'mpich'] as const) {
    it(`${flavour}: an unknown key in a configuration file: one line (file:line, the close match), exit 2`, async function () {
      if (!flavoursBuilt().includes(flavour)) skipBecause(this, `the ${flavour} binding is not built here (scripts/setup builds both)`);
      const conf = join(dir, `scr.${flavour}.conf`);
      writeFileSync(conf, '# site settings\nSCR_FLUSH=1\nSCR_FLUSHH=2\n');
      const r = await heat(flavour, env({ SCR_CONF_FILE: conf }));
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assertClean(r);
      assert.deepEqual(scrLines(r), [`scr: init(): configuration error: ${conf}:3: unknown parameter SCR_FLUSHH (did you mean SCR_FLUSH?)`]);
    });
  }

  it('a bad value in the environment: one line with the close match, exit 2', async function () {
    const flavour = flavoursBuilt().includes('mpich') ? 'mpich' : 'openmpi';
    const r = await heat(flavour, env({ SCR_COPY_TYPE: 'XORR' }));
    assert.equal(r.code, 2, r.stderr);
    assertClean(r);
    assert.deepEqual(scrLines(r), ['scr: init(): configuration error: the environment: SCR_COPY_TYPE must be one of SINGLE, PARTNER, XOR, RS, FILE, got "XORR" (did you mean XOR?)']);
  });

  it('an application that catches the error still gets the ScrConfigError (nothing printed by scr)', async function () {
    const flavour = flavoursBuilt().includes('openmpi') ? 'openmpi' : 'mpich';
    const app = join(dir, 'catch.mjs');
    const index = join(fileURLToPath(import.meta.url), '..', '..', '..', 'src', 'index.js');
    writeFileSync(app, `import * as scr from ${JSON.stringify(index)};\ntry { await scr.init(); } catch (e) { console.log(JSON.stringify({ rank: scr.mpi.world.rank, name: e.name, code: e.code })); }\nscr.mpi.finalize();\n`);
    const r = await runMpi(flavour, 2, [process.execPath, app], { env: env({ SCR_COPY_TYPE: 'XORR' }), timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { rank: number; name: string; code: string }).sort((a, b) => a.rank - b.rank);
    assert.deepEqual(got.map((g) => [g.name, g.code]), [['ScrConfigError', 'ERR_SCR_CONFIG'], ['ScrConfigError', 'ERR_SCR_CONFIG']]);
    assert.deepEqual(scrLines(r), []);
  });

  const dirCases: Array<[string, string, (ro: string) => Record<string, string>, RegExp]> = [
    ['the prefix', 'SCR_PREFIX', (r) => ({ SCR_PREFIX: join(r, 'prefix') }), /^scr: init\(\): SCR_PREFIX=(\S+)\/ro\/prefix: \1\/ro is on a read-only file system \(EROFS\); choose a directory this user can write, and set SCR_PREFIX to it$/],
    ['the cache', 'SCR_CACHE_BASE', (r) => ({ SCR_CACHE_BASE: join(r, 'cache') }), /^scr: init\(\): SCR_CACHE_BASE=(\S+)\/ro\/cache: \1\/ro(\/cache)? is on a read-only file system \(EROFS\); .*set SCR_CACHE_BASE to it$/],
    ['the control directory', 'SCR_CNTL_BASE', (r) => ({ SCR_CNTL_BASE: join(r, 'cntl') }), /^scr: init\(\): SCR_CNTL_BASE=(\S+)\/ro\/cntl: \1\/ro(\/cntl)? is on a read-only file system \(EROFS\); .*set SCR_CNTL_BASE to it$/],
  ];
  for (const [what, setting, extra, want] of dirCases) {
    it(`${what} on a read-only file system: one line naming ${setting} and the path, exit 1`, async function () {
      if (!ro) skipBecause(this, 'mount needs root (scripts/setup runs the tests as root)');
      const flavour = flavoursBuilt().includes('openmpi') ? 'openmpi' : 'mpich';
      const r = await heat(flavour, env(extra(ro)));
      assert.equal(r.code, 1, r.stderr);
      assertClean(r);
      const lines = scrLines(r).filter((l) => !/did not exist: created it/.test(l));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, want);
    });
  }

  it('a prefix that did not exist is created, with a note, and the job runs', async function () {
    const flavour = flavoursBuilt().includes('openmpi') ? 'openmpi' : 'mpich';
    const prefix = join(dir, 'new', 'deeper', 'prefix');
    const r = await heat(flavour, env({ SCR_PREFIX: prefix }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(scrLines(r).filter((l) => l.includes('did not exist')).length, 1);
    assert.match(r.stderr, new RegExp(`^scr: SCR_PREFIX=${esc(prefix)} did not exist: created it$`, 'm'));
    assert.match(r.stdout, /"step":3/);
  });
});
