// The scr.conf grammar (comments, blank lines, quoting, $VAR expansion, descriptor lines), value
// types (bool, int, float, bytes, enum, hostlist, path, string) with their ranges, and error
// reporting: key, source file and line, "did you mean", several problems in one ScrConfigError.
import assert from 'node:assert/strict';
import { describeSource } from '../../../src/config/errors.js';
import { expandVars, GrammarError, parseEntries, parsePairs } from '../../../src/config/grammar.js';
import { Layer, layerFromText } from '../../../src/config/layers.js';
import type { Problem } from '../../../src/config/errors.js';
import { closest, didYouMean, editDistance } from '../../../src/config/suggest.js';
import { formatValue, parseValue, ValueError } from '../../../src/config/values.js';
import { PARAM_BY_NAME } from '../../../src/config/schema.js';
import { assertConfigError, re, useSandbox } from './helpers.js';

describe('config grammar: parseEntries', () => {
  it('drops comments and blank lines and numbers entries by their line', () => {
    const text = '# a comment\n\n   \nSCR_FLUSH=2   # trailing comment\n\t# indented comment\nSCR_DEBUG=1\n';
    assert.deepEqual(parseEntries(text, {}), [
      { line: 4, pairs: [{ key: 'SCR_FLUSH', value: '2' }] },
      { line: 6, pairs: [{ key: 'SCR_DEBUG', value: '1' }] },
    ]);
  });

  it('allows blanks and tabs around =', () => {
    for (const t of ['SCR_FLUSH = 2', 'SCR_FLUSH\t=\t2', '  SCR_FLUSH=  2  ', 'SCR_FLUSH =2']) {
      assert.deepEqual(parseEntries(t, {}), [{ line: 1, pairs: [{ key: 'SCR_FLUSH', value: '2' }] }], JSON.stringify(t));
    }
  });

  it('handles CRLF line ends', () => {
    assert.deepEqual(parseEntries('A=1\r\nB=2\r\n', {}).map((e) => [e.line, e.pairs[0]!.value]), [[1, '1'], [2, '2']]);
  });

  it('keeps blanks and # inside double quotes', () => {
    assert.deepEqual(parseEntries('SCR_JOB_NAME="my job # 3"  # a comment', {}),
      [{ line: 1, pairs: [{ key: 'SCR_JOB_NAME', value: 'my job # 3' }] }]);
    assert.deepEqual(parseEntries('SCR_JOB_NAME=""', {})[0]!.pairs, [{ key: 'SCR_JOB_NAME', value: '' }]);
  });

  it('a value may hold = and other punctuation', () => {
    assert.deepEqual(parsePairs('SCR_JOB_NAME=a=b,c:d/e', 1), [{ key: 'SCR_JOB_NAME', value: 'a=b,c:d/e' }]);
  });

  it('splits a descriptor line into its pairs', () => {
    assert.deepEqual(parsePairs('CKPT=1 INTERVAL=4 STORE="/my ssd" TYPE=RS', 1), [
      { key: 'CKPT', value: '1' }, { key: 'INTERVAL', value: '4' }, { key: 'STORE', value: '/my ssd' }, { key: 'TYPE', value: 'RS' },
    ]);
  });

  it('a key without = has a null value (the query form)', () => {
    assert.deepEqual(parsePairs('SCR_FLUSH', 1), [{ key: 'SCR_FLUSH', value: null }]);
    assert.deepEqual(parsePairs('CKPT=0 TYPE', 1), [{ key: 'CKPT', value: '0' }, { key: 'TYPE', value: null }]);
    assert.deepEqual(parsePairs('SCR_FLUSH=', 1), [{ key: 'SCR_FLUSH', value: '' }]);
  });

  it('malformed text is a GrammarError with the line number', () => {
    const cases: [string, RegExp][] = [
      ['A=1\n=5', /expected a KEY=VALUE pair at "=5"/],
      ['A=1\nB=2\n3SCR=1', /expected a KEY=VALUE pair/],
      ['SCR_FLUSH 10', /expected a KEY=VALUE pair at "10"/],
      ['SCR_JOB_NAME="unterminated', /unterminated quoted value for SCR_JOB_NAME/],
    ];
    for (const [text, pattern] of cases) {
      assert.throws(() => parseEntries(text, {}), (e: unknown) => {
        assert.ok(e instanceof GrammarError);
        assert.match(e.message, pattern);
        assert.equal(e.line, text.split('\n').length);
        return true;
      }, text);
    }
  });
});

