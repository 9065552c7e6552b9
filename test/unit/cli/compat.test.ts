// SCR's command lines, run through links named as npm installs them (scr_halt, scr_index,
// scr_glob_hosts, scr_inspect, …), and the messages of item 8: unknown options with a hint, bare
// `scr` and bad host lists exit 2, `--help | head` without an EPIPE trace, a read-only prefix or
// cache named with its setting, prerun that does not say "ready" when no node is usable.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHalt } from '../../../src/halt/index.js';
import { readIndex } from '../../../src/pfs/index.js';
import { cleanEnv, SCR_BIN, scr } from '../../harness/cli.js';
import { skipBecause } from '../../harness/skip.js';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..');
const heat = join(root, 'dist', 'examples', 'heat.js');

describe('SCR-compatible command lines and actionable messages', function () {
  this.timeout(120_000);
  let dir: string;
  let prefix: string;
  const env = (extra: Record<string, string> = {}) => cleanEnv({ SCR_CACHE_BASE: join(dir, 'c'), SCR_CNTL_BASE: join(dir, 'k'),
    SCR_SYSTEM_CONF: '/dev/null', SCR_COPY_TYPE: 'SINGLE', SCR_FLUSH: '0', SCR_NODE_NAME: 'here', SCR_JOB_ID: 'compat1', ...extra });
  /** Runs the link `name` (made as npm makes bin links) with `args`. */
  const as = (name: string, args: string[], extra: Record<string, string> = {}) => {
    const link = join(dir, 'bin', name);
    try { symlinkSync(SCR_BIN, link); } catch { /* made already */ }
    return scr(args, { env: env(extra), cwd: dir, bin: link });
  };
  beforeEach(() => { dir = mkdtempSync('/dev/shm/scr-compat-'); prefix = join(dir, 'p'); mkdirSync(prefix); mkdirSync(join(dir, 'bin')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('scr_halt: -c, -b, -a, -s, -i, --unset-KEY, -l, -r and the prefix as an argument', async () => {
    let r = as('scr_halt', ['-c', '3', '-b', '23:59', '-s', '600', prefix]);
    assert.equal(r.code, 0, r.stderr);
    let h = await readHalt(prefix);
    assert.equal(h.checkpointsLeft, 3);
    assert.equal(h.seconds, 600);
    assert.ok(typeof h.exitBefore === 'number');
    r = as('scr_halt', ['--unset-checkpoints', '--unset-before', '--unset-seconds', '-a', '@1', prefix]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^removed checkpoints left \(was 3\)$/m);
    h = await readHalt(prefix);
    assert.deepEqual(Object.keys(h).sort(), ['exitAfter']);
    r = as('scr_halt', ['-l', prefix]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /exit after\s+1970-01-01/);
    assert.match(r.stdout, /halt: exit-after time 1970-01-01T00:00:01Z passed/);
    r = as('scr_halt', ['--unset-after', '--reason', 'x', '--unset-reason', prefix]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--unset reason and --reason at once: choose one/);
    r = as('scr_halt', ['-i', prefix]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await readHalt(prefix), { exitAfter: 1, reason: 'halt --immediate', immediate: true });
    r = as('scr_halt', ['-r', prefix]);
    assert.equal(r.code, 0);
    assert.deepEqual(await readHalt(prefix), {});
    r = as('scr_halt', ['--prefix', join(dir, 'other'), prefix]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /two prefixes/);
  });

  it('scr_index: -l and the prefix argument, --remove (= --drop), --add (= --build), --list with an action is a usage error; scr_inspect says what is restartable', async () => {
    const run = scr(['sim', '--nodes', '1', '--ppn', '1', '--keep', '--', 'node', heat, '--steps', '10', '--every', '5', '--cells', '1000'], { env: env({ SCR_PREFIX: prefix, SCR_FLUSH: '1' }), cwd: dir });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    let r = as('scr_index', ['-l', prefix]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /heat\.5/);
    assert.match(r.stdout, /heat\.10/);
    r = as('scr_inspect', [prefix]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^\d+\s+heat\.10\s+C\s+1\/1\s+.*yes \(a restart starts here\)$/m);
    assert.match(r.stdout, /^restart: starts from heat\.10 \(then heat\.5\)$/m);
    // A missing file makes a checkpoint not restartable, named with its file.
    const idx = await readIndex(prefix);
    const ten = Object.values(idx.datasets).find((e) => e.name === 'heat.10')!;
    unlinkSync(join(prefix, 'heat.10', readdirNames(join(prefix, 'heat.10'))[0]!));
    r = as('scr_inspect', ['--json'], { SCR_PREFIX: prefix });
    assert.equal(r.code, 0);
    const j = JSON.parse(r.stdout);
    assert.equal(j.restartFrom, 'heat.5');
    const bad = j.datasets.find((d: { name: string }) => d.name === 'heat.10');
    assert.equal(bad.restartable, false);
    assert.match(bad.why, /1 of 1 file\(s\) missing or of the wrong size/);
    assert.match(bad.problems[0], /rank 0: .*: missing/);
    r = as('scr_index', ['--remove', 'heat.10', prefix]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^dropped "heat\.10" \(id \d+\) from the index/);
    assert.equal(byName(await readIndex(prefix), 'heat.10'), undefined);
    // The dataset's directory under .scr is still there: inspect names it with the command that adds it back.
    r = as('scr_inspect', [prefix]);
    assert.match(r.stdout, new RegExp(`scr\\.dataset\\.${ten.id}: scavenged but not in the index; check it and add it with: scr index --add ${ten.id} --prefix `));
    r = as('scr_index', ['--add', String(ten.id), '--build', String(ten.id), prefix]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--add is another name for --build: give one of them/);
    r = as('scr_index', ['--add', '999', prefix]);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stderr, /internal error/);
    r = as('scr_index', ['--list', '--drop', 'heat.5', prefix]);
    assert.equal(r.code, 2);
    r = as('scr_inspect', [join(dir, 'nope')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the prefix directory .*nope does not exist\nhint: it comes from --prefix; create it/);
  });

  it('scr_glob_hosts takes SCR\'s options; scr glob-hosts is the same command', () => {
    const cases: Array<[string[], string]> = [
      [['-c', '-h', 'n[1-4,7]'], '5\n'], [['-n', '1', '-h', 'n[3-5]'], 'n3\n'], [['-n', '-1', '-h', 'n[3-5]'], 'n5\n'],
      [['-m', 'n[1-8]:n[3,5]'], 'n[1-2,4,6-8]\n'], [['-i', 'n[1-8]:n[3,5,9]'], 'n[3,5]\n'], [['-C', 'n1,n2,n3,n7'], 'n[1-3,7]\n'],
      [['-e', '-h', 'n[1-2]'], 'n1\nn2\n'], [['-h', 'n1,n2,n3'], 'n[1-3]\n'],
    ];
    for (const [args, want] of cases) {
      const r = as('scr_glob_hosts', args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, want, args.join(' '));
    }
    assert.equal(scr(['glob-hosts', '-c', '-h', 'n[1-3]'], { env: env() }).stdout, '3\n');
    let r = as('scr_glob_hosts', ['-n', '4', '-h', 'n[1-3]']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--nth 4 is out of range for a list of 3 host\(s\)/);
    r = as('scr_glob_hosts', ['-h', 'n[1-']);
    assert.equal(r.code, 2);
    r = as('scr_glob_hosts', []);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no host list/);
  });

  it('every command is installed as scr_<name>, and each link runs its command', () => {
    const bin = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin as Record<string, string>;
    for (const want of ['scr_sim', 'scr_clean', 'scr_print', 'scr_config', 'scr_hostlist', 'scr_glob_hosts', 'scr_inspect', 'scr_should_exit', 'scr_crc32']) assert.ok(bin[want], want);
    for (const name of Object.keys(bin).filter((b) => b !== 'scr')) {
      const r = as(name, ['--help']);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: scr ${name.slice(4).replace(/_/g, '-')} `, 'm'), name);
    }
  });

  it('unknown options: the wrappers say to put -- before the application\'s arguments; others point at --help and the close name', () => {
    let r = scr(['sim', '--nodes', '1', '--ppn', '1', 'node', 'app.js', '--steps', '5'], { env: env(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option '--steps'/);
    assert.match(r.stderr, /^hint: scr sim's own options come first; put -- before the application and its arguments, e\.g\. scr sim --nodes 2 --ppn 1 -- node app\.js/m);
    r = scr(['halt', '--lst'], { env: env(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Did you mean --list\?/);
    assert.match(r.stderr, /^hint: scr halt --help lists the options$/m);
    r = scr(['indx'], { env: env(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Did you mean index\?/);
  });

  it('usage errors exit 2: bare scr, a bad host list; help is exit 0', () => {
    let r = scr([], { env: env(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stdout + r.stderr, /Usage: scr \[options\] \[command\]/);
    r = scr(['hostlist', 'n[1-'], { env: env(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unbalanced brackets/);
    r = scr(['hostlist', 'n[3-1]'], { env: env(), cwd: dir });
    assert.equal(r.code, 2);
    assert.equal(scr(['--help'], { env: env() }).code, 0);
    assert.equal(scr(['help'], { env: env() }).code, 0);
  });

  it('scr … --help piped into a reader that goes away: no EPIPE trace, exit 0', () => {
    for (const cmd of ['--help', 'halt --help', 'index --help', 'sim --help']) {
      // `true` exits without reading, so the writes meet a closed pipe.
      const r = spawnSync('bash', ['-c', `for i in 1 2 3; do "${process.execPath}" "${SCR_BIN}" ${cmd} | true; echo "rc=\${PIPESTATUS[0]}"; done`], { encoding: 'utf8', env: env() });
      assert.doesNotMatch(r.stderr, /EPIPE|Error|at /, `${cmd}: ${r.stderr}`);
      assert.deepEqual(r.stdout.trim().split('\n'), ['rc=0', 'rc=0', 'rc=0'], cmd);
    }
  });

  it('a read-only prefix or cache is named with its setting and path; prerun does not say ready when no node is usable', function () {
    // A real read-only file system: a tmpfs mounted ro in a private mount namespace.
    if (spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status !== 0) skipBecause(this, 'cannot make mount namespaces here (needs root and unshare)');
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    const inRo = (args: string[], extra: Record<string, string>) => spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
      'mount -t tmpfs -o ro none "$1" && shift && exec "$@"', 'sh', ro, process.execPath, SCR_BIN, ...args], { encoding: 'utf8', env: env(extra) });
    let r = inRo(['prerun'], { SCR_PREFIX: ro });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`^scr prerun: the prefix directory ${ro} \\(SCR_PREFIX or --prefix\\) cannot hold scr's \\.scr directory: read-only file system \\(EROFS\\): ${ro}/\\.scr$`, 'm'));
    assert.doesNotMatch(r.stderr, /internal error|    at /);
    r = inRo(['halt', '--prefix', ro], {});
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot hold scr's \.scr directory: read-only file system \(EROFS\)/);
    r = inRo(['prerun'], { SCR_PREFIX: prefix, SCR_CACHE_BASE: ro });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`BAD: cache .*: cannot create or write it under SCR_CACHE_BASE=${ro}: read-only file system \\(EROFS\\)`));
    assert.match(r.stdout, /^scr prerun: no node is usable \(0 of 1\): the job cannot run; /m);
    assert.doesNotMatch(r.stdout, /ready/);
  });
});

function readdirNames(p: string): string[] {
  return spawnSync('ls', [p], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
}

function byName(idx: Awaited<ReturnType<typeof readIndex>>, name: string) {
  return Object.values(idx.datasets).find((e) => e.name === name);
}
