// Values that become path components (SCR_USER_NAME, SCR_JOB_ID, SCR_NODE_NAME name directories
// <base>/<user>/scr.<jobid>/node.<name>) and integers beyond JavaScript's safe range: errors that
// name the key, the source and what to do, from every source and for every reader (loadConfig,
// config() strings, the commands).
import assert from 'node:assert/strict';
import { Layer } from '../../../src/config/layers.js';
import { applyConfigString } from '../../../src/config/config-string.js';
import { PARAM_BY_NAME } from '../../../src/config/schema.js';
import { componentMaxBytes, parseValue, pathComponentProblem, ValueError } from '../../../src/config/values.js';
import { cleanEnv, scr } from '../../harness/cli.js';
import { assertConfigError, re, useSandbox } from './helpers.js';

const NAMES = ['SCR_USER_NAME', 'SCR_JOB_ID', 'SCR_NODE_NAME'] as const;
const rule = (name: string) => PARAM_BY_NAME.get(name)!;
const bad = (raw: string, name: string, pattern: RegExp) => assert.throws(() => parseValue(raw, rule(name)), (e: unknown) => {
  assert.ok(e instanceof ValueError, String(e));
  assert.match(e.message, pattern);
  return true;
}, `${name}=${JSON.stringify(raw)}`);

describe('config values: directory names (type component)', () => {
  it('the three names that become path components have the type', () => {
    for (const n of NAMES) assert.equal(rule(n).type, 'component', n);
    assert.equal(rule('SCR_JOB_ID').componentPrefix, 'scr.');
    assert.equal(rule('SCR_NODE_NAME').componentPrefix, 'node.');
    assert.equal(rule('SCR_USER_NAME').componentPrefix, undefined);
  });

  it('plain names pass, kept as written (trimmed)', () => {
    for (const n of NAMES) {
      for (const ok of ['alice', 'n17', '4711.sched-1', 'a b', '...', '.hidden', 'x'.repeat(componentMaxBytes(rule(n).componentPrefix))]) {
        assert.equal(parseValue(ok, rule(n)), ok, `${n}=${ok.slice(0, 20)}`);
      }
      assert.equal(parseValue('  bob ', rule(n)), 'bob');
    }
  });

  it('"/", NUL, ".", "..", empty and too long are refused, saying why and what to give', () => {
    for (const n of NAMES) {
      bad('a/b', n, /must be a single directory name \(a path component of <base>\/<user>\/scr\.<jobid>\/node\.<name>\), but it contains "\/"/);
      bad('/abs', n, /contains "\/"/);
      bad('a\0b', n, /contains a NUL byte.*got "a\\u0000b"/);
      bad('.', n, /"\." is not a name but the directory itself/);
      bad('..', n, /"\.\." is not a name but its parent/);
      bad(' .. ', n, /its parent/);
      bad('', n, /but it is empty/);
      bad('   ', n, /but it is empty/);
      bad('..', n, /give a name without "\/" or NUL that is not "\." or "\.\." and has at most \d+ bytes/);
    }
  });

  it('the length limit counts bytes and the scr. / node. before the value (NAME_MAX 255)', () => {
    assert.equal(componentMaxBytes(), 255);
    assert.equal(componentMaxBytes('scr.'), 251);
    assert.equal(componentMaxBytes('node.'), 250);
    bad('u'.repeat(256), 'SCR_USER_NAME', /it is 256 bytes long, but a file name can have at most 255 bytes, so at most 255 are left/);
    bad('j'.repeat(252), 'SCR_JOB_ID', /it is 252 bytes long, but scr\.<name> can have at most 255 bytes, so at most 251/);
    bad('n'.repeat(251), 'SCR_NODE_NAME', /it is 251 bytes long, but node\.<name> can have at most 255/);
    // Multi-byte characters count as their UTF-8 bytes: 128 × "é" is 256 bytes.
    bad('é'.repeat(128), 'SCR_USER_NAME', /it is 256 bytes long/);
    assert.equal(parseValue('é'.repeat(127), rule('SCR_USER_NAME')), 'é'.repeat(127));
    // Long values are cut in the message.
    bad('u'.repeat(300), 'SCR_USER_NAME', /got "u{49}…" \(300 bytes\)/);
  });

  it('pathComponentProblem: null for a usable component', () => {
    assert.equal(pathComponentProblem('n1', 'node.'), null);
    assert.match(pathComponentProblem('n/1', 'node.')!, /contains "\/"/);
  });
});