describe('config grammar: $VAR expansion', () => {
  it('expands $VAR and ${VAR} in values', () => {
    const env = { HOME: '/home/a', JOB: '42', X: 'x y' };
    assert.equal(expandVars('$HOME/run.${JOB}', env, 1), '/home/a/run.42');
    assert.equal(expandVars('${HOME}suffix', env, 1), '/home/asuffix');
    assert.equal(expandVars('$HOMEsuffix', { HOMEsuffix: 'whole' }, 1), 'whole');
    assert.equal(expandVars('cost: 5$ and $ alone', env, 1), 'cost: 5$ and $ alone');
    assert.deepEqual(parseEntries('SCR_JOB_NAME=$X', env)[0]!.pairs, [{ key: 'SCR_JOB_NAME', value: 'x y' }], 'an expanded value with blanks stays one value');
    assert.deepEqual(parseEntries('SCR_JOB_NAME="${X} #1"', env)[0]!.pairs, [{ key: 'SCR_JOB_NAME', value: 'x y #1' }]);
  });

  it('keys are not expanded; a set-but-empty variable expands to nothing', () => {
    assert.deepEqual(parseEntries('SCR_JOB_NAME=a${E}b', { E: '' })[0]!.pairs, [{ key: 'SCR_JOB_NAME', value: 'ab' }]);
  });

  it('an unset variable is an error naming it, with the line', () => {
    assert.throws(() => parseEntries('# c\nSCR_PREFIX=${NOPE}/x', {}), (e: unknown) => {
      assert.ok(e instanceof GrammarError);
      assert.match(e.message, /\$NOPE is not set in the environment/);
      assert.equal(e.line, 2);
      return true;
    });
  });

  const sb = useSandbox();

  it('in a file, expansion uses the environment given to loadConfig', () => {
    const s = sb();
    s.writeUser('SCR_CACHE_BASE=$BASE/cache\nSCR_JOB_NAME=${NAME}-run\n');
    const cfg = s.load({ BASE: '/ssd', NAME: 'sim' });
    assert.equal(cfg.str('SCR_CACHE_BASE'), '/ssd/cache');
    assert.equal(cfg.str('SCR_JOB_NAME'), 'sim-run');
  });

  it('in a file, an unset variable is an error with file:line', () => {
    const s = sb();
    const u = s.writeUser('SCR_FLUSH=2\n\nSCR_CACHE_BASE=$NOT_SET_ANYWHERE/cache\n');
    assertConfigError(() => s.load(), re(`${u}:3: $NOT_SET_ANYWHERE is not set in the environment`));
  });
});

describe('config grammar: files through loadConfig', () => {
  const sb = useSandbox();

  it('reads quoted values, comments, blank lines and spaces around =', () => {
    const s = sb();
    s.writeSystem([
      '# scr.conf',
      '',
      'SCR_JOB_NAME = "the big # run"   # comment after a quoted value',
      '  SCR_FLUSH\t=  4',
      '# SCR_DEBUG=5',
      'scr_debug=2',
    ].join('\n'));
    const cfg = s.load();
    assert.equal(cfg.str('SCR_JOB_NAME'), 'the big # run');
    assert.equal(cfg.int('SCR_FLUSH'), 4);
    assert.equal(cfg.int('SCR_DEBUG'), 2, 'keys are case-insensitive');
    assert.equal(cfg.sourceOf('SCR_DEBUG').line, 6);
  });

  it('the last setting of a key in one file wins', () => {
    const s = sb();
    s.writeSystem('SCR_FLUSH=4\nSCR_FLUSH=5\n');
    const cfg = s.load();
    assert.equal(cfg.int('SCR_FLUSH'), 5);
    assert.equal(cfg.sourceOf('SCR_FLUSH').line, 2);
  });

  it('an unknown key is an error with file:line and a close match', () => {
    const s = sb();
    const u = s.writeUser('# x\nSCR_CACHE_SZE=3\n');
    const err = assertConfigError(() => s.load(), re(`${u}:2: unknown parameter SCR_CACHE_SZE (did you mean SCR_CACHE_SIZE?)`));
    assert.equal(err.problems.length, 1);
    assert.deepEqual(err.problems[0]!.source, { kind: 'user file', file: u, line: 2 });
  });

  it('close matches ignore case and the SCR_ prefix; far-off keys get no suggestion', () => {
    const s = sb();
    s.writeSystem('scr_flsuh=3\nCACHE_SIZE=2\nSTROE=/x\nTOTALLY_UNRELATED_NAME=1\n');
    const err = assertConfigError(() => s.load(), /:1: unknown parameter scr_flsuh \(did you mean SCR_FLUSH\?\)/,
      /:2: unknown parameter CACHE_SIZE \(did you mean SCR_CACHE_SIZE\?\)/, /:3: unknown parameter STROE \(did you mean STORE\?\)/);
    const last = err.problems.find((p) => p.source?.line === 4)!;
    assert.match(last.message, /unknown parameter TOTALLY_UNRELATED_NAME$/);
  });

  it('an unknown key on a descriptor line is an error naming the line kind, with a close match', () => {
    const s = sb();
    s.writeSystem('STORE=/ssd GROUP=NODE COUNTT=2\nCKPT=0 INTERVAL=1 TPYE=RS\n');
    const err = assertConfigError(() => s.load({ SCR_COPY_TYPE: 'FILE', SCR_CACHE_BASE: '/ssd' }),
      re(`${s.system}:1: STORE lines have no key COUNTT (did you mean COUNT?)`),
      re(`${s.system}:2: CKPT lines have no key TPYE (did you mean TYPE?)`));
    assert.equal(err.problems.length, 2);
  });

  it('a parameter line with two pairs is an error', () => {
    const s = sb();
    s.writeSystem('SCR_FLUSH=1 SCR_DEBUG=2\n');
    assertConfigError(() => s.load(), re(`${s.system}:1: SCR_FLUSH takes a single value; put SCR_DEBUG on a line of its own`));
  });

  it('a key without a value is an error', () => {
    const s = sb();
    s.writeSystem('SCR_FLUSH\n');
    assertConfigError(() => s.load(), re(`${s.system}:1: SCR_FLUSH needs a value`));
    s.writeSystem('STORE=/x COUNT\n');
    assertConfigError(() => s.load(), /:1: STORE=\/x: COUNT needs a value/);
    s.writeSystem('STORE COUNT=2\n');
    assertConfigError(() => s.load(), /:1: STORE needs a value/);
  });

  it('malformed lines are errors with file:line', () => {
    const s = sb();
    s.writeSystem('SCR_FLUSH=2\nSCR_FLUSH 3\n');
    assertConfigError(() => s.load(), re(`${s.system}:2: expected a KEY=VALUE pair at "3"`));
    s.writeSystem('SCR_JOB_NAME="open\n');
    assertConfigError(() => s.load(), re(`${s.system}:1: unterminated quoted value`));
  });

  it('several problems in one file are reported together, each with its line', () => {
    const s = sb();
    s.writeSystem([
      'SCR_FLUSH=2',
      'SCR_CACHE_SZE=3',        // 2: unknown key
      'SCR_DEBUG=lots',         // 3: bad value
      'SCR_FLUSH 3',            // 4: malformed
      'SCR_PREFIX_SIZE=${UNSET_VAR_X}', // 5: unset variable
      'SCR_SET_SIZE=0',         // 6: below the minimum
      'SCR_RUNS=1 SCR_DEBUG=1', // 7: two pairs
    ].join('\n'));
    const err = assertConfigError(() => s.load());
    const lines = err.problems.map((p) => p.source?.line).sort((a, b) => a! - b!);
    assert.deepEqual(lines, [2, 3, 4, 5, 6, 7], err.message);
    for (const p of err.problems) assert.equal(p.source?.file, s.system);
  });

  it('layerFromText collects problems without throwing', () => {
    const problems: Problem[] = [];
    const layer = layerFromText('SCR_FLUSH=2\nNOPE=1\nSCR_DEBUG 1\nSCR_RUNS=3\n', 'user file', '/f', {}, problems);
    assert.ok(layer instanceof Layer);
    assert.equal(layer.params.get('SCR_FLUSH')?.raw, '2');
    assert.equal(layer.params.get('SCR_RUNS')?.raw, '3');
    assert.deepEqual(problems.map((p) => describeSource(p.source!)), ['/f:2', '/f:3']);
  });
});