describe('config values: directory names through loadConfig and config()', () => {
  const sb = useSandbox();

  it('an error names the key and the environment', () => {
    const s = sb();
    assertConfigError(() => s.load({ SCR_USER_NAME: '../../etc' }), /^the environment: SCR_USER_NAME must be a single directory name .* contains "\/"/);
    assertConfigError(() => s.load({ SCR_JOB_ID: '..' }), /^the environment: SCR_JOB_ID must be a single directory name/);
    assertConfigError(() => s.load({ SCR_NODE_NAME: 'a/b' }), /^the environment: SCR_NODE_NAME must be a single directory name/);
  });

  it('an empty value set in a source is an error, not "unset"', () => {
    const s = sb();
    assertConfigError(() => s.load({ SCR_JOB_ID: '' }), /^the environment: SCR_JOB_ID must be a single directory name .* but it is empty/);
    const u = s.writeUser('SCR_DEBUG=1\nSCR_USER_NAME=""\n');
    assertConfigError(() => s.load(), re(`${u}:2: SCR_USER_NAME must be a single directory name`));
  });

  it('an error in a file names file:line, even where the environment overrides it', () => {
    const s = sb();
    s.writeSystem('# nodes\n\nSCR_NODE_NAME=rack1/n1\n');
    const err = assertConfigError(() => s.load({ SCR_NODE_NAME: 'n1' }), re(`${s.system}:3: SCR_NODE_NAME must be a single directory name`));
    assert.equal(err.problems.length, 1);
    assert.deepEqual(err.problems[0]!.source, { kind: 'system file', file: s.system, line: 3 });
  });

  it('a bad computed default says where it came from and how to override it', () => {
    const s = sb();
    assertConfigError(() => s.load({ USER: 'a/b' }),
      /^default: SCR_USER_NAME must be a single directory name .* \(this is its default: \$USER, else the login name; set SCR_USER_NAME in the environment or a configuration file\)/);
    assertConfigError(() => s.load({ SLURMD_NODENAME: '..' }), /^default: SCR_NODE_NAME .*its parent.*\(this is its default: \$SLURMD_NODENAME/);
    assertConfigError(() => s.load({ SLURM_JOB_ID: '1/2' }), /^default: SCR_JOB_ID .*contains "\/".*\(this is its default: the resource manager's job id/);
    // Overriding it makes the bad default irrelevant.
    assert.equal(s.load({ USER: 'a/b', SCR_USER_NAME: 'ab' }).str('SCR_USER_NAME'), 'ab');
    assert.equal(s.load({ SLURM_JOB_ID: '1/2', SCR_JOB_ID: '12' }).str('SCR_JOB_ID'), '12');
  });

  it('config() refuses them, as a ScrConfigError naming config()', () => {
    const layer = new Layer('config()');
    assertConfigError(() => applyConfigString(layer, 'SCR_JOB_ID=a/b', {}), /^config\(\): SCR_JOB_ID must be a single directory name/);
    assertConfigError(() => applyConfigString(layer, 'SCR_USER_NAME=..', {}), /^config\(\): SCR_USER_NAME .*its parent/);
    assert.equal(layer.params.size, 0, 'nothing was set');
    applyConfigString(layer, 'SCR_JOB_ID=ok.1', {});
    assert.equal(layer.params.get('SCR_JOB_ID')!.raw, 'ok.1');
  });

  it('the commands report the same error (exit 2), naming the key and the source', () => {
    const s = sb();
    const env = cleanEnv({ SCR_SYSTEM_CONF: s.system, SCR_USER_NAME: 'x/..' });
    for (const args of [['env'], ['config'], ['postrun', '--nodes', 'n1'], ['prerun']]) {
      const r = scr(args, { cwd: s.prefix, env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /the environment: SCR_USER_NAME must be a single directory name .* contains "\/"/, args.join(' '));
      assert.doesNotMatch(r.stderr, /internal error|RangeError|\n\s+at /, args.join(' '));
    }
    s.writeUser('SCR_NODE_NAME=..\n');
    const r = scr(['env'], { cwd: s.prefix, env: cleanEnv({ SCR_SYSTEM_CONF: s.system }) });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, re(`${s.prefix}/.scrconf:1: SCR_NODE_NAME must be a single directory name`));
  });
});

describe('config values: integers beyond the safe range', () => {
  const sb = useSandbox();
  const MAX = Number.MAX_SAFE_INTEGER; // 9007199254740991

  it('int: up to ±(2^53 − 1) exactly; beyond is an error, not a rounded number', () => {
    assert.equal(parseValue(String(MAX), rule('SCR_HALT_SECONDS')), MAX);
    assert.equal(parseValue(String(-MAX), { type: 'int' }), -MAX);
    for (const raw of [String(MAX + 1), '9007199254740993', '99999999999999999999', '1' + '0'.repeat(400)]) {
      bad(raw, 'SCR_HALT_SECONDS', /is out of range: .* lies outside ±9007199254740991 \(2\^53 − 1\), the whole numbers scr can hold exactly; give a value within that range/);
    }
    bad('-99999999999999999999', 'SCR_RUNS', /lies outside ±9007199254740991/);
  });

  it('bytes: up to 2^53 − 1 bytes; beyond is an error whatever the unit', () => {
    const r = rule('SCR_CACHE_NEED');
    assert.equal(parseValue(String(MAX), r), MAX);
    assert.equal(parseValue('8191TB', r), 8191 * 2 ** 40);
    for (const raw of ['8192TB', '100000000000000000000TB', '1' + '0'.repeat(30), '9007199254740992', '99999999999999999999.5G']) {
      bad(raw, 'SCR_CACHE_NEED', /is out of range: .* is more than 9007199254740991 bytes \(2\^53 − 1, about 8 PiB\), the most scr can count exactly; give a smaller size/);
    }
  });

  it('through loadConfig: the key and the source are named', () => {
    const s = sb();
    assertConfigError(() => s.load({ SCR_HALT_SECONDS: '99999999999999999999' }), /^the environment: SCR_HALT_SECONDS is out of range: "99999999999999999999"/);
    assertConfigError(() => s.load({ SCR_MPI_BUF_SIZE: '100000000000000000000TB' }), /^the environment: SCR_MPI_BUF_SIZE is out of range/);
    const u = s.writeUser('SCR_DEBUG=1\nSCR_CACHE_SIZE=1000000000000000000000000000000\n');
    assertConfigError(() => s.load(), re(`${u}:2: SCR_CACHE_SIZE is out of range`));
  });

  it('descriptor keys and the CKPT index go through the same check', () => {
    const s = sb();
    s.writeSystem([
      'SCR_COPY_TYPE=FILE',
      'STORE=/dev/shm COUNT=99999999999999999999',
      'CKPT=0 INTERVAL=1 TYPE=XOR',
      'CKPT=1 INTERVAL=99999999999999999999 SET_SIZE=18446744073709551616',
      'CKPT=99999999999999999999 INTERVAL=2',
    ].join('\n') + '\n');
    const err = assertConfigError(() => s.load(),
      re(`${s.system}:2: STORE=/dev/shm: COUNT is out of range`),
      re(`${s.system}:4: CKPT=1: INTERVAL is out of range`),
      re(`${s.system}:4: CKPT=1: SET_SIZE is out of range`),
      re(`${s.system}:5: CKPT=99999999999999999999: the index is out of range`));
    assert.equal(err.problems.length, 4, err.message);
  });

  it('config() refuses them for parameters and descriptor keys', () => {
    const layer = new Layer('config()');
    assertConfigError(() => applyConfigString(layer, 'SCR_FLUSH=99999999999999999999', {}), /^config\(\): SCR_FLUSH is out of range/);
    assertConfigError(() => applyConfigString(layer, 'CKPT=0 COUNT=99999999999999999999', {}), /^config\(\): CKPT=0: COUNT is out of range/);
    assertConfigError(() => applyConfigString(layer, 'CKPT=99999999999999999999 TYPE=XOR', {}), /^config\(\): CKPT=99999999999999999999: the index is out of range/);
    assert.equal(layer.params.size + layer.descriptors.length, 0);
  });
});