describe('config values: types', () => {
  const rule = (name: string) => PARAM_BY_NAME.get(name)!;
  const bad = (raw: string, name: string, pattern: RegExp) => assert.throws(() => parseValue(raw, rule(name)), (e: unknown) => {
    assert.ok(e instanceof ValueError, String(e));
    assert.match(e.message, pattern);
    return true;
  }, `${name}=${raw}`);

  it('bool: 1/0, yes/no, true/false, on/off in any case', () => {
    for (const t of ['1', 'yes', 'YES', 'true', 'True', 'on', 'ON', ' 1 ']) assert.equal(parseValue(t, rule('SCR_FLUSH_ASYNC')), true, t);
    for (const f of ['0', 'no', 'No', 'false', 'FALSE', 'off', 'Off']) assert.equal(parseValue(f, rule('SCR_FLUSH_ASYNC')), false, f);
    for (const b of ['2', 'y', 'enable', '', '01']) bad(b, 'SCR_FLUSH_ASYNC', /must be 0 or 1/);
  });

  it('int: signs allowed, fractions and exponents not; min and max checked', () => {
    assert.equal(parseValue('12', rule('SCR_FLUSH')), 12);
    assert.equal(parseValue('+3', rule('SCR_FLUSH')), 3);
    assert.equal(parseValue('-1', rule('SCR_RUNS')), -1);
    assert.equal(parseValue('5', rule('SCR_DEBUG')), 5);
    for (const b of ['1.5', 'abc', '1e3', '', '0x10', '10 20']) bad(b, 'SCR_FLUSH', /must be a whole number/);
    bad('6', 'SCR_DEBUG', /must be at most 5, got 6/);
    bad('-1', 'SCR_DEBUG', /must be at least 0, got -1/);
    bad('0', 'SCR_CACHE_SIZE', /must be at least 1, got 0/);
    bad('-2', 'SCR_RUNS', /must be at least -1/);
    bad('128', 'SCR_SET_FAILURES', /must be at most 127/);
  });

  it('float: decimals; range checked', () => {
    assert.equal(parseValue('2.5', rule('SCR_CHECKPOINT_OVERHEAD')), 2.5);
    assert.equal(parseValue('100', rule('SCR_CHECKPOINT_OVERHEAD')), 100);
    bad('100.5', 'SCR_CHECKPOINT_OVERHEAD', /must be at most 100/);
    bad('-0.1', 'SCR_CHECKPOINT_OVERHEAD', /must be at least 0/);
    for (const b of ['x', '', 'Infinity', '1.2.3']) bad(b, 'SCR_CHECKPOINT_OVERHEAD', /must be a number/);
  });

  it('bytes: plain numbers and units that are powers of 1024, any case', () => {
    const r = rule('SCR_FILE_BUF_SIZE');
    assert.equal(parseValue('4096', r), 4096);
    assert.equal(parseValue('8192B', r), 8192);
    assert.equal(parseValue('512KB', r), 512 * 1024);
    assert.equal(parseValue('512kb', r), 512 * 1024);
    assert.equal(parseValue('64K', r), 64 * 1024);
    assert.equal(parseValue('4MiB', r), 4 * 2 ** 20);
    assert.equal(parseValue('4 MB', r), 4 * 2 ** 20);
    assert.equal(parseValue('1G', r), 2 ** 30);
    assert.equal(parseValue('2GiB', r), 2 * 2 ** 30);
    assert.equal(parseValue('1T', r), 2 ** 40);
    assert.equal(parseValue('1.5MB', r), 1.5 * 2 ** 20);
    for (const b of ['12XB', '-1KB', 'MB', '', '1 K B', 'lots']) bad(b, 'SCR_FILE_BUF_SIZE', /must be a size in bytes/);
    bad('1KB', 'SCR_MPI_BUF_SIZE', /must be at least 4096, got 1024/);
  });

  it('enum: case-insensitive, returns the canonical spelling', () => {
    assert.equal(parseValue('xor', rule('SCR_COPY_TYPE')), 'XOR');
    assert.equal(parseValue('Rs', rule('SCR_COPY_TYPE')), 'RS');
    assert.equal(parseValue('file', rule('SCR_COPY_TYPE')), 'FILE');
    assert.equal(parseValue('sync', rule('SCR_FLUSH_TYPE')), 'SYNC');
    assert.equal(parseValue('OpenMPI', rule('SCR_MPI')), 'openmpi');
    bad('RAID5', 'SCR_COPY_TYPE', /must be one of SINGLE, PARTNER, XOR, RS, FILE, got "RAID5"/);
    bad('XOR2', 'SCR_COPY_TYPE', /must be one of/);
  });

  it('hostlist: validated by the given checker, kept as written', () => {
    let seen = '';
    assert.equal(parseValue('node[3,7]', rule('SCR_EXCLUDE_NODES'), (s) => { seen = s; }), 'node[3,7]');
    assert.equal(seen, 'node[3,7]');
  });

  it('path: an empty value is an error; string: anything', () => {
    assert.equal(parseValue('/a b', rule('SCR_CACHE_BASE')), '/a b');
    bad('', 'SCR_CACHE_BASE', /must be a path/);
    assert.equal(parseValue('', rule('SCR_JOB_NAME')), '');
  });

  it('formatValue writes booleans as 1/0', () => {
    assert.equal(formatValue(true), '1');
    assert.equal(formatValue(false), '0');
    assert.equal(formatValue(12), '12');
    assert.equal(formatValue('XOR'), 'XOR');
  });
});

describe('config values: through loadConfig', () => {
  const sb = useSandbox();

  it('types every value from every source', () => {
    const s = sb();
    s.writeSystem('SCR_CACHE_BYPASS=yes\nSCR_MPI_BUF_SIZE=256KB\nSCR_COPY_TYPE=rs\nSCR_CHECKPOINT_OVERHEAD=1.5\n');
    s.writeUser('SCR_FLUSH_ASYNC=on\nSCR_EXCLUDE_NODES=node[3,7]\nSCR_FLUSH_TYPE=sync\n');
    const cfg = s.load({ SCR_RUNS: '-1', SCR_ENABLE: 'false', SCR_FILE_BUF_SIZE: '2MiB' });
    assert.equal(cfg.bool('SCR_CACHE_BYPASS'), true);
    assert.equal(cfg.int('SCR_MPI_BUF_SIZE'), 256 * 1024);
    assert.equal(cfg.str('SCR_COPY_TYPE'), 'RS');
    assert.equal(cfg.get('SCR_CHECKPOINT_OVERHEAD'), 1.5);
    assert.equal(cfg.bool('SCR_FLUSH_ASYNC'), true);
    assert.equal(cfg.str('SCR_EXCLUDE_NODES'), 'node[3,7]');
    assert.equal(cfg.str('SCR_FLUSH_TYPE'), 'SYNC');
    assert.equal(cfg.int('SCR_RUNS'), -1);
    assert.equal(cfg.bool('SCR_ENABLE'), false);
    assert.equal(cfg.int('SCR_FILE_BUF_SIZE'), 2 * 2 ** 20);
  });

  it('a bad host list is an error naming the key and the line', () => {
    const s = sb();
    s.writeSystem('\nSCR_EXCLUDE_NODES=node[3-\n');
    assertConfigError(() => s.load(), re(`${s.system}:2: SCR_EXCLUDE_NODES`));
    s.writeSystem('SCR_EXCLUDE_NODES=node[7-3]\n');
    assertConfigError(() => s.load(), /SCR_EXCLUDE_NODES/);
  });

  it('range errors name the key, the source and the limit', () => {
    const s = sb();
    s.writeUser('SCR_DEBUG=9\n');
    assertConfigError(() => s.load(), re(`${s.prefix}/.scrconf:1: SCR_DEBUG must be at most 5, got 9`));
    assertConfigError(() => s.load({ SCR_CACHE_SIZE: '0' }), /the environment: SCR_CACHE_SIZE must be at least 1, got 0/);
  });

  it('bad enum values list the allowed ones', () => {
    assertConfigError(() => sb().load({ SCR_COPY_TYPE: 'mirror' }), /the environment: SCR_COPY_TYPE must be one of SINGLE, PARTNER, XOR, RS, FILE, got "mirror"/);
  });
});

describe('config suggestions', () => {
  it('editDistance counts transpositions as one edit', () => {
    assert.equal(editDistance('abc', 'abc'), 0);
    assert.equal(editDistance('abc', 'acb'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
  });

  it('closest finds typos and nothing for unrelated words', () => {
    const names = ['SCR_CACHE_SIZE', 'SCR_CACHE_BASE', 'SCR_FLUSH'];
    assert.equal(closest('SCR_CACHE_SZE', names), 'SCR_CACHE_SIZE');
    assert.equal(closest('scr_flush', names), 'SCR_FLUSH');
    assert.equal(closest('FLUSH', names), 'SCR_FLUSH');
    assert.equal(closest('SCR_XYZZY_PLUGH', names), undefined);
    assert.equal(didYouMean('SCR_FLUSHH', names), ' (did you mean SCR_FLUSH?)');
    assert.equal(didYouMean('QQQQQQQQQQ', names), '');
    assert.equal(closest('X', []), undefined);
  });
});
